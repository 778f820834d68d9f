// npm run clusters: the cluster of every region, one name per line (`cluster.name` of each region
// file, as Argo CD must know it), for the bootstrap's `argocd cluster add`. Inputs are validated as
// by a render; a bad region file fails with its located error.
//   npm run --silent clusters [-- --environment production]
import { parseArgs } from "node:util";
import { main } from "./lib/run.ts";
import { readInputs } from "../lib/inputs.ts";
import { loadRepository } from "../generators/inputs/load.ts";

await main(async () => {
  const { values } = parseArgs({ options: { environment: { type: "string" } } });
  const model = loadRepository(await readInputs(process.cwd()));
  const envs = model.environments.filter((e) => !values.environment || e.settings.environment === values.environment);
  if (envs.length === 0) throw new Error(`no environment ${values.environment}: choose from ${model.environments.map((e) => e.settings.environment).join(", ")}`);
  for (const name of [...new Set(envs.flatMap((e) => e.regions.map((r) => r.cluster.name)))].sort()) console.log(name);
});
