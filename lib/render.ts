import { readInputs } from "./inputs.ts";
import { writeTree, type TreeDiff } from "./tree.ts";
import { loadRepository } from "../generators/inputs/load.ts";
import { renderRepository } from "../generators/render.ts";

/** Reads inputs from `root` and renders them in memory; throws the loader's or the validator's error. */
export async function renderFrom(root: string): Promise<Map<string, string>> {
  return renderRepository(loadRepository(await readInputs(root)));
}

/** `npm run render` on `root`: render in memory, then swap the rendered folders in. */
export async function renderCommand(root: string): Promise<{ files: Map<string, string>; diff: TreeDiff }> {
  const files = await renderFrom(root);
  return { files, diff: await writeTree(root, files) };
}
