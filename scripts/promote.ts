// npm run promote -- <component> [--to <wave>] [--dry-run]
//
// Moves the version the previous wave runs into the next wave's region files, only when every stage
// of the previous wave has run it, promoted by its gate and not rolled back, for at least that
// wave's soak (environments/waves.yaml). The evidence is read from the live clusters with the
// user's kubectl and kubeconfig (context = the region's cluster.name) and printed; missing or
// negative evidence refuses, saying why. --dry-run judges and prints, and writes nothing.
import { parseArgs } from "node:util";
import { main } from "./lib/run.ts";
import { readInputs } from "../lib/inputs.ts";
import { loadRepository } from "../generators/inputs/load.ts";
import { soakSeconds } from "../generators/inputs/plan.ts";
import { nextPromotion, ReleaseRefused, summary } from "./lib/release-plan.ts";
import { applyPins, treeLine } from "./lib/apply-pins.ts";
import { stageEvidence } from "./lib/live.ts";
import { shortDigest } from "../checks/release-order.ts";

const USAGE = "usage: npm run promote -- <component> [--to <wave>] [--dry-run]";

await main(async () => {
  const { values, positionals } = parseArgs({ options: { to: { type: "string" }, "dry-run": { type: "boolean" } }, allowPositionals: true, strict: true });
  if (positionals.length !== 1) throw new Error(USAGE);
  const component = positionals[0]!;
  const root = process.cwd();
  const model = loadRepository(await readInputs(root));
  let p;
  try {
    p = nextPromotion(model, component, values.to);
  } catch (e) {
    if (e instanceof ReleaseRefused) {
      console.error(`promote refused: ${e.message}`);
      return 1;
    }
    throw e;
  }
  if ("upToDate" in p) {
    console.log(p.upToDate);
    return 0;
  }
  console.log(`promote ${component} ${p.pin.version} (${shortDigest(p.pin.digest)}) from ${p.from.name} to ${p.to.name}; ${p.from.name}'s soak: ${p.from.soak}`);
  if (p.changes.length === 0) {
    console.log(`${p.to.name} already runs it: nothing to promote`);
    return 0;
  }
  console.log(`evidence from ${p.from.name} (kubectl, context = cluster name):`);
  const evidence = p.from.stages.map((s) => stageEvidence(s, component, p.pin.digest, soakSeconds(p.from.soak)));
  const w = Math.max(...p.from.stages.map((s) => s.id.length));
  for (const [i, e] of evidence.entries()) console.log(`  ${e.ok ? "ok " : "NO "} ${e.stage.padEnd(w)}  ${p.from.stages[i]!.cluster}: ${e.detail}`);
  const missing = evidence.filter((e) => !e.ok);
  if (missing.length > 0) {
    console.error(`promote refused: ${missing.map((e) => e.stage).join(", ")} ${missing.length === 1 ? "has" : "have"} not run ${component} ${p.pin.version} promoted and unrolled-back for ${p.from.soak}; nothing was written`);
    return 1;
  }
  console.log(`${p.to.name} changes:`);
  for (const line of summary(p.changes)) console.log(line);
  if (values["dry-run"]) {
    console.log("dry run: nothing was written");
    return 0;
  }
  console.log(treeLine(await applyPins(root, component, p.changes)));
  console.log(`next: commit and merge (the evidence above belongs in the merge request); Argo CD syncs ${p.changes.map((c) => c.stage.id).join(", ")} and each gate judges it there.`);
});
