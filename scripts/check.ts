// npm run check: fails with the list of drifted files when the committed tree is not a fresh render,
// and when a pin in the git history (or the working tree) broke the release order of
// environments/waves.yaml (checks/release-order.ts), and when an add-on's pinned release is not
// published (checks/addon-releases.ts). `npm run diff` (--diff) also prints a unified diff of each
// drifted file.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { main } from "./lib/run.ts";
import { renderFrom } from "../lib/render.ts";
import { diffTrees, readRendered, writeTree } from "../lib/tree.ts";
import { readHistory } from "./lib/history.ts";
import { checkReleaseOrder, short, shortDigest } from "../checks/release-order.ts";
import { OWNED_DIRS } from "../generators/render.ts";
import { addonReleaseReport } from "../checks/addon-releases.ts";
import { moduleMissing } from "../toolchain/build.ts";
import { operatorPinIssues } from "../checks/operator-pins.ts";
import { imageInputs, operatorVersion } from "../toolchain/operator-image.ts";
import { readInputs } from "../lib/inputs.ts";
import { INPUT_LAYOUT } from "../generators/inputs/load.ts";

const root = process.cwd();
const showDiff = process.argv.includes("--diff");
await main(async () => {
  const fresh = await renderFrom(root);
  const tmp = await mkdtemp(join(tmpdir(), "bitactor-render-"));
  await writeTree(tmp, fresh);
  const d = diffTrees(await readRendered(root, OWNED_DIRS), await readRendered(tmp, OWNED_DIRS));
  const drift = [...d.added.map((p) => `missing   ${p}`), ...d.changed.map((p) => `differs   ${p}`), ...d.removed.map((p) => `stale     ${p}`)];
  const order = releaseOrder(await readHistory(root));
  const releases = addonReleases(await readFile(join(root, "tools", "versions.json"), "utf8"));
  const pins = await operatorPins();
  if (drift.length === 0) {
    await rm(tmp, { recursive: true, force: true });
    console.log(`check: the committed tree equals a fresh render (${fresh.size} files)`);
    return order || releases || pins;
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

/** Prints the release-order report; 1 when a pin broke the order. */
function releaseOrder(history: Awaited<ReturnType<typeof readHistory>>): number {
  const r = checkReleaseOrder(history.snapshots);
  for (const x of r.exceptions) {
    console.log(`check: ${x.how}: ${x.file}:${x.line}: ${short(x.commit)}: ${x.stage} ${x.component} ${shortDigest(x.digest)} skipped the waves: ${x.reason}`);
  }
  const base = !r.baseline ? "(no release plan)" : r.baseline === "working tree" ? "(the release plan is not committed yet: today's pins are its baseline)" : `since ${short(r.baseline)} (the first commit with the release plan)`;
  if (r.violations.length === 0) {
    console.log(`check: release order kept: ${r.judged} pin change(s) judged ${base}, ${r.exceptions.length} exception(s)`);
    return 0;
  }
  console.error(`check: ${r.violations.length} pin(s) broke the release order of environments/waves.yaml ${base}:`);
  for (const v of r.violations) console.error(`  ${v.file}:${v.line}: ${v.field || "(file)"}: ${v.message}`);
  return 1;
}

/** Prints which add-on releases were looked up and found; 1 when one is not published. */
function addonReleases(versionsText: string): number {
  const r = addonReleaseReport(versionsText, moduleMissing);
  if (r.notLookedUp.length) console.log(`check: add-on releases not looked up here (the render still requires an exact version): ${r.notLookedUp.join("; ")}`);
  if (r.problems.length === 0) {
    console.log(`check: ${r.published} add-on release(s) found published (Go module proxy)`);
    return 0;
  }
  console.error(`check: ${r.problems.length} add-on release(s) not published:`);
  for (const p of r.problems) console.error(`  ${p}`);
  return 1;
}

/** Prints whether every region pinning the operator's current version pins the digest this tree builds; 1 when one does not. */
async function operatorPins(): Promise<number> {
  const files = new Map((await readInputs(root)).filter((f) => INPUT_LAYOUT.region.test(f.path)).map((f) => [f.path, f.text]));
  const current = { version: operatorVersion(), digest: imageInputs().digest };
  const issues = operatorPinIssues(files, current);
  if (issues.length === 0) {
    console.log(`check: operator ${current.version} pinned as operator/image.json records it wherever it runs`);
    return 0;
  }
  console.error(`check: ${issues.length} region(s) pin the operator's current version to another image:`);
  for (const i of issues) console.error(`  ${i.file}:${i.line}: ${i.field}: ${i.message}`);
  return 1;
}
