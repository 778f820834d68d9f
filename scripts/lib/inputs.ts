import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import type { InputFile } from "../../generators/inputs/types.ts";

/** Every YAML file under `engine/` and `environments/`, as repository-relative paths with text. */
export async function readInputs(root: string): Promise<InputFile[]> {
  const files: InputFile[] = [];
  for (const dir of ["engine", "environments"]) {
    let entries;
    try {
      entries = await readdir(join(root, dir), { recursive: true, withFileTypes: true });
    } catch {
      continue; // a missing folder is reported by the loader as a missing input
    }
    for (const e of entries) {
      if (!e.isFile() || !/\.ya?ml$/.test(e.name)) continue;
      const abs = join(e.parentPath, e.name);
      files.push({ path: relative(root, abs).split(sep).join("/"), text: await readFile(abs, "utf8") });
    }
  }
  return files;
}
