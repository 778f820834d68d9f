/**
 * A deterministic tar writer for image layers: the same entries give the same bytes on any machine,
 * so an image's digest follows from its inputs alone (the property ko, apko and rules_oci build on;
 * reproducible-builds.org/docs/archives). What the files on disk carry and a layer must not is
 * dropped: modification times (all SOURCE_EPOCH), owners (numeric, no names), the umask's effect on
 * modes (modes are given, not read), and the order a directory lists in (entries are sorted).
 *
 * Format: POSIX ustar, with a pax extended header for a path or link target too long for ustar's
 * fields (IEEE Std 1003.1-2017, pax, "ustar Interchange Format" and "pax Header Block").
 */

/** One entry of a layer. Paths are relative to the image root, without a leading slash. */
export type TarEntry =
  | { readonly type: "dir"; readonly path: string; readonly mode: number; readonly uid?: number; readonly gid?: number }
  | { readonly type: "file"; readonly path: string; readonly mode: number; readonly content: Buffer; readonly uid?: number; readonly gid?: number }
  | { readonly type: "symlink"; readonly path: string; readonly target: string };

/** The modification time of every entry: the epoch, as ko and apko write it (SOURCE_DATE_EPOCH=0). */
export const SOURCE_EPOCH = 0;

const BLOCK = 512;

function octal(value: number, width: number): string {
  // width includes the terminating NUL.
  const text = value.toString(8).padStart(width - 1, "0");
  if (text.length > width - 1) throw new Error(`tar: ${value} does not fit a ${width}-byte octal field`);
  return `${text}\0`;
}

function header(name: string, prefix: string, e: { mode: number; uid: number; gid: number; size: number; typeflag: string; linkname: string }): Buffer {
  const h = Buffer.alloc(BLOCK, 0);
  h.write(name, 0, 100, "utf8");
  h.write(octal(e.mode, 8), 100, "ascii");
  h.write(octal(e.uid, 8), 108, "ascii");
  h.write(octal(e.gid, 8), 116, "ascii");
  h.write(octal(e.size, 12), 124, "ascii");
  h.write(octal(SOURCE_EPOCH, 12), 136, "ascii");
  h.write("        ", 148, "ascii"); // the checksum is computed with its own field as spaces
  h.write(e.typeflag, 156, "ascii");
  h.write(e.linkname, 157, 100, "utf8");
  h.write("ustar\0", 257, "ascii");
  h.write("00", 263, "ascii");
  h.write(octal(0, 8), 329, "ascii"); // devmajor
  h.write(octal(0, 8), 337, "ascii"); // devminor
  h.write(prefix, 345, 155, "utf8");
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
  return h;
}

/** ustar keeps a path up to 255 bytes as prefix/name split at a slash; undefined when it cannot. */
function split(path: string): { name: string; prefix: string } | undefined {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: "" };
  for (let i = path.lastIndexOf("/"); i > 0; i = path.lastIndexOf("/", i - 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name.length > 0) return { name, prefix };
  }
  return undefined;
}

function paxRecord(key: string, value: string): string {
  // "%d %s=%s\n", where the length counts itself.
  const rest = ` ${key}=${value}\n`;
  let n = Buffer.byteLength(rest);
  while (String(n).length + Buffer.byteLength(rest) !== n) n = String(n).length + Buffer.byteLength(rest);
  return `${n}${rest}`;
}

const pad = (size: number) => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK, 0);

/** The bytes of one tar archive of `entries`, sorted by path, ended by two zero blocks. */
export function tarArchive(entries: readonly TarEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.path === sorted[i - 1]!.path) throw new Error(`tar: ${sorted[i]!.path} is given twice`);
  }
  const out: Buffer[] = [];
  for (const e of sorted) {
    if (e.path.startsWith("/") || e.path.split("/").includes("..")) throw new Error(`tar: ${e.path}: a layer path is relative and stays inside the image`);
    const path = e.type === "dir" ? `${e.path}/` : e.path;
    const linkname = e.type === "symlink" ? e.target : "";
    const size = e.type === "file" ? e.content.length : 0;
    const fields = {
      mode: e.type === "symlink" ? 0o777 : e.mode & 0o7777,
      uid: e.type === "symlink" ? 0 : e.uid ?? 0,
      gid: e.type === "symlink" ? 0 : e.gid ?? 0,
      size,
      typeflag: e.type === "dir" ? "5" : e.type === "symlink" ? "2" : "0",
    };
    const fits = split(path);
    const linkFits = Buffer.byteLength(linkname) <= 100;
    if (!fits || !linkFits) {
      const records = (fits ? "" : paxRecord("path", path)) + (linkFits ? "" : paxRecord("linkpath", linkname));
      const body = Buffer.from(records, "utf8");
      out.push(header("PaxHeader", "", { mode: 0o644, uid: 0, gid: 0, size: body.length, typeflag: "x", linkname: "" }), body, pad(body.length));
    }
    const { name, prefix } = fits ?? { name: path.slice(-100), prefix: "" };
    out.push(header(name, prefix, { ...fields, linkname: linkFits ? linkname : linkname.slice(0, 100) }));
    if (e.type === "file") out.push(e.content, pad(size));
  }
  out.push(Buffer.alloc(2 * BLOCK, 0));
  return Buffer.concat(out);
}

/**
 * The entries of a tar archive (a Debian package's data, as `dpkg-deb --fsys-tarfile` gives it):
 * type, mode and link target as the archive has them, owner root. Reads ustar, pax path/linkpath
 * records and GNU long names (GNU tar's format, which dpkg-deb writes). Hard links become copies of
 * their target (a layer may hold them, but copies keep this writer simple); device files are refused:
 * the packages an image is built from carry none.
 */
export function tarEntries(archive: Buffer, source: string): TarEntry[] {
  const out: TarEntry[] = [];
  const files = new Map<string, TarEntry & { type: "file" }>();
  let longName: string | undefined;
  let longLink: string | undefined;
  const clean = (p: string) => p.replace(/^\.\//, "").replace(/^\.$/, "").replace(/\/+$/, "");
  const text = (b: Buffer, at: number, len: number) => b.subarray(at, at + len).toString("utf8").replace(/\0.*$/s, "");
  const number = (b: Buffer, at: number, len: number) => parseInt(text(b, at, len).trim() || "0", 8);
  for (let at = 0; at + BLOCK <= archive.length; ) {
    const h = archive.subarray(at, at + BLOCK);
    if (h.every((b) => b === 0)) break;
    const size = number(h, 124, 12);
    const typeflag = String.fromCharCode(h[156]!) || "0";
    const body = archive.subarray(at + BLOCK, at + BLOCK + size);
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (typeflag === "L") { longName = text(body, 0, size); continue; }
    if (typeflag === "K") { longLink = text(body, 0, size); continue; }
    if (typeflag === "x") {
      for (const m of body.toString("utf8").matchAll(/^\d+ (path|linkpath)=(.*)$/gm)) {
        if (m[1] === "path") longName = m[2]; else longLink = m[2];
      }
      continue;
    }
    const prefix = text(h, 345, 155);
    const path = clean(longName ?? (prefix ? `${prefix}/${text(h, 0, 100)}` : text(h, 0, 100)));
    const link = longLink ?? text(h, 157, 100);
    longName = longLink = undefined;
    const mode = number(h, 100, 8) & 0o7777;
    if (!path) continue; // the archive's root, "./"
    if (typeflag === "5") out.push({ type: "dir", path, mode });
    else if (typeflag === "2") out.push({ type: "symlink", path, target: link });
    else if (typeflag === "0" || typeflag === "\0") {
      const e = { type: "file" as const, path, mode, content: Buffer.from(body) };
      files.set(path, e);
      out.push(e);
    } else if (typeflag === "1") {
      const target = files.get(clean(link));
      if (!target) throw new Error(`${source}: ${path} is a hard link to ${link}, which comes later or not at all`);
      out.push({ ...target, path, mode });
    } else throw new Error(`${source}: ${path} has tar type ${JSON.stringify(typeflag)}; an image is built from files, directories and links only`);
  }
  return out;
}

/** Directory entries for every parent of the given paths that the entries do not already list (mode 0755, root). */
export function withParents(entries: readonly TarEntry[]): TarEntry[] {
  const have = new Set(entries.map((e) => e.path));
  const parents: TarEntry[] = [];
  for (const e of entries) {
    const parts = e.path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const p = parts.slice(0, i).join("/");
      if (!have.has(p)) {
        have.add(p);
        parents.push({ type: "dir", path: p, mode: 0o755 });
      }
    }
  }
  return [...entries, ...parents];
}
