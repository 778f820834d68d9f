// The rendered PrometheusRules, run by the real Prometheus rule engine (promtool of Prometheus 3, tools/versions.json):
// every rule group passes `promtool check rules`, and `promtool test rules` feeds synthetic pods
// (active and preview, both `le` spellings, errors, scrape failures) through the recording rules and
// alerts of two components and asserts exactly which alerts fire when.
// Over 300 lines: the ten promtool scenarios are one table of series and expected alerts; splitting it would split the table.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { stringify } from "yaml";
import fc from "fast-check";
import { committedModel } from "./helpers/repo.ts";
import { withDir } from "./helpers/tmp.ts";
import { promtool } from "./helpers/tools.ts";
import { renderObjects, type RenderedObject } from "../generators/render.ts";
import { ALERTS } from "../generators/constructs/component-rules.ts";
import { goSpelling, jsSpelling } from "../generators/le.ts";
import { postPromotionFloorRate } from "../generators/gate-math.ts";
import { PRODUCTION_FLOOR_MULTIPLE, productionRate } from "../harness/e2e/scenarios.ts";
import type { Component, RepositoryModel } from "../generators/inputs/types.ts";

const STEP_S = 15;

interface RuleGroups { groups: { name: string; interval?: string; rules: { record?: string; alert?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }[] }[] }

async function rendered(): Promise<{ model: RepositoryModel; objects: RenderedObject[] }> {
  const model = await committedModel();
  return { model, objects: renderObjects(model) };
}

const rulesOf = (objects: RenderedObject[]) => objects.filter((o) => o.object.kind === "PrometheusRule");


function run(args: string[]) {
  return spawnSync(promtool(), args, { encoding: "utf8", maxBuffer: 64 << 20 });
}

test("promtool check rules accepts every rendered rule group (every component, every stage)", async () => {
  const { model, objects } = await rendered();
  const rules = rulesOf(objects);
  const components = model.environments.flatMap((e) => e.regions.map((r) => Object.keys(r.components).length)).reduce((a, b) => a + b, 0);
  const stages = model.environments.flatMap((e) => e.regions).length;
  // One per component per stage, and each stage's restore drill rules (test/dr-drill.test.ts runs them)
  // and its operator's (test/operator-rules.test.ts).
  assert.equal(rules.length, components + 2 * stages, "one PrometheusRule per component per stage, one for the drill and one for the operator per stage");
  await withDir("rules-", async (dir) => {
    const files: string[] = [];
    for (const [i, r] of rules.entries()) {
      const f = join(dir, `${i}.yml`);
      await writeFile(f, stringify({ groups: (r.object.spec as RuleGroups).groups }, { lineWidth: 0 }));
      files.push(f);
    }
    const out = run(["check", "rules", ...files]);
    assert.equal(out.status, 0, out.stdout + out.stderr);
    assert.equal(out.stdout.match(/SUCCESS: \d+ rules found/g)?.length, rules.length);
  });
});

test("promtool check rules rejects a broken rule (the harness can fail)", async () => {
  const { objects } = await rendered();
  const spec = structuredClone(rulesOf(objects)[0]!.object.spec) as RuleGroups;
  spec.groups[2]!.rules[0]!.expr = spec.groups[2]!.rules[0]!.expr.replace("< 0.99", "< < 0.99");
  await withDir("rules-", async (dir) => {
    await writeFile(join(dir, "bad.yml"), stringify({ groups: spec.groups }, { lineWidth: 0 }));
    const out = run(["check", "rules", join(dir, "bad.yml")]);
    assert.notEqual(out.status, 0);
    assert.match(out.stdout + out.stderr, /parse error/);
  });
});

// ---- synthetic pods -------------------------------------------------------------------------

/** One pod of the component as the PodMonitor labels it, and what it observes per second. */
interface Pod {
  readonly role: "active" | "preview";
  readonly hash: string;
  readonly pod: string;
  /** Observations per second. */
  readonly rate: number;
  /** Share of observations at or under the budget. */
  readonly under: number;
  /** Share of events that fail. */
  readonly errors?: number;
  readonly le?: "go" | "javascript";
  /** Per venue share of the events. */
  readonly venues?: Readonly<Record<string, number>>;
  /** 0 = the scrape fails (up 0, no samples). */
  readonly up?: 0 | 1;
}

/** A phase of the scenario: these pods for this long. */
interface Phase {
  readonly minutes: number;
  readonly pods: readonly Pod[];
}

/**
 * Cumulative share at each bound: linear up to `under` at the budget, then linear to 1 at the last
 * bound, so the budget bucket holds exactly `under` and the histogram is monotone.
 */
function cumulative(bounds: readonly number[], budget: number, under: number): number[] {
  const bi = bounds.indexOf(budget);
  return bounds.map((_, i) => (i <= bi ? (under * (i + 1)) / (bi + 1) : under + ((1 - under) * (i - bi)) / (bounds.length - 1 - bi)));
}

/**
 * promtool input series for the phases: counters that grow by rate × 15 s per sample, per phase.
 * A pod missing from a phase has no samples then (stale), like a pod that went away.
 */
function inputSeries(c: Component, namespace: string, monitor: string, phases: readonly Phase[]): { series: string; values: string }[] {
  const steps = phases.map((p) => (p.minutes * 60) / STEP_S);
  const out = new Map<string, string[]>();
  const add = (series: string, phase: number, start: number, inc: number | undefined) => {
    const values = out.get(series) ?? steps.map((n) => `_x${n}`);
    // promtool: `a+bxN` is a, a+b, ... (N+1 samples); `_xN` is N missing samples.
    values[phase] = inc === undefined ? `_x${steps[phase]}` : `${start}+${inc}x${steps[phase]! - 1}`;
    out.set(series, values);
  };
  const totals = new Map<string, number>();
  phases.forEach((phase, i) => {
    for (const p of phase.pods) {
      const labels = `namespace="${namespace}", rollout_role="${p.role}", rollouts_pod_template_hash="${p.hash}", pod="${p.pod}", job="${namespace}/${monitor}"`;
      add(`up{${labels}}`, i, p.up ?? 1, 0);
      if (p.up === 0) continue;
      const grow = (series: string, perSecond: number) => {
        const start = totals.get(series) ?? 0;
        const inc = perSecond * STEP_S;
        add(series, i, start, inc);
        totals.set(series, start + inc * steps[i]!);
      };
      const spell = p.le === "javascript" ? jsSpelling : goSpelling;
      const shares = cumulative(c.metric.bucketsNs, c.budgetNs, p.under);
      c.metric.bucketsNs.forEach((b, j) => grow(`${c.metric.name}_bucket{${labels}, le="${spell(b / 1e9)}"}`, p.rate * shares[j]!));
      grow(`${c.metric.name}_bucket{${labels}, le="+Inf"}`, p.rate);
      grow(`${c.metric.name}_count{${labels}}`, p.rate);
      for (const [venue, share] of Object.entries(p.venues ?? { NYSE: 1 })) {
        grow(`${c.counters.events}{${labels}, venue="${venue}"}`, p.rate * share);
      }
      grow(`${c.counters.errors}{${labels}}`, p.rate * (p.errors ?? 0));
    }
  });
  return [...out].map(([series, values]) => ({ series, values: values.join(" ") }));
}

/** Firing alerts, reduced to what tells them apart; promtool compares the set exactly. */
const FIRING = `count by (alertname, severity, long_window, rollout_role, pod) (ALERTS{alertstate="firing"})`;

interface Check {
  /** Minutes since the start. */
  readonly at: number;
  /** Alerts that must fire then, and no others: `alertname` or `alertname/severity/longWindow`. */
  readonly firing: readonly string[];
}

interface Scenario {
  readonly name: string;
  readonly phases: readonly Phase[];
  readonly checks: readonly Check[];
}

function firingSamples(firing: readonly string[], pods: readonly Pod[]) {
  return firing.map((f) => {
    const [alertname, severity, longWindow] = f.split("/");
    const labels = [`alertname="${alertname}"`];
    if (alertname === ALERTS.latencyBurn || alertname === ALERTS.availabilityBurn) labels.push(`severity="${severity}"`, `long_window="${longWindow}"`);
    else labels.push(`severity="page"`);
    if (alertname === ALERTS.latencyOverBudget || alertname === ALERTS.activeMetricsAbsent) labels.push(`rollout_role="active"`);
    if (alertname === ALERTS.activePodsDown) {
      const down = pods.find((p) => p.up === 0)!;
      labels.push(`rollout_role="${down.role}"`, `pod="${down.pod}"`);
    }
    return { labels: `{${labels.join(", ")}}`, value: 1 };
  });
}

const BURN_PAGE_1H = (sli: "latency" | "availability") => `${sli === "latency" ? ALERTS.latencyBurn : ALERTS.availabilityBurn}/page/1h`;
const BURN_PAGE_6H = (sli: "latency" | "availability") => `${sli === "latency" ? ALERTS.latencyBurn : ALERTS.availabilityBurn}/page/6h`;
const BURN_TICKET = (sli: "latency" | "availability") => `${sli === "latency" ? ALERTS.latencyBurn : ALERTS.availabilityBurn}/ticket/3d`;

/**
 * Scenarios for a component whose post-promotion floor rate is `floor`/s. Traffic is the e2e's
 * production traffic (PRODUCTION_FLOOR_MULTIPLE, 24 × the floor); the shares are chosen against the catalog's objectives:
 * 99.95 % under budget is healthy for p99 and the 99.9 % SLO; 98 % is a regression (20× the SLO's
 * error rate); 99.0 % is the gate's own boundary (10×).
 */
function scenarios(floor: number): Scenario[] {
  const rate = PRODUCTION_FLOOR_MULTIPLE * floor;
  const active = (p: Partial<Pod> = {}): Pod => ({ role: "active", hash: "aaaaaaaaa", pod: "c-aaaaaaaaa-1", rate, under: 0.9995, ...p });
  const preview = (p: Partial<Pod> = {}): Pod => ({ role: "preview", hash: "bbbbbbbbb", pod: "c-bbbbbbbbb-1", rate: 10 * rate, under: 0.9, ...p });
  return [
    {
      name: "healthy active pods over two venues: nothing fires",
      phases: [{ minutes: 20, pods: [active({ venues: { NYSE: 0.6, NASDAQ: 0.4 } }), active({ pod: "c-aaaaaaaaa-2", le: "javascript" })] }],
      checks: [{ at: 10, firing: [] }, { at: 19, firing: [] }],
    },
    {
      name: "a slow preview under the gate's load (10x the traffic, 90 % under budget) never pages",
      phases: [{ minutes: 20, pods: [active(), preview()] }],
      checks: [{ at: 19, firing: [] }],
    },
    {
      name: "regression on the active pods after 6 h healthy: p99 pages within minutes, the 14.4x burn after ~43 min",
      phases: [{ minutes: 360, pods: [active()] }, { minutes: 60, pods: [active({ under: 0.98 })] }],
      checks: [
        { at: 360 + 2, firing: [] }, // pending: the share must stay low for `for`
        { at: 360 + 5, firing: [ALERTS.latencyOverBudget] },
        { at: 360 + 40, firing: [ALERTS.latencyOverBudget, BURN_TICKET("latency")] },
        { at: 360 + 50, firing: [ALERTS.latencyOverBudget, BURN_PAGE_1H("latency"), BURN_TICKET("latency")] },
      ],
    },
    {
      name: "the same regression in the JavaScript le spelling fires the same alerts",
      phases: [{ minutes: 10, pods: [active({ under: 0.98, le: "javascript" })] }],
      checks: [{ at: 9, firing: [ALERTS.latencyOverBudget, BURN_PAGE_1H("latency"), BURN_PAGE_6H("latency"), BURN_TICKET("latency")] }],
    },
    {
      name: "a release at the gate's boundary (99.0 %) passes p99 but burns the 99.9 % SLO 10x: the 6 h page fires, the 1 h does not",
      phases: [{ minutes: 40, pods: [active({ under: 0.99 })] }],
      checks: [{ at: 35, firing: [BURN_PAGE_6H("latency"), BURN_TICKET("latency")] }],
    },
    {
      name: "quiet market (1/10 of the floor rate), slow: p99 holds its fire, the SLO burn still counts",
      phases: [{ minutes: 10, pods: [active({ rate: Math.floor(floor / 10), under: 0.9 })] }],
      checks: [{ at: 9, firing: [BURN_PAGE_1H("latency"), BURN_PAGE_6H("latency"), BURN_TICKET("latency")] }],
    },
    {
      name: "0.2 % errors (20x the 0.01 % budget): availability burn pages, latency is quiet",
      phases: [{ minutes: 10, pods: [active({ errors: 0.002 })] }],
      checks: [{ at: 9, firing: [BURN_PAGE_1H("availability"), BURN_PAGE_6H("availability"), BURN_TICKET("availability")] }],
    },
    {
      name: "0.005 % errors (half the budget rate): nothing fires",
      phases: [{ minutes: 10, pods: [active({ errors: 0.00005, rate: 200000 })] }],
      checks: [{ at: 9, firing: [] }],
    },
    {
      name: "an active pod that cannot be scraped pages after 60 s; a preview pod down does not",
      phases: [{ minutes: 5, pods: [active(), active({ pod: "c-aaaaaaaaa-2", up: 0 }), preview({ pod: "c-bbbbbbbbb-2", up: 0 })] }],
      checks: [{ at: 0.5, firing: [] }, { at: 3, firing: [ALERTS.activePodsDown] }],
    },
    {
      name: "no active pod scraped at all (only a preview): fail closed, page",
      phases: [{ minutes: 5, pods: [preview({ under: 0.9995 })] }],
      checks: [{ at: 0.5, firing: [] }, { at: 3, firing: [ALERTS.activeMetricsAbsent] }],
    },
  ];
}

async function promtoolTests(stagePath: string, componentId: string) {
  const { model, objects } = await rendered();
  const rule = rulesOf(objects).find((o) => o.path.startsWith(`${stagePath}/${componentId}/`))!;
  assert.ok(rule, `${stagePath}/${componentId}`);
  const c = model.catalog.components[componentId]!;
  const namespace = rule.object.metadata.namespace!;
  const floor = postPromotionFloorRate(c);
  const tests = scenarios(floor).map((s) => ({
    name: s.name,
    interval: `${STEP_S}s`,
    input_series: inputSeries(c, namespace, rule.object.metadata.name, s.phases),
    promql_expr_test: s.checks.map((ch) => ({
      expr: FIRING,
      eval_time: `${ch.at * 60}s`,
      exp_samples: firingSamples(ch.firing, s.phases.flatMap((p) => p.pods)),
    })),
  }));
  return { model, rule, namespace, c, tests, groups: (rule.object.spec as RuleGroups).groups };
}

async function runTests(groups: unknown, tests: unknown[]) {
  return withDir("rules-", async (dir) => {
    await writeFile(join(dir, "rules.yml"), stringify({ groups }, { lineWidth: 0 }));
    await writeFile(join(dir, "test.yml"), stringify({ rule_files: ["rules.yml"], evaluation_interval: `${STEP_S}s`, tests }, { lineWidth: 0 }));
    return run(["test", "rules", join(dir, "test.yml")]);
  });
}

for (const [stage, componentId] of [["rollouts/production/us-east-1", "order-engine"], ["rollouts/production/asia-east2", "market-data-handler"]] as const) {
  test(`promtool test rules: ${componentId} in ${stage}: exactly the expected alerts fire in every scenario`, async () => {
    const { tests, groups } = await promtoolTests(stage, componentId);
    const out = await runTests(groups, tests);
    assert.equal(out.status, 0, `promtool test rules failed:\n${out.stdout}\n${out.stderr}`);
    assert.match(out.stdout, /SUCCESS/);
  });
}

test("promtool test rules: recorded values: share under budget, p99 in ns from mixed le spellings, flow by venue", async () => {
  const { tests, groups, namespace, c } = await promtoolTests("rollouts/production/us-east-1", "order-engine");
  const healthy = tests[0]!; // two active pods, Go and JavaScript spellings, 60 % NYSE / 40 % NASDAQ on the first
  const sel = `component="order-engine", namespace="${namespace}"`;
  const rate = productionRate(c);
  // histogram_quantile's linear interpolation inside the bucket that holds the 99th percentile.
  const shares = cumulative(c.metric.bucketsNs, c.budgetNs, 0.9995);
  const i = shares.findIndex((x) => x >= 0.99);
  const p99 = c.metric.bucketsNs[i - 1]! + ((c.metric.bucketsNs[i]! - c.metric.bucketsNs[i - 1]!) * (0.99 - shares[i - 1]!)) / (shares[i]! - shares[i - 1]!);
  const at = "600s";
  const exp = (expr: string, samples: { labels: string; value: number }[]) => ({ expr, eval_time: at, exp_samples: samples });
  const check = {
    ...healthy,
    name: "recorded values",
    // promtool compares floats exactly: every value is rounded.
    promql_expr_test: [
      exp(`round(bitactor:latency_within_budget:ratio_rate1m{${sel}}, 0.0001)`, [{ labels: `{${sel}, rollout_role="active"}`, value: 0.9995 }]),
      // Both spellings merge into one bucket per bound: bounds + Inf series, not twice as many.
      exp(`count(bitactor:latency_ns_bucket:rate1m{${sel}})`, [{ labels: "{}", value: c.metric.bucketsNs.length + 1 }]),
      exp(`round(sum(bitactor:latency_ns_bucket:rate1m{${sel}, le="${c.budgetNs}"}))`, [{ labels: "{}", value: Math.round(2 * rate * 0.9995) }]),
      exp(`round(bitactor:latency_p99_ns:rate1m{${sel}})`, [{ labels: `{${sel}, rollout_role="active", rollouts_pod_template_hash="aaaaaaaaa"}`, value: Math.round(p99) }]),
      exp(`round(sum by (venue) (bitactor:events:rate1m{${sel}}))`, [{ labels: `{venue="NASDAQ"}`, value: Math.round(rate * 0.4) }, { labels: `{venue="NYSE"}`, value: Math.round(rate * 1.6) }]),
      // In parts per 100 000: round(x, 0.00001) leaves binary noise (5.000000000000001E-04).
      exp(`round(bitactor:slo_latency_errors:ratio_rate5m{${sel}} * 1e5)`, [{ labels: `{${sel}}`, value: 50 }]),
      exp(`bitactor:slo_availability_errors:ratio_rate1h{${sel}}`, [{ labels: `bitactor:slo_availability_errors:ratio_rate1h{${sel}}`, value: 0 }]),
    ],
  };
  const out = await runTests(groups, [check]);
  assert.equal(out.status, 0, `promtool test rules failed:\n${out.stdout}\n${out.stderr}`);
});

test("promtool test rules fails when an alert that should fire does not (the harness can fail)", async () => {
  const { tests, groups } = await promtoolTests("rollouts/production/us-east-1", "order-engine");
  const healthy = tests[0]!;
  const wrong = { ...healthy, promql_expr_test: [{ ...healthy.promql_expr_test[0]!, exp_samples: firingSamples([ALERTS.latencyOverBudget], []) }] };
  const out = await runTests(groups, [wrong]);
  assert.notEqual(out.status, 0);
  assert.match(out.stdout + out.stderr, /BitActorLatencyOverBudget/);
});

test("promtool test rules: the p99 alert's labels and annotations, with the measured share filled in", async () => {
  const { tests, groups, namespace } = await promtoolTests("rollouts/production/us-east-1", "order-engine");
  const js = tests.find((t) => t.name.includes("JavaScript"))!;
  const rule = groups.flatMap((g) => g.rules).find((r) => r.alert === ALERTS.latencyOverBudget)!;
  const out = await runTests(groups, [{
    ...js,
    promql_expr_test: [],
    alert_rule_test: [{
      eval_time: "9m",
      alertname: ALERTS.latencyOverBudget,
      exp_alerts: [{
        exp_labels: { ...rule.labels, namespace, rollout_role: "active" },
        exp_annotations: { ...rule.annotations, description: rule.annotations!.description!.replace("{{ $value | humanizePercentage }}", "98%") },
      }],
    }],
  }]);
  assert.equal(out.status, 0, `promtool test rules failed:\n${out.stdout}\n${out.stderr}`);
  assert.match(rule.annotations!.dashboard!, /^https:\/\/grafana\.bitactor-prod-use1\.bitactor\.internal\/d\/bitactor-order-engine\?var-namespace=production-us-east-1$/);
});

test("property: over random shares and rates, the p99 alert fires exactly when share < quantile at or above the floor rate, and each burn-rate alert exactly when the error ratio exceeds its threshold", async () => {
  const { model, groups, namespace, c, rule } = await promtoolTests("rollouts/production/us-east-1", "order-engine");
  const { quantile, slo } = model.catalog;
  const floor = Math.ceil(postPromotionFloorRate(c));
  const cases = fc.sample(
    fc.record({
      under: fc.double({ min: 0.95, max: 1, noNaN: true }),
      rate: fc.integer({ min: 0, max: 3 * floor }),
      errors: fc.double({ min: 0, max: 0.003, noNaN: true }),
    }).filter(({ under, rate, errors }) => {
      // Keep clear of the thresholds, where float noise in the counters could tip the comparison.
      const near = (x: number, t: number) => Math.abs(x - t) < 0.0004;
      const burn = slo.burnRateAlerts.map((b) => b.burnRate);
      return rate > 0 && Math.abs(rate - floor) > 2 && !near(under, quantile) && !burn.some((f) => near(1 - under, f * (1 - slo.latencyObjective)) || Math.abs(errors - f * (1 - slo.availabilityObjective)) < 0.00005);
    }),
    { numRuns: 40, seed: 7 },
  );
  const tests = cases.map((k, i) => {
    const pod: Pod = { role: "active", hash: "aaaaaaaaa", pod: "c-aaaaaaaaa-1", rate: k.rate, under: k.under, errors: k.errors };
    const firing: string[] = [];
    if (k.under < quantile && k.rate >= floor) firing.push(ALERTS.latencyOverBudget);
    for (const b of slo.burnRateAlerts) {
      if (1 - k.under > b.burnRate * (1 - slo.latencyObjective)) firing.push(`${ALERTS.latencyBurn}/${b.severity}/${b.longWindow}`);
      if (k.errors > b.burnRate * (1 - slo.availabilityObjective)) firing.push(`${ALERTS.availabilityBurn}/${b.severity}/${b.longWindow}`);
    }
    return {
      name: `case ${i}: ${JSON.stringify(k)}`,
      interval: `${STEP_S}s`,
      input_series: inputSeries(c, namespace, rule.object.metadata.name, [{ minutes: 8, pods: [pod] }]),
      promql_expr_test: [{ expr: FIRING, eval_time: "7m", exp_samples: firingSamples(firing, [pod]) }],
    };
  });
  assert.ok(tests.length === 40);
  // Both sides of every threshold were drawn.
  assert.ok(cases.some((k) => k.under < quantile && k.rate >= floor) && cases.some((k) => k.under >= quantile && k.rate >= floor) && cases.some((k) => k.under < quantile && k.rate < floor));
  const out = await runTests(groups, tests);
  assert.equal(out.status, 0, `promtool test rules failed:\n${out.stdout}\n${out.stderr}`);
});
