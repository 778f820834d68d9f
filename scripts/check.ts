// npm run check: fails with the list of drifted files when the committed tree is not a fresh render.
// `npm run diff` (--diff) also prints a unified diff of each drifted file.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { main, renderFrom } from "./lib/run.ts";
import { diffTrees, readRendered, writeTree } from "./lib/tree.ts";

const root = process.cwd();
const showDiff = process.argv.includes("--diff");
await main(async () => {
  const fresh = await renderFrom(root);
  const tmp = await mkdtemp(join(tmpdir(), "bitactor-render-"));
  await writeTree(tmp, fresh);
  const d = diffTrees(await readRendered(root), await readRendered(tmp));
  const drift = [...d.added.map((p) => `missing   ${p}`), ...d.changed.map((p) => `differs   ${p}`), ...d.removed.map((p) => `stale     ${p}`)];
  if (drift.length === 0) {
    await rm(tmp, { recursive: true, force: true });
    console.log(`check: the committed tree equals a fresh render (${fresh.size} files)`);
    return 0;
  }
  console.error(`check: ${drift.length} rendered file(s) drifted from the inputs; run \`npm run render\` and commit:`);
  for (const line of drift) console.error(`  ${line}`);
  if (showDiff) {
    for (const p of [...d.added, ...d.changed, ...d.removed]) {
      spawnSync("diff", ["-u", "--label", `committed/${p}`, "--label", `rendered/${p}`, join(root, p), join(tmp, p)], { stdio: "inherit" });
    }
  }
  console.error(`fresh render kept in ${tmp}`);
  return 1;
});
