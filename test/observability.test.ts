// Dashboards and rules against a real Prometheus (Prometheus 3, tools/versions.json, loopback): every panel's query of
// every rendered dashboard of a stage parses and returns data from the engine's metric contract
// (harness/observability/contract-fixture.ts), scraped through the rendered PodMonitors and
// recorded by the rendered PrometheusRules. Plus the render-time structural checks of dashboards,
// each shown catching a broken dashboard.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { committedModel } from "./helpers/repo.ts";
import { renderObjects, renderRepository, renderedObjectIssues, type K8sObject, type RenderedObject } from "../generators/render.ts";
import { dashboardConfigMapIssues, dashboardIssues, SIDECAR_LABEL } from "../generators/validate/dashboards.ts";
import { fakePods, serveContract, SYMBOLS } from "../harness/observability/contract-fixture.ts";
import { startStagePrometheus, type RuleGroup, type StagePrometheus } from "../harness/observability/stage-prometheus.ts";
import type { PodMonitorShape } from "../harness/observability/pod-monitor-config.ts";
import type { RepositoryModel } from "../generators/inputs/types.ts";
import { STAGE_FOLDERS } from "../generators/naming.ts";
import { leRegex, prometheus3Spelling } from "../generators/le.ts";
import { DRILL_JOB, DRILL_METRICS } from "../generators/constructs/dr-drill.ts";

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const model: RepositoryModel = await committedModel();
const objects: RenderedObject[] = renderObjects(model);
const dashboards = objects.filter((o) => o.object.kind === "ConfigMap" && (o.object.metadata as Any).labels?.[SIDECAR_LABEL] === "1");
const jsonOf = (o: K8sObject) => JSON.parse(Object.values((o as Any).data as Record<string, string>)[0]!);

test("every stage renders one dashboard per component and one trading dashboard, linked from Applications and Rollouts", () => {
  for (const env of model.environments) {
    for (const region of env.regions) {
      const stage = `rollouts/${env.settings.environment}/${region.region}/`;
      const here = dashboards.filter((d) => d.path.startsWith(stage)).map((d) => jsonOf(d.object).uid).sort();
      assert.deepEqual(here, [...Object.keys(region.components).map((c) => `bitactor-${c}`), "bitactor-trading"].sort(), stage);
      const rollout = objects.find((o) => o.path === `${stage}order-engine/rollout-order-engine.yaml`)!.object as Any;
      assert.equal(rollout.metadata.annotations["link.argocd.argoproj.io/dashboard"], `Latency and SLO|${region.grafana.url}/d/bitactor-order-engine?var-namespace=${env.settings.environment}-${region.region}`);
      const appset = objects.find((o) => o.object.kind === "ApplicationSet" && o.object.metadata.name === `${env.settings.environment}-${region.region}`)!.object as Any;
      assert.equal(appset.spec.template.metadata.annotations["link.argocd.argoproj.io/dashboard"], "Latency and SLO|{{ .dashboard }}");
      for (const el of appset.spec.generators[0].list.elements) {
        // The link of each Application is the dashboard its folder renders (the shared, node and platform folders': trading).
        if (STAGE_FOLDERS[el.component]) {
          assert.equal(el.dashboard, `${region.grafana.url}/d/bitactor-trading?var-namespace=${env.settings.environment}-${region.region}`);
          continue;
        }
        assert.ok(dashboards.some((d) => d.path.startsWith(`${el.path}/`) && el.dashboard === `${region.grafana.url}/d/${jsonOf(d.object).uid}?var-namespace=${env.settings.environment}-${region.region}`), el.path);
      }
    }
  }
});

test("dashboards: unique panel ids, every panel has a query and a unit, opens on its own stage", () => {
  assert.equal(dashboards.length, 7 * 6);
  for (const { path, object } of dashboards) {
    assert.deepEqual(dashboardConfigMapIssues(object), [], path);
    const d = jsonOf(object);
    const ids = d.panels.map((p: Any) => p.id);
    assert.equal(new Set(ids).size, ids.length, path);
    for (const p of d.panels) {
      assert.ok(p.targets.length > 0 && p.targets.every((t: Any) => t.expr.length > 0), `${path}: ${p.title}`);
      assert.ok(p.fieldConfig.defaults.unit, `${path}: ${p.title}`);
    }
    assert.equal(d.templating.list.find((v: Any) => v.name === "namespace").current.value, object.metadata.namespace);
  }
  // The latency heatmap is in nanoseconds; the p99 panel's red line is the component's budget.
  const oe = jsonOf(dashboards.find((d) => d.path === "rollouts/production/us-east-1/order-engine/configmap-order-engine-dashboard.yaml")!.object);
  const heat = oe.panels.find((p: Any) => p.type === "heatmap");
  assert.equal(heat.options.yAxis.unit, "ns");
  assert.match(heat.targets[0].expr, /bitactor:latency_ns_bucket:rate1m/);
  const p99 = oe.panels.find((p: Any) => p.title.startsWith("p99"));
  assert.equal(p99.fieldConfig.defaults.unit, "ns");
  assert.deepEqual(p99.fieldConfig.defaults.thresholds.steps.at(-1), { color: "red", value: 1000 });
});

/** A broken copy of a real dashboard, and the issue the check must report. */
const broken: { name: string; mutate: (d: Any) => void; issue: RegExp; path: string }[] = [
  { name: "duplicate panel id", mutate: (d) => (d.panels[1].id = d.panels[0].id), issue: /ids must be unique/, path: "/panels/1/id" },
  { name: "panel without a unit", mutate: (d) => delete d.panels[2].fieldConfig.defaults.unit, issue: /needs a unit/, path: "/panels/2/fieldConfig/defaults/unit" },
  { name: "unit none", mutate: (d) => (d.panels[2].fieldConfig.defaults.unit = "none"), issue: /needs a unit/, path: "/panels/2/fieldConfig/defaults/unit" },
  { name: "panel without a query", mutate: (d) => (d.panels[3].targets = []), issue: /at least one query/, path: "/panels/3/targets" },
  { name: "empty query", mutate: (d) => (d.panels[3].targets[0].expr = " "), issue: /PromQL expression/, path: "/panels/3/targets/0/expr" },
  { name: "undefined variable", mutate: (d) => (d.panels[0].targets[0].expr += " + $region"), issue: /uses \$region/, path: "/panels/0/targets/0/expr" },
  { name: "overlapping panels", mutate: (d) => (d.panels[2].gridPos = { ...d.panels[1].gridPos }), issue: /overlaps panel 1/, path: "/panels/2/gridPos" },
  { name: "panel outside the grid", mutate: (d) => (d.panels[1].gridPos.x = 20), issue: /24 columns/, path: "/panels/1/gridPos" },
  { name: "uid too long", mutate: (d) => (d.uid = "x".repeat(41)), issue: /uid must be/, path: "/uid" },
  { name: "unknown panel type", mutate: (d) => (d.panels[0].type = "graph"), issue: /type must be one of/, path: "/panels/0/type" },
];

for (const b of broken) {
  test(`dashboard check catches: ${b.name}`, () => {
    const d = jsonOf(dashboards[0]!.object);
    assert.deepEqual(dashboardIssues(d), []);
    b.mutate(d);
    const issues = dashboardIssues(d);
    assert.ok(issues.some((i) => i.path === b.path && b.issue.test(i.message)), JSON.stringify(issues));
  });
}

test("a render with a broken dashboard throws before writing, naming the file and the field", () => {
  const cm = structuredClone(dashboards[0]!.object) as Any;
  const key = Object.keys(cm.data)[0]!;
  const d = JSON.parse(cm.data[key]);
  d.panels[1].id = d.panels[0].id;
  cm.data[key] = JSON.stringify(d);
  assert.deepEqual(dashboardConfigMapIssues(cm).map((i) => i.path), [`/data/${key}/panels/1/id`]);
  cm.data = { "a.json": "{", "b.json": "{}" };
  assert.match(dashboardConfigMapIssues(cm)[0]!.message, /exactly one dashboard/);
  cm.data = { [key]: "{" };
  assert.match(dashboardConfigMapIssues(cm)[0]!.message, /not JSON/);
  // The render runs the check over every object and names file and field.
  cm.data = { [key]: JSON.stringify(d) };
  const path = dashboards[0]!.path;
  const issues = renderedObjectIssues(objects.map((o) => (o.path === path ? { path, object: cm } : o)));
  assert.deepEqual(issues, [{ path, field: `/data/${key}/panels/1/id`, message: `id ${d.panels[0].id} is also panel 0's; ids must be unique` }]);
  // Every object, and one infrastructure module per stage.
  assert.equal(renderRepository(model).size, objects.length + model.environments.flatMap((e) => e.regions).length);
});

// ---- against a real Prometheus ---------------------------------------------------------------

const STAGE = { environment: "production", region: "us-east-1" };
const namespace = `${STAGE.environment}-${STAGE.region}`;
const stageObjects = objects.filter((o) => o.path.startsWith(`rollouts/${STAGE.environment}/${STAGE.region}/`));
const region = model.environments.find((e) => e.settings.environment === STAGE.environment)!.regions.find((r) => r.region === STAGE.region)!;
let prom: StagePrometheus;
let contract: { address: string; close(): Promise<void> };

before(async () => {
  const pods = fakePods(model.catalog, stageObjects.filter((o) => o.object.kind === "Rollout").map((o) => o.object));
  // The stage's last restore drill passed two days ago, as the Pushgateway add-on's pod serves it:
  // found, as in a cluster, by the rendered PodMonitor, with the labels and port engine/addons.yaml names.
  const pushgateway = model.addons.addons.pushgateway!;
  const pushgatewayPod = {
    metadata: { name: "prometheus-pushgateway-7d9f8", namespace: pushgateway.namespace, labels: { ...pushgateway.scrape!.pods } },
    spec: { containers: [{ name: "pushgateway", image: "quay.io/prometheus/pushgateway", ports: [{ name: pushgateway.scrape!.port, containerPort: 9091 }] }] },
    status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] },
  };
  contract = await serveContract(model.catalog, region, pods, { stage: namespace, lastRunSecondsAgo: 2 * 86400, pod: pushgatewayPod });
  prom = await startStagePrometheus({
    podMonitors: stageObjects.filter((o) => o.object.kind === "PodMonitor").map((o) => o.object as unknown as PodMonitorShape),
    ruleGroups: stageObjects.filter((o) => o.object.kind === "PrometheusRule").flatMap((o) => (o.object.spec as { groups: RuleGroup[] }).groups),
    targetsAddress: contract.address,
    ruleInterval: "1s",
  });
  // Wait for the slowest series: every component's SLO ratio over the shortest window (rate needs two
  // scrapes), and the drill's result from the Pushgateway.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await prom.query(`count(bitactor:slo_latency_errors:ratio_rate5m{namespace="${namespace}"} >= 0)`);
    const d = await prom.query(`count(bitactor_dr_drill_success{namespace="${namespace}"})`);
    if (Number(r[0]?.value[1] ?? 0) === Object.keys(region.components).length && Number(d[0]?.value[1] ?? 0) === 1) break;
    if (Date.now() > deadline) throw new Error("recorded SLO series or the drill's result did not appear within 60 s");
    await new Promise((res) => setTimeout(res, 500));
  }
});

after(async () => {
  await prom?.stop();
  await contract?.close();
});

test("real Prometheus: every rule group of the stage evaluates without error; no alert is pending or firing on healthy pods", async () => {
  const rules = await prom.api<{ groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[] }>("rules");
  // Three groups per component, the restore drill's and the operator's (which, with no operator
  // running here, must not fire: no false page before its Deployment exists).
  assert.equal(rules.groups.length, 3 * Object.keys(region.components).length + 2);
  assert.ok(rules.groups.some((g) => g.name === "bitactor-operator"), "the operator's rules are loaded from its namespace");
  for (const g of rules.groups) for (const r of g.rules) assert.equal(r.health, "ok", `${g.name} ${r.name}: ${r.lastError}`);
  const alerts = await prom.api<{ alerts: { labels: Record<string, string>; state: string }[] }>("alerts");
  assert.deepEqual(alerts.alerts, []);
  // The role label really arrives through the rendered PodMonitor's relabelling.
  const up = await prom.query(`count by (rollout_role) (up{namespace="${namespace}"} == 1)`);
  assert.deepEqual(Object.fromEntries(up.map((s) => [s.metric.rollout_role, Number(s.value[1])])), { active: 10, preview: 5 });
});

test("real Prometheus 3: the Go (1e-06) and JavaScript (0.000001) spellings of a bound are stored as one normalised le", async () => {
  // One active pod of each component writes Go's spelling and one JavaScript's (contract-fixture.ts).
  const c = model.catalog.components["order-engine"]!;
  const byPod = await prom.query(`count by (pod, le) (${c.metric.name}_bucket{namespace="${namespace}", rollout_role="active"})`);
  const pods = new Set(byPod.map((s) => s.metric.pod));
  assert.equal(pods.size, 2, "both active pods scraped");
  for (const pod of pods) {
    const les = byPod.filter((s) => s.metric.pod === pod).map((s) => s.metric.le).sort();
    assert.deepEqual(les, [...c.metric.bucketsNs.map((ns) => prometheus3Spelling(ns / 1e9)), "+Inf"].sort(), pod!);
  }
  // The budget bound, which the JavaScript pod wrote as 0.000001, is stored as 1e-06 for both pods, and the gate's regex selects it.
  assert.equal(prometheus3Spelling(c.budgetNs / 1e9), "1e-06");
  const atBudget = await prom.query(`count(${c.metric.name}_bucket{namespace="${namespace}", rollout_role="active", le=~"${leRegex(c.budgetNs).replaceAll("\\", "\\\\")}"})`);
  assert.equal(Number(atBudget[0]?.value[1]), 2);
});

test("real Prometheus: every query of every dashboard of the stage parses and returns finite data", async () => {
  const here = dashboards.filter((d) => d.path.startsWith(`rollouts/${STAGE.environment}/${STAGE.region}/`));
  assert.equal(here.length, 6);
  let queries = 0;
  for (const { path, object } of here) {
    const d = jsonOf(object);
    // The namespace variable's query, as Grafana runs it (label_values → series API).
    const source = /^label_values\((.*), namespace\)$/.exec(d.templating.list.find((v: Any) => v.name === "namespace").definition)![1]!;
    const series = await prom.api<Record<string, string>[]>(`series?match[]=${encodeURIComponent(source)}`);
    assert.ok(series.some((s) => s.namespace === namespace), `${path}: variable query ${source}`);
    for (const p of d.panels) {
      for (const t of p.targets) {
        const expr = t.expr.replaceAll("$namespace", namespace).replaceAll("$__rate_interval", "1m");
        const result = await prom.query(expr);
        queries++;
        assert.ok(result.length > 0, `${path}: panel "${p.title}": no data for ${expr}`);
        for (const s of result) assert.ok(Number.isFinite(Number(s.value[1])), `${path}: panel "${p.title}": ${JSON.stringify(s)}`);
        if (p.type === "heatmap") {
          // Every bucket bound in integer nanoseconds, each spelling merged: the catalog's bounds and +Inf.
          const c = model.catalog.components[d.uid.replace("bitactor-", "")]!;
          assert.deepEqual(result.map((s) => s.metric.le).sort(), [...c.metric.bucketsNs.map(String), "+Inf"].sort(), `${path}: heatmap buckets`);
        }
      }
    }
  }
  assert.equal(queries, 94, "every panel query of the six dashboards was run");
  const trading = await prom.query(`max by (symbol) (${model.catalog.businessMetrics.pnl}{namespace="${namespace}", rollout_role="active"})`);
  assert.deepEqual(trading.map((s) => s.metric.symbol).sort(), [...SYMBOLS]);
  // The drill panels show what the Pushgateway holds for this stage: passed, 48 s of 300 s, two days ago.
  const tradingBoard = jsonOf(here.find((d) => jsonOf(d.object).uid === "bitactor-trading")!.object);
  const drill = async (title: string) => {
    const p = tradingBoard.panels.find((x: Any) => x.title === title);
    return Promise.all(p.targets.map(async (t: Any) => Math.round(Number((await prom.query(t.expr.replaceAll("$namespace", namespace)))[0]!.value[1]) * 100) / 100));
  };
  assert.deepEqual(await drill("DR drill: last result"), [1]);
  assert.deepEqual(await drill("DR drill: restore time and RTO"), [48, 300]);
  assert.deepEqual(await drill("DR drill: days since the last one"), [2]);
});

test("real Prometheus: the rendered PodMonitor finds the Pushgateway's pod in its own namespace and keeps the labels the drill pushed", async () => {
  // honorLabels: the pushed job and namespace, not the scrape's (which would say monitoring, and the dr-drill rules would see no drill).
  const success = await prom.query(DRILL_METRICS.success);
  assert.deepEqual(success.map((s) => [s.metric.job, s.metric.namespace, s.metric.exported_namespace, s.value[1]]), [[DRILL_JOB, namespace, undefined, "1"]]);
  // Found through the stage's own monitor, in the add-on's namespace, on the port the add-on data names.
  const targets = await prom.api<{ activeTargets: { scrapePool: string; labels: Record<string, string>; health: string }[] }>("targets?state=active");
  const pool = targets.activeTargets.filter((t) => t.scrapePool === `podMonitor/${namespace}/addon-pushgateway/0`);
  assert.deepEqual(pool.map((t) => [t.labels.pod, t.health]), [["prometheus-pushgateway-7d9f8", "up"]]);
});

test("real Prometheus: recorded values match the fixture: p99 under budget, shares, flow by venue", async () => {
  const within = await prom.query(`bitactor:latency_within_budget:ratio_rate1m{namespace="${namespace}"}`);
  assert.equal(within.length, 2 * Object.keys(region.components).length);
  // The fixture's pods are 99.95 % under budget (preview ones too).
  for (const s of within) assert.ok(Math.abs(Number(s.value[1]) - 0.9995) < 0.002, JSON.stringify(s));
  const p99 = await prom.query(`bitactor:latency_p99_ns:rate1m{namespace="${namespace}"}`);
  for (const s of p99) {
    const c = model.catalog.components[s.metric.component!]!;
    assert.ok(Number(s.value[1]) > 0.4 * c.budgetNs && Number(s.value[1]) <= c.budgetNs, JSON.stringify(s));
  }
  const venues = await prom.query(`sum by (venue) (bitactor:events:rate1m{namespace="${namespace}", component="order-engine", rollout_role="active"})`);
  assert.deepEqual(venues.map((s) => s.metric.venue).sort(), region.exchanges.map((x) => x.id).sort());
});
