import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { build } from "esbuild";
import { REPO } from "../lib/repo.ts";
import { cacheDir } from "./build.ts";
import { ociImage, type OciImage } from "./oci.ts";
import { tarArchive, tarEntries, withParents, type TarEntry } from "./tar.ts";

/**
 * The operator's image (operator/image.json), built without a container runtime: a distroless-style
 * root (Debian's C/C++ runtime, no shell, no package manager), the official node binary, and the
 * operator bundled into one file. Every input is fetched by checksum and cached outside the
 * repository; the layers are deterministic tars (tar.ts), so the digest follows from the inputs.
 */

export interface DebianPackage {
  readonly package: string;
  readonly version: string;
  readonly filename: string;
  readonly sha256: string;
}

export interface ImageInputs {
  readonly repository: string;
  readonly source: string;
  readonly user: { readonly uid: number; readonly name: string };
  readonly runtime: { readonly package: string; readonly version: string; readonly integrity: string };
  readonly debian: { readonly release: string; readonly mirror: string; readonly packages: readonly DebianPackage[] };
  readonly digest: string;
}

export const IMAGE_FILE = "operator/image.json";

export function imageInputs(): ImageInputs {
  return JSON.parse(readFileSync(join(REPO, IMAGE_FILE), "utf8")) as ImageInputs;
}

/** The operator's version: operator/package.json's, the image's tag. */
export function operatorVersion(): string {
  return (JSON.parse(readFileSync(join(REPO, "operator/package.json"), "utf8")) as { version: string }).version;
}

/** Fetches a URL once into the cache, verified against `expected` (its `algorithm` digest, in `encoding`); a mismatch keeps nothing. */
async function fetchVerified(url: string, algorithm: "sha256" | "sha512", expected: string, encoding: "hex" | "base64", what: string): Promise<Buffer> {
  const dir = join(cacheDir(), "downloads");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${algorithm}-${Buffer.from(expected, encoding).toString("hex")}`);
  if (existsSync(file)) return readFileSync(file);
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new Error(`${IMAGE_FILE}: ${what}: cannot fetch ${url}: ${(e as Error).message}`);
  }
  if (!response.ok) throw new Error(`${IMAGE_FILE}: ${what}: ${url} answered HTTP ${response.status}${response.status === 404 ? " (a Debian point release removes superseded files from the pool: move the pin to the version `apt-cache show` gives)" : ""}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  const got = createHash(algorithm).update(bytes).digest(encoding);
  if (got !== expected) throw new Error(`${IMAGE_FILE}: ${what}: ${url} has ${algorithm} ${got}, the pin says ${expected}; nothing was kept`);
  writeFileSync(`${file}.tmp-${process.pid}`, bytes);
  renameSync(`${file}.tmp-${process.pid}`, file);
  return bytes;
}

/** A Debian package's files and its dpkg record (status.d, as distroless writes it, so scanners find the package). */
async function debianLayerEntries(inputs: ImageInputs): Promise<TarEntry[]> {
  const entries = new Map<string, TarEntry>();
  for (const p of inputs.debian.packages) {
    const url = `${inputs.debian.mirror}/${p.filename}`;
    await fetchVerified(url, "sha256", p.sha256, "hex", `debian.packages ${p.package}`);
    const file = join(cacheDir(), "downloads", `sha256-${p.sha256}`);
    let data: Buffer;
    let control: string;
    try {
      data = execFileSync("dpkg-deb", ["--fsys-tarfile", file], { maxBuffer: 1 << 30 });
      control = execFileSync("dpkg-deb", ["--field", file], { encoding: "utf8" });
    } catch (e) {
      throw new Error(`reading ${p.package} needs dpkg-deb (Debian's dpkg, on every Debian and Ubuntu machine): ${(e as Error).message}`);
    }
    const fields = Object.fromEntries([...control.matchAll(/^([A-Za-z-]+): (.*)$/gm)].map((m) => [m[1], m[2]]));
    if (fields.Package !== p.package || fields.Version !== p.version) {
      throw new Error(`${IMAGE_FILE}: debian.packages ${p.package}: ${p.filename} is ${fields.Package} ${fields.Version}, the pin says ${p.package} ${p.version}`);
    }
    for (const e of tarEntries(data, p.filename)) {
      const had = entries.get(e.path);
      if (had && !(had.type === "dir" && e.type === "dir" && had.mode === e.mode)) throw new Error(`${IMAGE_FILE}: ${e.path} comes from two packages (${p.package} and an earlier one)`);
      entries.set(e.path, e);
    }
    // dpkg's own status lines; the rest is the package's control, as dpkg keeps it.
    const record = `Package: ${p.package}\nStatus: install ok installed\n${control.replace(/^Package: .*\n/m, "")}`;
    entries.set(`var/lib/dpkg/status.d/${p.package}`, { type: "file", path: `var/lib/dpkg/status.d/${p.package}`, mode: 0o644, content: Buffer.from(record.endsWith("\n") ? record : `${record}\n`) });
  }
  const { uid, name } = inputs.user;
  entries.set("etc/passwd", { type: "file", path: "etc/passwd", mode: 0o644, content: Buffer.from(`root:x:0:0:root:/root:/sbin/nologin\n${name}:x:${uid}:${uid}:${name}:/home/${name}:/sbin/nologin\n`) });
  entries.set("etc/group", { type: "file", path: "etc/group", mode: 0o644, content: Buffer.from(`root:x:0:\n${name}:x:${uid}:\n`) });
  entries.set(`home/${name}`, { type: "dir", path: `home/${name}`, mode: 0o700, uid, gid: uid });
  return withParents([...entries.values()]);
}

/** The official node binary and its licence, from the npm package that republishes it. */
async function runtimeEntries(inputs: ImageInputs): Promise<TarEntry[]> {
  const r = inputs.runtime;
  const [algorithm, expected] = r.integrity.split("-", 2) as ["sha512", string];
  const url = `https://registry.npmjs.org/${r.package}/-/${r.package}-${r.version}.tgz`;
  const tgz = await fetchVerified(url, algorithm, expected, "base64", `runtime ${r.package}@${r.version}`);
  const inside = new Map(tarEntries(gunzipSync(tgz), url).map((e) => [e.path, e]));
  const pick = (path: string) => {
    const e = inside.get(path);
    if (!e || e.type !== "file") throw new Error(`${IMAGE_FILE}: runtime: ${url} has no file ${path}`);
    return e.content;
  };
  return withParents([
    { type: "file", path: "nodejs/bin/node", mode: 0o755, content: pick("package/bin/node") },
    { type: "file", path: "nodejs/LICENSE", mode: 0o644, content: pick("package/LICENSE") },
  ]);
}

/**
 * The operator and its dependencies (operator/package-lock.json) as one ES module, and the npm
 * packages that went into it. esbuild's output depends on its version (package.json pins it), the
 * sources and the options below, never on the machine: paths in it are relative to operator/.
 */
export async function operatorBundle(runtimeVersion: string): Promise<{ readonly bundle: Buffer; readonly packages: readonly string[] }> {
  const result = await build({
    entryPoints: ["src/main.ts"],
    absWorkingDir: join(REPO, "operator"),
    bundle: true,
    platform: "node",
    // The syntax of the Node the image runs (image.json runtime), nothing newer.
    target: `node${runtimeVersion.split(".")[0]}`,
    format: "esm",
    write: false,
    metafile: true,
    outfile: "operator.mjs",
    logLevel: "silent",
    // Bundled CommonJS dependencies call require() for Node's built-ins, which an ES module lacks
    // (esbuild FAQ, "require is not defined" in ESM output: evanw/esbuild#1921).
    // debug (under client-node) tries require("supports-color") and does without it; the operator's
    // lock has no such package, and resolving it from the repository's node_modules above would put
    // code into the image that operator/package-lock.json does not name.
    external: ["supports-color"],
    banner: { js: 'import { createRequire as __operatorRequire } from "node:module"; const require = __operatorRequire(import.meta.url);' },
  });
  const packages = new Set<string>();
  const outside = Object.keys(result.metafile.inputs).filter((i) => i.startsWith("../"));
  if (outside.length > 0) throw new Error(`the operator's bundle resolved files outside operator/ (not in operator/package-lock.json): ${outside.slice(0, 5).join(", ")}; add the package to operator/package.json or mark it external`);
  for (const input of Object.keys(result.metafile.inputs)) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) packages.add(m[1]!);
  }
  return { bundle: Buffer.from(result.outputFiles[0]!.contents), packages: [...packages].sort() };
}

/** The port /metrics, /healthz and /readyz listen on (operator/src/main.ts METRICS_ADDRESS default). */
export const OPERATOR_PORT = 8080;

/** The operator's image from the pinned inputs (operator/image.json unless given) and the working tree's operator/. */
export async function buildOperatorImage(inputs: ImageInputs = imageInputs()): Promise<OciImage> {
  const version = operatorVersion();
  const base = tarArchive(await debianLayerEntries(inputs));
  const runtime = tarArchive(await runtimeEntries(inputs));
  // A bundle hides its dependencies from scanners, which find npm packages in an image by their
  // package.json under node_modules (Trivy's node-pkg analyzer): each package esbuild took code from
  // keeps its own package.json there, so the vulnerability scan sees exactly what the bundle holds.
  const { bundle, packages } = await operatorBundle(inputs.runtime.version);
  const app = tarArchive(
    withParents([
      { type: "file", path: "app/operator.mjs", mode: 0o644, content: bundle },
      ...packages.map((dir): TarEntry => ({ type: "file", path: `app/${dir}/package.json`, mode: 0o644, content: readFileSync(join(REPO, "operator", dir, "package.json")) })),
    ]),
  );
  const { uid } = inputs.user;
  return ociImage(
    [
      { tar: base, history: `debian ${inputs.debian.release}: ${inputs.debian.packages.map((p) => `${p.package} ${p.version}`).join(", ")}; ${inputs.user.name} ${uid}` },
      { tar: runtime, history: `${inputs.runtime.package} ${inputs.runtime.version}` },
      { tar: app, history: `bitactor-operator ${version} (operator/src bundled by esbuild)` },
    ],
    {
      user: `${uid}:${uid}`,
      entrypoint: ["/nodejs/bin/node", "/app/operator.mjs"],
      env: ["PATH=/nodejs/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "NODE_ENV=production"],
      workingDir: "/app",
      exposedPorts: [`${OPERATOR_PORT}/tcp`],
      labels: {
        "org.opencontainers.image.title": "bitactor-operator",
        "org.opencontainers.image.description": "Reconciles BitActorCluster; opens a region's order flow only when it is TradingReady.",
        "org.opencontainers.image.version": version,
        "org.opencontainers.image.source": inputs.source,
        "org.opencontainers.image.base.name": `debian:${inputs.debian.release} (${inputs.debian.packages.map((p) => p.package).join(", ")})`,
      },
    },
    version,
  );
}
