import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import type { InputFile } from "../generators/inputs/types.ts";

/** The folders people write; the render reads them. */
export const INPUT_DIRS = ["engine", "environments"] as const;

/** The one version file: the render reads its add-on releases. */
export const VERSIONS_FILE = "tools/versions.json";

/** Every YAML file under `engine/` and `environments/`, and the version file, as repository-relative paths with text. */
export async function readInputs(root: string): Promise<InputFile[]> {
  const files: InputFile[] = [];
  try {
    files.push({ path: VERSIONS_FILE, text: await readFile(join(root, VERSIONS_FILE), "utf8") });
  } catch (e) {
    // A missing file is reported by the loader as a missing input; anything else is real.
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  for (const dir of INPUT_DIRS) {
    let entries;
    try {
      entries = await readdir(join(root, dir), { recursive: true, withFileTypes: true });
    } catch (e) {
      // A missing folder is reported by the loader as a missing input; anything else is real.
      if ((e as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw e;
    }
    for (const e of entries) {
      if (!e.isFile() || !/\.ya?ml$/.test(e.name)) continue;
      const abs = join(e.parentPath, e.name);
      files.push({ path: relative(root, abs).split(sep).join("/"), text: await readFile(abs, "utf8") });
    }
  }
  return files;
}
