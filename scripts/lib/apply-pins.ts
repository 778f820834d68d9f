import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { loadRepository } from "../../generators/inputs/load.ts";
import { renderRepository } from "../../generators/render.ts";
import { editPin } from "./edit-yaml.ts";
import { readInputs } from "../../lib/inputs.ts";
import type { PinChange } from "./release-plan.ts";
import { writeTree, type TreeDiff } from "../../lib/tree.ts";

/**
 * Writes pin changes into their region files (layout kept) and renders. Everything is decided and
 * rendered in memory first: an edit that cannot keep a file's layout, an input error or a render
 * error writes nothing.
 */
export async function applyPins(root: string, component: string, changes: readonly PinChange[]): Promise<TreeDiff> {
  const edited = new Map<string, string>();
  for (const c of changes) {
    const text = edited.get(c.stage.file) ?? (await readFile(join(root, c.stage.file), "utf8"));
    edited.set(c.stage.file, editPin(c.stage.file, text, { component, ...c.to }));
  }
  const inputs = (await readInputs(root)).map((f) => ({ path: f.path, text: edited.get(f.path) ?? f.text }));
  const files = renderRepository(loadRepository(inputs));
  for (const [file, text] of edited) await writeFile(join(root, file), text);
  return writeTree(root, files);
}

export const treeLine = (d: TreeDiff) => `rendered: ${d.added.length} added, ${d.changed.length} changed, ${d.removed.length} removed`;
