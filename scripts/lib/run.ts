import { readInputs } from "./inputs.ts";
import { writeTree, type TreeDiff } from "./tree.ts";
import { loadRepository } from "../../generators/inputs/load.ts";
import { InputValidationError } from "../../generators/inputs/errors.ts";
import { RenderValidationError, renderRepository } from "../../generators/render.ts";

/** Reads inputs from `root` and renders them in memory; throws the loader's or the validator's error. */
export async function renderFrom(root: string): Promise<Map<string, string>> {
  return renderRepository(loadRepository(await readInputs(root)));
}

/** `npm run render` on `root`: render in memory, then swap the rendered folders in. */
export async function renderCommand(root: string): Promise<{ files: Map<string, string>; diff: TreeDiff }> {
  const files = await renderFrom(root);
  return { files, diff: await writeTree(root, files) };
}

/** Runs a script body; failures print their message (no stack trace) and exit 1. */
export async function main(body: () => Promise<number | void>): Promise<void> {
  try {
    process.exitCode = (await body()) ?? 0;
  } catch (e) {
    if (e instanceof InputValidationError || e instanceof RenderValidationError) {
      console.error(`render failed, nothing was written.\n${e.message}`);
    } else {
      console.error(`error: ${(e as Error).message}`);
    }
    process.exitCode = 1;
  }
}
