// npm run infra:outputs -- <stage> [--from <file>]
//
// Writes what a stage's infrastructure knows only after `tofu apply` (generators/infrastructure/outputs.ts:
// the Amazon Managed Prometheus address, whose workspace id AWS chooses) into the stage's region
// file, layout kept, and renders. The values come from `tofu output -json` run in
// infrastructure/<env>/<region>/ (TOFU names another program, e.g. terraform), or from a file that
// command wrote (--from). Everything is checked and rendered in memory first: a value the inputs
// refuse, or one for another region, writes nothing.
import { spawnSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { main } from "./lib/run.ts";
import { readInputs } from "../lib/inputs.ts";
import { editKeepingLayout } from "./lib/edit-yaml.ts";
import { writeTree } from "../lib/tree.ts";
import { treeLine } from "./lib/apply-pins.ts";
import { loadRepository } from "../generators/inputs/load.ts";
import { renderRepository } from "../generators/render.ts";
import { INFRASTRUCTURE_DIR } from "../generators/infrastructure/module.ts";
import { APPLY_OUTPUTS, type ApplyOutput } from "../generators/infrastructure/outputs.ts";

const USAGE = "usage: npm run infra:outputs -- <stage> [--from <file of tofu output -json>]";

await main(async () => {
  const args = process.argv.slice(2);
  const stage = args[0];
  const fromAt = args.indexOf("--from");
  if (!stage || stage.startsWith("--") || (fromAt >= 0 && !args[fromAt + 1])) throw new Error(USAGE);
  const root = process.cwd();
  const inputs = await readInputs(root);
  const model = loadRepository(inputs);
  const found = model.environments.flatMap((e) => e.regions.filter((r) => `${e.settings.environment}-${r.region}` === stage).map((r) => ({ env: e.settings.environment, region: r })))[0];
  if (!found) throw new Error(`unknown stage ${stage}; stages: ${model.environments.flatMap((e) => e.regions.map((r) => `${e.settings.environment}-${r.region}`)).join(", ")}`);
  const folder = join(INFRASTRUCTURE_DIR, found.env, found.region.region);
  const file = `environments/${found.env}/regions/${found.region.region}.yaml`;

  let raw: string;
  if (fromAt >= 0) raw = await readFile(args[fromAt + 1]!, "utf8");
  else {
    const tofu = process.env.TOFU ?? "tofu";
    const r = spawnSync(tofu, ["output", "-json"], { cwd: join(root, folder), encoding: "utf8" });
    if (r.error || r.status !== 0) throw new Error(`${tofu} output -json in ${folder}: ${r.error?.message ?? r.stderr.trim()}`);
    raw = r.stdout;
  }
  const outputs = JSON.parse(raw) as Record<string, { value?: unknown }>;
  const declared = Object.keys((JSON.parse(await readFile(join(root, folder, "main.tf.json"), "utf8")) as { output?: object }).output ?? {}) as ApplyOutput[];
  if (declared.length === 0) {
    console.log(`${stage}: its module declares no value to write back (${Object.keys(APPLY_OUTPUTS).join(", ")} are other clouds'); nothing to do`);
    return 0;
  }
  let text = inputs.find((f) => f.path === file)!.text;
  const changes: string[] = [];
  for (const name of declared) {
    const value = outputs[name]?.value;
    if (typeof value !== "string" || value === "") throw new Error(`${folder}: output ${name} has no value: run tofu apply there first`);
    const { field } = APPLY_OUTPUTS[name];
    const before = parseDocument(text).getIn(field);
    if (before === value) continue;
    text = editKeepingLayout(file, text, (doc) => doc.setIn(field, value));
    const node = parseDocument(text).getIn(field, true) as { range?: [number] };
    const line = text.slice(0, node.range?.[0] ?? 0).split("\n").length;
    changes.push(`${file}:${line}: ${field.join(".")}: ${String(before)} → ${value}`);
  }
  if (changes.length === 0) {
    console.log(`${stage}: the region file already holds every applied value`);
    return 0;
  }
  // The workspace must be the stage's own, in its region.
  const address = parseDocument(text).getIn(APPLY_OUTPUTS.prometheus_address.field);
  if (typeof address === "string" && !address.startsWith(`https://aps-workspaces.${found.region.region}.amazonaws.com/workspaces/`)) {
    throw new Error(`${file}: prometheus.address ${address} is not a workspace in ${found.region.region}; nothing was written`);
  }
  const files = renderRepository(loadRepository(inputs.map((f) => (f.path === file ? { path: f.path, text } : f))));
  await writeFile(join(root, file), text);
  const diff = await writeTree(root, files);
  for (const c of changes) console.log(c);
  console.log(treeLine(diff));
  return 0;
});
