// npm run e2e: the promotion gate end to end. For every scenario in
// harness/e2e/scenarios.ts, a fresh loopback cluster with the real Argo Rollouts controller and
// a real Prometheus runs the committed manifests of one region's component through a blue/green
// release, and the table says what the controller decided and when.
//
//   npm run e2e [-- --environment production --region us-east-1 --component order-engine --only healthy,regressed]
import { parseArgs } from "node:util";
import { main } from "./lib/run.ts";
import { runningProcesses } from "../harness/cluster/process.ts";
import { REPO } from "../lib/repo.ts";
import { loadRelease, pointAtPrometheus } from "../harness/e2e/release.ts";
import { SCENARIOS } from "../harness/e2e/scenarios.ts";
import { runScenario, type Observation } from "../harness/e2e/run-scenario.ts";
import { e2ePrograms } from "../harness/e2e/cluster.ts";
import { mismatchReport, passed, resultTable } from "../harness/e2e/report.ts";

/** Cluster start-ups are CPU-bound (Go programs initialising); spacing them keeps 2 cores responsive. */
const STAGGER_MS = 8_000;

await main(async () => {
  const { values } = parseArgs({
    options: {
      environment: { type: "string", default: "production" },
      region: { type: "string", default: "us-east-1" },
      component: { type: "string", default: "order-engine" },
      only: { type: "string" },
    },
  });
  const release = await loadRelease(REPO, values.environment!, values.region!, values.component!);
  const wanted = values.only?.split(",");
  const unknown = wanted?.filter((id) => !SCENARIOS.some((s) => s.id === id)) ?? [];
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(", ")}: choose from ${SCENARIOS.map((s) => s.id).join(", ")}`);
  const scenarios = SCENARIOS.filter((s) => !wanted || wanted.includes(s.id));

  const programs = e2ePrograms();
  const started = Date.now();
  const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
  log(`${scenarios.length} scenarios on ${release.namespace}/${release.componentName}: budget ${release.component.budgetNs} ns, rendered manifests unchanged except:`);
  for (const c of pointAtPrometheus(release.objects, "http://127.0.0.1:<per-cluster port>").changed) log(`  ${c}`);

  const settled = await Promise.allSettled(
    scenarios.map(async (s, i) => {
      await new Promise((r) => setTimeout(r, i * STAGGER_MS));
      log(`${s.id}: starting its cluster`);
      const o = await runScenario(s, release, programs, log);
      log(`${s.id}: ${o.decision}${o.seconds === null ? "" : ` after ${o.seconds.toFixed(0)} s`}${o.problems.length ? " (MISMATCH)" : ""}`);
      return o;
    }),
  );
  const observations: Observation[] = [];
  const failures: string[] = [];
  settled.forEach((r, i) => (r.status === "fulfilled" ? observations.push(r.value) : failures.push(`${scenarios[i]!.id}: could not run: ${(r.reason as Error).message}`)));

  console.log(`\n${resultTable(observations)}\n`);
  const mismatches = mismatchReport(observations);
  if (mismatches) console.log(mismatches + "\n");
  // Every scenario stops its cluster; a program still running here would outlive the run.
  const leftover = runningProcesses();
  if (leftover.length) failures.push(`still running after every scenario ended: ${leftover.join(", ")}`);
  for (const f of failures) console.log(f);
  const ok = passed(observations) && failures.length === 0;
  console.log(`e2e: ${observations.filter((o) => !o.problems.length).length} scenarios as expected, ${observations.filter((o) => o.problems.length).length + failures.length} not (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  return ok ? 0 : 1;
});
