// npm run render: inputs → validated objects → rendered folders, swapped in only on success.
import { main } from "./lib/run.ts";
import { renderCommand } from "../lib/render.ts";

await main(async () => {
  const { files, diff: d } = await renderCommand(process.cwd());
  for (const [sign, list] of [["+", d.added], ["~", d.changed], ["-", d.removed]] as const) for (const p of list) console.log(`${sign} ${p}`);
  console.log(`rendered ${files.size} files: ${d.added.length} added, ${d.changed.length} changed, ${d.removed.length} removed`);
});
