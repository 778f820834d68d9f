// npm run e2e:operator's own parts: the region it loads from the committed tree, the verdict that
// turns a row's polls into a pass or a mismatch (exact cases, each breach the operator exists to
// prevent, and a property over generated poll sequences), and the fixture's runtime change of a
// component's latency. npm run e2e:operator runs the real thing (npm test runs it).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { FixtureServer, LatencyFixture, type FixtureConfig } from "../harness/e2e/fixture.ts";
import { REGION_SCENARIOS, REGRESSING, judgeRegion, type RegionObservation, type Sample } from "../harness/e2e/operator-scenarios.ts";
import { clusterSpec, loadRegion, regionCluster } from "../harness/e2e/region.ts";
import { defaultBehaviour, regressed } from "../harness/e2e/scenarios.ts";
import { regionTable } from "../harness/e2e/report.ts";
import type { E2ePrograms } from "../harness/e2e/cluster.ts";
import { ROOT } from "./helpers/repo.ts";

const region = await loadRegion(ROOT, "production", "us-east-1");
const spec = clusterSpec(region.cluster.object);
const RUNS = Object.keys(spec.components).sort().map((c) => spec.targets[c]!.firstReleaseRun);
const [PASS, BREAK] = ["first-releases-pass", "first-release-breaks"].map((id) => REGION_SCENARIOS.find((s) => s.id === id)!);

test("the region is the committed one: every component its BitActorCluster pins, the CRD, the operator's access", () => {
  assert.equal(region.stage, "production-us-east-1");
  assert.deepEqual(region.releases.map((r) => r.componentName), ["alpha-calculator", "execution-gateway", "market-data-handler", "order-engine", "risk-engine"]);
  assert.ok(region.releases.every((r) => r.namespace === region.stage));
  assert.equal(region.crd.object.metadata.name, "bitactorclusters.bitactor.io");
  assert.equal(region.cluster.file, "rollouts/production/us-east-1/platform/bitactorcluster-production-us-east-1.yaml");
  // In creation order: a binding's role and account exist before it.
  assert.deepEqual(region.access.map((o) => o.object.kind), ["Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "Role", "Role", "RoleBinding", "RoleBinding", "RoleBinding"]);
  assert.ok(region.releases.every((r) => r.objects.some((o) => o.object.kind === "AnalysisRun" && o.object.metadata.name === spec.targets[r.componentName]!.firstReleaseRun)), "each component's folder carries the first-release run the operator waits for");
});

test("an unknown region or component is refused, naming what exists", async () => {
  await assert.rejects(loadRegion(ROOT, "production", "mars-1"), /no rendered rollouts\/production\/mars-1\/platform: is production\/mars-1 a region of environments\/\?/);
  assert.throws(() => regionCluster({} as E2ePrograms, "x", region, { "quote-engine": {} }), /no component quote-engine in production-us-east-1 \(it has alpha-calculator, execution-gateway, market-data-handler, order-engine, risk-engine\)/);
});

test("the breaking row breaks the order engine's first release with the release e2e's regressed latency", () => {
  const budget = region.releases.find((r) => r.componentName === REGRESSING)!.component.budgetNs;
  assert.equal(budget, 1000);
  assert.deepEqual(BREAK.behaviour(region), { [REGRESSING]: { stable: regressed(budget) } });
  assert.deepEqual(PASS.behaviour(region), {});
  assert.equal(PASS.regress, REGRESSING);
});

// --- the verdict --------------------------------------------------------------------------------
const phases = (p: string | string[]) => Object.fromEntries(RUNS.map((n, i) => [n, Array.isArray(p) ? p[i]! : p]));
const sample = (at: number, policy: Sample["policy"], runs: string | string[], trading = "False", message = ""): Sample => ({
  at,
  policy,
  runs: phases(runs),
  conditions: { TradingReady: trading },
  trading: { reason: trading === "True" ? "Ready" : "FirstReleaseNotSuccessful", message },
});
const passing: RegionObservation = {
  scenario: PASS,
  empty: { trading: "False", policy: "closed" },
  samples: [sample(0, "closed", "absent"), sample(1000, "closed", "Running"), sample(200_000, "closed", "Successful"), sample(201_000, "open", "Successful", "True")],
  provenAt: 200_000,
  openedAt: 201_000,
  regression: { windowSeconds: 60, graceSeconds: 120, seenAfter: 31_000, lastOpenAfterFalse: 119_500, closedAfterFalse: 120_600 },
  memory: { heapStart: 20e6, heapEnd: 21e6, reconcilesStart: 3, reconcilesEnd: 80 },
};
const failedRun = RUNS.find((n) => n.startsWith(REGRESSING))!;
const breaking: RegionObservation = {
  scenario: BREAK,
  empty: { trading: "False", policy: "closed" },
  samples: [sample(0, "closed", "Running"), sample(210_000, "closed", RUNS.map((n) => (n === failedRun ? "Failed" : "Successful")), "False", `${REGRESSING}: AnalysisRun ${failedRun} is Failed: Metric "first-release-p99-le-1000ns" assessed Failed`)],
  provenAt: null,
  openedAt: null,
};

test("a row as the operator should behave has no problem", () => {
  assert.deepEqual(judgeRegion(passing), []);
  assert.deepEqual(judgeRegion(breaking), []);
});

test("each breach is a named problem", () => {
  const cases: [string, RegionObservation, RegExp][] = [
    ["open while a run is unproven", { ...passing, samples: [...passing.samples.slice(0, 1), sample(5000, "open", RUNS.map((_, i) => (i === 0 ? "Running" : "Successful")))] }, new RegExp(`at 5\\.0 s the order flow was open while ${RUNS[0]} was Running`)],
    ["opened before proven", { ...passing, openedAt: 150_000 }, /the order flow opened at 150\.0 s, before every first release was seen Successful \(200\.0 s\)/],
    ["never opened", { ...passing, openedAt: null, regression: undefined }, /the order flow never opened although every first release had passed at 200\.0 s/],
    ["regression seen late", { ...passing, regression: { ...passing.regression!, seenAfter: 61_000 } }, /LatencyWithinTargets turned False 61\.0 s after the regression, later than one window \(60 s\)/],
    ["regression never seen", { ...passing, regression: { ...passing.regression!, seenAfter: null } }, /LatencyWithinTargets never turned False after order-engine regressed/],
    ["closed inside the grace period", { ...passing, regression: { ...passing.regression!, closedAfterFalse: 30_000 } }, /the order flow closed 30\.0 s after TradingReady turned False, before its 120 s grace period ended/],
    ["never closed", { ...passing, regression: { ...passing.regression!, closedAfterFalse: null } }, /the order flow never closed after TradingReady turned False \(grace 120 s\)/],
    ["no grace at all", { ...passing, regression: { ...passing.regression!, lastOpenAfterFalse: null } }, /no grace period was seen/],
    ["empty region open", { ...passing, empty: { trading: "False", policy: "open" } }, /empty region: the order-flow policy is open, expected closed/],
    ["empty region trading", { ...passing, empty: { trading: "True", policy: "closed" } }, /empty region: TradingReady True, expected False/],
    ["no verdict", { ...passing, empty: null }, /the operator gave no verdict on the empty region/],
    ["broken release opened", { ...breaking, openedAt: 215_000 }, /the order flow opened at 215\.0 s although a first release broke its budget/],
    ["failure not named", { ...breaking, samples: [breaking.samples[0]!, { ...breaking.samples[1]!, trading: { reason: "FirstReleaseNotSuccessful", message: "something" } }] }, new RegExp(`TradingReady's message does not name ${failedRun}`)],
    ["no failed run", { ...breaking, samples: [breaking.samples[0]!] }, /no first release was seen Failed/],
  ];
  for (const [what, o, problem] of cases) {
    const problems = judgeRegion(o);
    assert.ok(problems.some((p) => problem.test(p)), `${what}: ${JSON.stringify(problems)}`);
  }
});

test("property: any poll that finds the order flow open while a first release is unproven is a problem; none otherwise", () => {
  const phase = fc.constantFrom("absent", "", "Running", "Successful", "Failed", "Error");
  const poll = fc.record({ policy: fc.constantFrom<Sample["policy"]>("absent", "closed", "open"), runs: fc.array(phase, { minLength: RUNS.length, maxLength: RUNS.length }) });
  fc.assert(
    fc.property(fc.array(poll, { maxLength: 30 }), (polls) => {
      const samples = polls.map((p, i) => sample(i * 1000, p.policy, p.runs));
      const breach = polls.some((p) => p.policy === "open" && p.runs.some((r) => r !== "Successful"));
      const problems = judgeRegion({ ...breaking, samples: [...samples, breaking.samples[1]!] });
      return problems.some((p) => / the order flow was open while /.test(p)) === breach;
    }),
    { numRuns: 300 },
  );
});

test("the report table names each row's figures", () => {
  const t = regionTable([{ ...passing, problems: [], diagnostics: "" }, { ...breaking, problems: ["x"], diagnostics: "" }]);
  const lines = t.split("\n");
  assert.equal(lines.length, 4);
  assert.match(lines[2]!, /\| ✓ opened \| 200\.0 \| 201\.0 \| 31\.0 \(window 60\) \| 120\.6 \(grace 120\) \| 19\.1 → 20\.0 MiB over 3 → 80 \|$/);
  assert.match(lines[3]!, /\| ✗ never opened \| - \| - \| - \| - \| - \|$/);
});

// --- the fixture's runtime change ---------------------------------------------------------------
const order = region.releases.find((r) => r.componentName === REGRESSING)!;
const cfg: FixtureConfig = {
  server: "https://127.0.0.1:1",
  token: "t",
  ca: "",
  namespace: order.namespace,
  podSelector: { app: "x" },
  loadPodSelector: { load: "x" },
  activeService: order.activeService,
  metric: order.component.metric.name,
  boundsNs: order.component.metric.bucketsNs,
  behaviour: { ...defaultBehaviour(order.component), releaseImage: "none" },
};

test("a component retuned while it runs changes only what was asked", () => {
  const f = new LatencyFixture(cfg);
  const slow = regressed(1000);
  f.retune({ stable: slow });
  assert.deepEqual(f.cfg, { ...cfg, behaviour: { ...cfg.behaviour, stable: slow } });
  assert.deepEqual(cfg.behaviour.stable, defaultBehaviour(order.component).stable, "the configuration it started from is not changed in place");
});

test("the fixture's PUT /behaviour refuses an unknown component or field, naming what it serves", async () => {
  const server = new FixtureServer([cfg]);
  const errors: string[] = [];
  const write = console.error;
  console.error = (m: string) => errors.push(m); // its ticks cannot reach the API server at port 1, by design
  try {
    const port = await server.start(0, 60_000);
    const put = (q: string, body: unknown) => fetch(`http://127.0.0.1:${port}/behaviour?${q}`, { method: "PUT", body: JSON.stringify(body) });
    const ok = await put(`namespace=${cfg.namespace}&metric=${cfg.metric}`, { stable: regressed(1000) });
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), `${cfg.namespace}/${cfg.metric}: stable changed\n`);
    const other = await put(`namespace=${cfg.namespace}&metric=nope`, { stable: regressed(1000) });
    assert.equal(other.status, 400);
    assert.equal(await other.text(), `no component ${cfg.namespace}/nope: this fixture serves ${cfg.namespace}/${cfg.metric}\n`);
    const field = await put(`namespace=${cfg.namespace}&metric=${cfg.metric}`, { le: "javascript", releaseImage: "x" });
    assert.equal(field.status, 400);
    assert.match(await field.text(), /^cannot change le, releaseImage: only stable, releasePreview, releaseActive, productionRatePerSecond, loadReach/);
  } finally {
    await server.stop();
    console.error = write;
  }
  assert.ok(errors.length > 0);
});
