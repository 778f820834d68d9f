// The latency gate, taken from the rendered AnalysisTemplates, on synthetic histograms:
// 1. promtool test rules runs the rendered PromQL (the real Prometheus engine);
// 2. Argo Rollouts' own provider and evaluator (tools/argo-eval, pinned v1.10.2) turn the results
//    into measurement phases with the rendered success/failure conditions.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { stringify } from "yaml";
import { committedModel } from "./helpers/repo.ts";
import { evaluateWithArgo, promtool } from "./helpers/tools.ts";
import { renderObjects } from "../generators/render.ts";
import type { IMetric } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Metric";

const NS = "production-us-east-1";
const PREVIEW = "7d9f8c6b5";
const STABLE = "5c8d7f9a1";
const ORDER = "bitactor_order_engine_latency_seconds";
const RISK = "bitactor_risk_engine_latency_seconds";

async function template(name: string) {
  const objects = renderObjects(await committedModel());
  const t = objects.find((o) => o.path === `rollouts/production/us-east-1/order-engine/analysistemplate-${name}.yaml`);
  assert.ok(t, name);
  return (t.object.spec as { metrics: IMetric[] }).metrics;
}

/** One pod's histogram: `rate` observations per second, `under` of them ≤ 1 µs. */
interface Pod {
  readonly metric?: string;
  readonly hash: string;
  readonly pod: string;
  readonly le: string;
  readonly rate: number;
  readonly under: number;
}

function series(p: Pod, seconds = 60): { series: string; values: string }[] {
  const labels = `namespace="${NS}", rollouts_pod_template_hash="${p.hash}", pod="${p.pod}"`;
  const m = p.metric ?? ORDER;
  // seconds+1 one-second samples of a counter growing at a constant rate (promtool's a+bxN notation).
  return [
    { series: `${m}_count{${labels}}`, values: `0+${p.rate}x${seconds}` },
    { series: `${m}_bucket{${labels}, le="${p.le}"}`, values: `0+${p.under}x${seconds}` },
    { series: `${m}_bucket{${labels}, le="+Inf"}`, values: `0+${p.rate}x${seconds}` },
  ];
}

interface Scenario {
  readonly name: string;
  readonly pods: readonly Pod[];
  /** Expected sample count in one 30 s window, `undefined` for an empty vector. */
  readonly samples: number | undefined;
  /** Expected share (rounded) when the pre-promotion floor is met, `undefined` for an empty vector. */
  readonly share: number | undefined;
  readonly passes: boolean;
}

const healthy = (le: string, pod = "oe-new-1"): Pod => ({ hash: PREVIEW, pod, le, rate: 20000, under: 19900 }); // 99.5 % ≤ 1 µs: p99 ≈ 0.8 µs
const scenarios: Scenario[] = [
  { name: "healthy (p99 0.8 µs), Go spelling 1e-06", pods: [healthy("1e-06")], samples: 600000, share: 0.995, passes: true },
  { name: "healthy (p99 0.8 µs), JavaScript spelling 0.000001", pods: [healthy("0.000001")], samples: 600000, share: 0.995, passes: true },
  { name: "healthy, Java spelling 1.0E-6", pods: [healthy("1.0E-6")], samples: 600000, share: 0.995, passes: true },
  { name: "healthy, pods of one release with mixed spellings", pods: [healthy("1e-06", "oe-new-1"), healthy("0.000001", "oe-new-2")], samples: 1200000, share: 0.995, passes: true },
  { name: "regressed (p99 1.2 µs: 97 % ≤ 1 µs)", pods: [{ hash: PREVIEW, pod: "oe-new-1", le: "1e-06", rate: 20000, under: 19400 }], samples: 600000, share: 0.97, passes: false },
  { name: "borderline (98.9 % ≤ 1 µs)", pods: [{ hash: PREVIEW, pod: "oe-new-1", le: "1e-06", rate: 20000, under: 19780 }], samples: 600000, share: 0.989, passes: false },
  { name: "no traffic: series exist but never move", pods: [{ hash: PREVIEW, pod: "oe-new-1", le: "1e-06", rate: 0, under: 0 }], samples: 0, share: undefined, passes: false },
  { name: "no traffic: no series at all", pods: [], samples: undefined, share: undefined, passes: false },
  { name: "too few samples (perfect latency, 100/s)", pods: [{ hash: PREVIEW, pod: "oe-new-1", le: "1e-06", rate: 100, under: 100 }], samples: 3000, share: undefined, passes: false },
  {
    name: "regressed preview is not rescued by healthy stable pods or other components",
    pods: [
      { hash: PREVIEW, pod: "oe-new-1", le: "1e-06", rate: 20000, under: 19400 },
      { hash: STABLE, pod: "oe-old-1", le: "1e-06", rate: 1000000, under: 1000000 },
      { metric: RISK, hash: PREVIEW, pod: "risk-1", le: "1e-06", rate: 1000000, under: 1000000 },
    ],
    samples: 600000,
    share: 0.97,
    passes: false,
  },
  {
    name: "healthy preview is not failed by slow stable pods or other components",
    pods: [
      healthy("1e-06"),
      { hash: STABLE, pod: "oe-old-1", le: "1e-06", rate: 1000000, under: 500000 },
      { metric: RISK, hash: PREVIEW, pod: "risk-1", le: "1e-06", rate: 1000000, under: 0 },
    ],
    samples: 600000,
    share: 0.995,
    passes: true,
  },
];

const byName = (metrics: IMetric[], prefix: string) => {
  const m = metrics.find((x) => x.name.startsWith(prefix));
  assert.ok(m, prefix);
  return m;
};

/** The new ReplicaSet's hash in place of the Rollout's argument (pre: preview-hash, post: active-hash). */
const forRelease = (q: string) => q.replaceAll("{{args.preview-hash}}", PREVIEW).replaceAll("{{args.active-hash}}", PREVIEW);

const GATES = [["order-engine-pre-promotion", "preview"], ["order-engine-post-promotion", "active"]] as const;

/** A gate's rendered metrics and what a scenario must give under its window (30 s pre, 60 s post) and floor. */
async function gate(name: string, who: string) {
  const metrics = await template(name);
  const samples = byName(metrics, `${who}-samples-min-`);
  const share = byName(metrics, `${who}-p99-le-1000ns`);
  const samplesQ = forRelease(samples.provider.prometheus!.query!);
  const floor = Number(samples.name.split("-").pop());
  const window = Number(/\[(\d+)s\]/.exec(samplesQ)![1]);
  const expected = (s: Scenario) => {
    // Counts scale with the window; the share is only reported at or above the template's own floor.
    const count = s.samples === undefined ? undefined : (s.samples * window) / 30;
    return { count, share: count !== undefined && count >= floor ? s.share : undefined };
  };
  return { samples, share, samplesQ, shareQ: forRelease(share.provider.prometheus!.query!), window, expected };
}

test("promtool: the rendered pre- and post-promotion PromQL give the expected share and sample count", async () => {
  const tests = [];
  for (const [name, who] of GATES) {
    const { samplesQ, shareQ, window, expected } = await gate(name, who);
    // Evaluate after two full windows of data.
    const exp = (v: number | undefined, expr: string) => ({ expr, eval_time: `${2 * window}s`, exp_samples: v === undefined ? [] : [{ labels: "{}", value: v }] });
    for (const s of scenarios) {
      const { count, share } = expected(s);
      tests.push({
        name: `${name}: ${s.name}`,
        interval: "1s",
        input_series: s.pods.flatMap((p) => series(p, 2 * window)),
        // promtool compares floats exactly: compare rounded values (the gate itself is not rounded).
        promql_expr_test: [exp(count, `round(${samplesQ})`), exp(share, `round(${shareQ}, 0.0001)`)],
      });
    }
  }
  const doc = { rule_files: [], evaluation_interval: "1s", tests };
  const dir = await mkdtemp(join(tmpdir(), "gate-"));
  try {
    await writeFile(join(dir, "gate.test.yml"), stringify(doc, { lineWidth: 0 }));
    const r = spawnSync(promtool(), ["test", "rules", join(dir, "gate.test.yml")], { encoding: "utf8" });
    assert.equal(r.status, 0, `promtool test rules failed:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /SUCCESS/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("promtool fails when the gate is wrong (the harness can fail)", async () => {
  const metrics = await template("order-engine-pre-promotion");
  const shareQ = forRelease(byName(metrics, "preview-p99-le-1000ns").provider.prometheus!.query!);
  const dir = await mkdtemp(join(tmpdir(), "gate-"));
  try {
    const doc = { rule_files: [], evaluation_interval: "1s", tests: [{ interval: "1s", input_series: series({ hash: PREVIEW, pod: "p", le: "1e-06", rate: 20000, under: 19400 }), promql_expr_test: [{ expr: `round(${shareQ}, 0.0001)`, eval_time: "60s", exp_samples: [{ labels: "{}", value: 0.995 }] }] }] };
    await writeFile(join(dir, "gate.test.yml"), stringify(doc, { lineWidth: 0 }));
    const r = spawnSync(promtool(), ["test", "rules", join(dir, "gate.test.yml")], { encoding: "utf8" });
    assert.notEqual(r.status, 0);
    assert.match(r.stdout + r.stderr, /exp: \{\} 9\.95E-01\s+got: \{\} 9\.7E-01/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("Argo's semantics: the rendered conditions promote only the healthy scenarios", async () => {
  for (const [name, who] of GATES) {
    const { samples, share, expected } = await gate(name, who);
    for (const s of scenarios) {
      const e = expected(s);
      const [a, b] = evaluateWithArgo([
        { metric: samples, vector: e.count === undefined ? [] : [e.count] },
        { metric: share, vector: e.share === undefined ? [] : [e.share] },
      ]);
      const passed = a!.phase === "Successful" && b!.phase === "Successful";
      assert.equal(passed, s.passes, `${name}: ${s.name}: samples ${a!.phase} ${a!.value}, share ${b!.phase} ${b!.value}`);
      // Fail closed means Failed (counted, decisive), never Error (retried) or Inconclusive (waited on).
      for (const m of [a!, b!]) assert.ok(m.phase === "Successful" || m.phase === "Failed", `${s.name}: ${m.phase} ${m.message}`);
    }
  }
});

test("Argo's semantics: NaN, empty, several series and an unreachable Prometheus never succeed", async () => {
  const metrics = await template("order-engine-pre-promotion");
  const share = byName(metrics, "preview-p99-le-");
  const out = evaluateWithArgo([
    { metric: share, vector: [NaN] },
    { metric: share, vector: [] },
    { metric: share, vector: [0.999, 0.5] },
    { metric: share, vector: [Infinity] },
    { metric: share, error: "dial tcp 10.0.0.1:9090: connect: connection refused" },
    { metric: share, error: "context deadline exceeded" },
  ]);
  assert.deepEqual(out.map((m) => m.phase), ["Failed", "Failed", "Failed", "Failed", "Error", "Error"]);
  // Errors are retried at most consecutiveErrorLimit times, then the run errors and the Rollout aborts.
  for (const m of metrics) assert.equal(m.consecutiveErrorLimit, 2, m.name);
});

test("the known traps are real in Argo's code, and our conditions avoid them", async () => {
  const provider = { prometheus: { address: "http://prometheus:9090", query: "q" } };
  const [failureOnly, unguarded, ours] = evaluateWithArgo([
    { metric: { name: "failure-only", failureCondition: "result[0] < 0.99", provider }, vector: [NaN] },
    { metric: { name: "unguarded", successCondition: "result[0] >= 0.99", provider }, vector: [] },
    { metric: { ...(await template("order-engine-pre-promotion")).find((m) => m.name === "preview-p99-le-1000ns")!, provider }, vector: [NaN] },
  ]);
  assert.equal(failureOnly!.phase, "Successful", "a failureCondition-only gate passes on NaN");
  assert.equal(unguarded!.phase, "Error", "result[0] on an empty vector is an error (retried, not counted)");
  assert.equal(ours!.phase, "Failed");
});
