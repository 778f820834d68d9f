// npm run e2e:operator: the BitActor operator end to end. For every row of
// harness/e2e/operator-scenarios.ts, a fresh loopback cluster runs one region from empty with the
// real Argo Rollouts controller, the real prometheus-operator configuring the stage's real
// Prometheus, and the operator as its image runs it (toolchain/operator-image.ts) with the rendered
// account: the order flow opens only once every first release passed, stays closed when one broke
// its budget, and a regression closes it after the grace period. The table says what it saw.
//
//   npm run e2e:operator [-- --environment production --region us-east-1 --only first-release-breaks]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { main } from "./lib/run.ts";
import { runningProcesses } from "../harness/cluster/process.ts";
import { REPO } from "../lib/repo.ts";
import { e2ePrograms } from "../harness/e2e/cluster.ts";
import { REGION_SCENARIOS } from "../harness/e2e/operator-scenarios.ts";
import { loadRegion } from "../harness/e2e/region.ts";
import { runRegionScenario, type RegionRun } from "../harness/e2e/run-region.ts";
import { regionTable } from "../harness/e2e/report.ts";
import { imageText, operatorRuntime } from "../harness/operator/run.ts";

/** Cluster start-ups are CPU-bound (Go programs initialising); spacing them keeps 2 cores responsive. */
const STAGGER_MS = 20_000;

await main(async () => {
  const { values } = parseArgs({
    options: {
      environment: { type: "string", default: "production" },
      region: { type: "string", default: "us-east-1" },
      only: { type: "string" },
    },
  });
  const region = await loadRegion(REPO, values.environment!, values.region!);
  const wanted = values.only?.split(",");
  const unknown = wanted?.filter((id) => !REGION_SCENARIOS.some((s) => s.id === id)) ?? [];
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(", ")}: choose from ${REGION_SCENARIOS.map((s) => s.id).join(", ")}`);
  const scenarios = REGION_SCENARIOS.filter((s) => !wanted || wanted.includes(s.id));

  const programs = e2ePrograms();
  const started = Date.now();
  const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
  const dir = mkdtempSync(join(tmpdir(), "bitactor-e2e-operator-"));
  try {
    // One image for every row: the one npm run operator:image builds.
    const image = await operatorRuntime(dir);
    const root = image.root;
    log(`${scenarios.length} scenarios on ${region.stage}: ${region.releases.length} components; the operator ${imageText(image)}, run from its image's runtime`);
    const settled = await Promise.allSettled(
      scenarios.map(async (s, i) => {
        await new Promise((r) => setTimeout(r, i * STAGGER_MS));
        log(`${s.id}: starting its cluster`);
        const o = await runRegionScenario(s, region, programs, root, log);
        log(`${s.id}: ${o.problems.length ? "MISMATCH" : "as expected"}`);
        return o;
      }),
    );
    const runs: RegionRun[] = [];
    const failures: string[] = [];
    settled.forEach((r, i) => (r.status === "fulfilled" ? runs.push(r.value) : failures.push(`${scenarios[i]!.id}: could not run: ${(r.reason as Error).message}`)));
    console.log(`\n${regionTable(runs)}\n`);
    for (const r of runs.filter((x) => x.problems.length)) console.log(`MISMATCH ${r.scenario.id}:\n${r.problems.map((p) => `  - ${p}`).join("\n")}\n${r.diagnostics.replace(/^/gm, "    ")}\n`);
    const leftover = runningProcesses();
    if (leftover.length) failures.push(`still running after every scenario ended: ${leftover.join(", ")}`);
    for (const f of failures) console.log(f);
    const bad = runs.filter((r) => r.problems.length).length + failures.length;
    console.log(`e2e:operator: ${runs.length - runs.filter((r) => r.problems.length).length} scenarios as expected, ${bad} not (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    return bad === 0 ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
