// npm run bench:gate -- <result.json> [--last <result.json>]
// npm run bench:gate -- --matrix
//
// The bare-metal benchmark gate of .github/workflows/bench.yml. With a result file (what the
// benchmark image writes), judges it against the component's budget in engine/catalog.yaml and the
// last result on main (checks/bench-gate.ts) and exits 1 on a failure. With --matrix, prints the
// workflow's job matrix as JSON: one entry per component with its node pool and the runner label of
// that pool, read from the catalog, so a new component or pool needs no workflow edit.
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { main } from "./lib/run.ts";
import { readInputs } from "../lib/inputs.ts";
import { loadRepository } from "../generators/inputs/load.ts";
import { benchResultIssues, judgeBench, type BenchResult } from "../checks/bench-gate.ts";
import { benchMatrix } from "../checks/bench-matrix.ts";

async function readResult(file: string): Promise<BenchResult> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: cannot read a benchmark result: ${(e as Error).message}`);
  }
  const issues = benchResultIssues(value);
  if (issues.length) throw new Error(`${file}: not a benchmark result:\n${issues.map((i) => `  ${file}: ${i}`).join("\n")}`);
  return value as BenchResult;
}

await main(async () => {
  const { values, positionals } = parseArgs({ options: { last: { type: "string" }, matrix: { type: "boolean" } }, allowPositionals: true, strict: true });
  const model = loadRepository(await readInputs(process.cwd()));
  if (values.matrix) {
    console.log(JSON.stringify({ include: benchMatrix(model.catalog) }));
    return 0;
  }
  if (positionals.length !== 1) throw new Error("usage: npm run bench:gate -- <result.json> [--last <result.json>] | --matrix");
  const result = await readResult(positionals[0]!);
  const last = values.last ? await readResult(values.last) : undefined;
  const verdict = judgeBench(model.catalog, result, last);
  console.log(`${result.component} on ${result.instanceType}: ${verdict.ok ? "passed" : "FAILED"}`);
  for (const l of verdict.lines) console.log(`  ${l}`);
  return verdict.ok ? 0 : 1;
});
