// npm run render: inputs → validated objects → rendered folders, swapped in only on success.
import { main, renderFrom } from "./lib/run.ts";
import { writeTree } from "./lib/tree.ts";

const root = process.cwd();
await main(async () => {
  const files = await renderFrom(root);
  const d = await writeTree(root, files);
  for (const [sign, list] of [["+", d.added], ["~", d.changed], ["-", d.removed]] as const) for (const p of list) console.log(`${sign} ${p}`);
  console.log(`rendered ${files.size} files: ${d.added.length} added, ${d.changed.length} changed, ${d.removed.length} removed`);
});
