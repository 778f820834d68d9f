import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { OWNED_DIRS, RENDERED_DIRS, isRendered } from "../generators/render.ts";
import { INPUT_DIRS, VERSIONS_FILE } from "./inputs.ts";

/** Copies a repository's inputs (with the version file) and rendered tree (what a render reads and writes) to `to`. */
export async function copyRepository(from: string, to: string): Promise<void> {
  for (const d of [...INPUT_DIRS, ...OWNED_DIRS, VERSIONS_FILE]) {
    if (existsSync(join(from, d))) await cp(join(from, d), join(to, d), { recursive: true });
  }
}

/**
 * Every file under the rendered folders of `root`: path → text. By default the manifests (what the
 * validators, the policy and Argo CD read); `OWNED_DIRS` adds the infrastructure modules.
 */
export async function readRendered(root: string, dirs: readonly string[] = RENDERED_DIRS): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const dir of dirs) {
    if (!existsSync(join(root, dir))) continue;
    for (const e of await readdir(join(root, dir), { recursive: true, withFileTypes: true })) {
      if (!e.isFile()) continue;
      const abs = join(e.parentPath, e.name);
      out.set(relative(root, abs).split(sep).join("/"), await readFile(abs, "utf8"));
    }
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

export interface TreeDiff {
  readonly added: string[];
  readonly changed: string[];
  readonly removed: string[];
}

export function diffTrees(before: Map<string, string>, after: Map<string, string>): TreeDiff {
  const added: string[] = [];
  const changed: string[] = [];
  const removed: string[] = [];
  for (const [p, text] of after) {
    if (!before.has(p)) added.push(p);
    else if (before.get(p) !== text) changed.push(p);
  }
  for (const p of before.keys()) if (!after.has(p)) removed.push(p);
  return { added, changed, removed };
}

/**
 * Replaces the rendered folders of `root` with `files`, all or nothing: the new tree is written to
 * a temporary folder beside them and swapped in with renames; if any step fails, the old folders
 * are put back. Files in the rendered folders that the render did not write (no header) are never
 * deleted: the call refuses and names them.
 */
export async function writeTree(root: string, files: Map<string, string>): Promise<TreeDiff> {
  const before = await readRendered(root, OWNED_DIRS);
  const foreign = [...before].filter(([p, text]) => !isRendered(p, text)).map(([p]) => p);
  if (foreign.length > 0) {
    throw new Error(
      `refusing to render: these files in ${OWNED_DIRS.join("/, ")}/ were not written by the render and would be deleted:\n` +
        foreign.map((p) => `  ${p}`).join("\n") +
        `\nMove what they hold into engine/ or environments/ (or delete them), then render again.`,
    );
  }
  for (const p of files.keys()) {
    if (!OWNED_DIRS.some((d) => p.startsWith(d + "/"))) throw new Error(`render produced ${p}, outside ${OWNED_DIRS.join(", ")}`);
  }
  const tmp = await mkdtemp(join(root, ".render-tmp-"));
  const swapped: string[] = [];
  try {
    for (const [p, text] of files) {
      await mkdir(dirname(join(tmp, "new", p)), { recursive: true });
      await writeFile(join(tmp, "new", p), text);
    }
    await mkdir(join(tmp, "old"));
    for (const dir of OWNED_DIRS) {
      if (existsSync(join(root, dir))) await rename(join(root, dir), join(tmp, "old", dir));
      swapped.push(dir);
      if (existsSync(join(tmp, "new", dir))) await rename(join(tmp, "new", dir), join(root, dir));
    }
  } catch (e) {
    // Put back exactly what was there.
    for (const dir of swapped.reverse()) {
      await rm(join(root, dir), { recursive: true, force: true });
      if (existsSync(join(tmp, "old", dir))) await rename(join(tmp, "old", dir), join(root, dir));
    }
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  await rm(tmp, { recursive: true, force: true });
  return diffTrees(before, files);
}
