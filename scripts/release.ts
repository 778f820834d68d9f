// npm run release -- <component> <version> <digest>     (or bitactor-operator, the operator's image)
//
// Pins a new version of one component in the first wave of environments/waves.yaml only (staging),
// in place in the region files (comments and layout kept), renders, and prints what a reviewer
// sees: which stages change, from which version to which. The rest of the way is npm run promote,
// wave by wave (docs/releases.md).
import { main } from "./lib/run.ts";
import { readInputs } from "../lib/inputs.ts";
import { loadRepository } from "../generators/inputs/load.ts";
import { releaseChanges, ReleaseRefused, summary } from "./lib/release-plan.ts";
import { applyPins, treeLine } from "./lib/apply-pins.ts";
import { OPERATOR_RELEASE } from "../generators/inputs/pins.ts";

const USAGE = "usage: npm run release -- <component> <version> <digest>   (e.g. order-engine 4.14.0 sha256:<64 hex>; the operator is bitactor-operator)";

await main(async () => {
  const args = process.argv.slice(2);
  if (args.length !== 3 || args.some((a) => a.startsWith("-"))) throw new Error(USAGE);
  const [component, version, digest] = args as [string, string, string];
  const root = process.cwd();
  const model = loadRepository(await readInputs(root));
  let plan;
  try {
    plan = releaseChanges(model, component, version, digest);
  } catch (e) {
    if (e instanceof ReleaseRefused) {
      console.error(`release refused: ${e.message}`);
      return 1;
    }
    throw e;
  }
  const d = await applyPins(root, component, plan.changes);
  console.log(`release ${component} ${version} into ${plan.wave} (the first wave of environments/waves.yaml):`);
  for (const line of summary(plan.changes)) console.log(line);
  console.log(treeLine(d));
  const next = model.plan.waves[1];
  const judged = component === OPERATOR_RELEASE ? "rolls the operator out (promote judges its Deployment, its BitActorCluster and its Lease)" : "the gate judges the release";
  console.log(`next: commit, merge; Argo CD syncs ${plan.changes.map((c) => c.stage.id).join(", ")} and ${judged}.`);
  if (next) console.log(`then: npm run promote -- ${component}   (to ${next.name}, once ${plan.wave} has run it promoted for ${model.plan.waves[0]!.soak})`);
});
