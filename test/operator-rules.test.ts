// The operator's rendered PrometheusRule, run by the real Prometheus rule engine (promtool, tools/versions.json):
// which alerts fire, with which labels, when the operator's /metrics (operator/src/metrics.ts) say
// a region is not TradingReady or no replica leads, in production (grace 120 s, page) and staging
// (grace 0, ticket); a standby's stale figures never page; where the region runs the operator
// (staging), no replica scraped at all pages as no leader; where it has not arrived yet, nothing does.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { stringify } from "yaml";
import { committedModel } from "./helpers/repo.ts";
import { withDir } from "./helpers/tmp.ts";
import { promtool } from "./helpers/tools.ts";
import { renderObjects, type RenderedObject } from "../generators/render.ts";
import { OPERATOR_ALERTS } from "../generators/constructs/operator-monitoring.ts";
import { operatorNames } from "../generators/constructs/operator-access.ts";
import { METRIC } from "../operator/src/metrics.ts";

const STEP_S = 15;

interface Groups { groups: { rules: { alert?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }[] }[] }

/** An alert's annotations as Prometheus expands them for one region (the only template is the cluster label). */
function annotationsOf(groups: Groups["groups"], alert: string, cluster: string): Record<string, string> {
  const r = groups.flatMap((g) => g.rules).find((x) => x.alert === alert)!;
  return Object.fromEntries(Object.entries(r.annotations ?? {}).map(([k, v]) => [k, v.replaceAll("{{ $labels.cluster }}", cluster)]));
}

const model = await committedModel();
const objects = renderObjects(model);

async function operatorRule(stage: string): Promise<{ rule: RenderedObject; grace: number; severity: string }> {
  const rule = objects.find((o) => o.object.kind === "PrometheusRule" && o.object.metadata.namespace === operatorNames.namespace(stage));
  assert.ok(rule, `the operator's PrometheusRule in ${stage}`);
  const env = model.environments.find((e) => stage.startsWith(`${e.settings.environment}-`))!;
  return { rule, grace: env.settings.operator.orderFlowCloseGraceSeconds, severity: env.settings.operator.notTradingSeverity };
}

/** One replica's series for `minutes`: its leader gauge and its TradingReady condition (1 for the current status). */
function replica(stage: string, pod: string, leader: number, tradingReady: "True" | "False" | "Unknown", minutes: number) {
  const job = `${operatorNames.namespace(stage)}/${operatorNames.monitor}`;
  const base = `job="${job}", namespace="${operatorNames.namespace(stage)}", pod="${pod}"`;
  const n = (minutes * 60) / STEP_S;
  return [
    { series: `${METRIC.leader}{${base}}`, values: `${leader}x${n}` },
    ...(["True", "False", "Unknown"] as const).map((status) => ({
      series: `${METRIC.condition}{${base}, cluster="${stage}", type="TradingReady", status="${status}"}`,
      values: `${status === tradingReady ? 1 : 0}x${n}`,
    })),
  ];
}

function notTrading(stage: string, pod: string, severity: string, exp_annotations: Record<string, string>) {
  const job = `${operatorNames.namespace(stage)}/${operatorNames.monitor}`;
  return {
    exp_labels: { severity, stage, job, namespace: operatorNames.namespace(stage), pod, cluster: stage, type: "TradingReady", status: "True" },
    exp_annotations,
  };
}

function run(groups: unknown, tests: unknown[]) {
  return withDir("operator-rules-", async (dir) => {
    await writeFile(join(dir, "rules.yml"), stringify(groups, { lineWidth: 0 }));
    await writeFile(join(dir, "test.yml"), stringify({ rule_files: ["rules.yml"], evaluation_interval: `${STEP_S}s`, tests }, { lineWidth: 0 }));
    return spawnSync(promtool(), ["test", "rules", join(dir, "test.yml")], { encoding: "utf8" });
  });
}

/** The scenarios for one stage: before the grace nothing, after it exactly the expected alerts. */
function scenarios(stage: string, grace: number, severity: string, groups: Groups["groups"]) {
  // Whether the stage's region file pins the operator (its Deployment is rendered): then no series at all is an outage.
  const runsOperator = objects.some((o) => o.object.kind === "Deployment" && o.object.metadata.namespace === operatorNames.namespace(stage));
  const notTradingAnnotations = annotationsOf(groups, OPERATOR_ALERTS.notTrading, stage);
  assert.match(notTradingAnnotations.summary!, new RegExp(`BitActorCluster ${stage} is not TradingReady`));
  const before = Math.max(0, grace - STEP_S);
  const after = grace + 60;
  const minutes = 10;
  const alert = (eval_time: number, alertname: string, exp_alerts: unknown[]) => ({ eval_time: `${eval_time}s`, alertname, exp_alerts });
  return [
    {
      name: "trading: the leader reports TradingReady True, the standby stale False: nothing fires",
      interval: `${STEP_S}s`,
      input_series: [...replica(stage, "op-a", 1, "True", minutes), ...replica(stage, "op-b", 0, "False", minutes)],
      alert_rule_test: [alert(after, OPERATOR_ALERTS.notTrading, []), alert(after, OPERATOR_ALERTS.noLeader, [])],
    },
    {
      name: "not trading: the leader reports TradingReady False past the grace: it fires, once, for the leader",
      interval: `${STEP_S}s`,
      input_series: [...replica(stage, "op-a", 1, "False", minutes), ...replica(stage, "op-b", 0, "True", minutes)],
      alert_rule_test: [
        ...(grace > 0 ? [alert(before, OPERATOR_ALERTS.notTrading, [])] : []),
        alert(after, OPERATOR_ALERTS.notTrading, [notTrading(stage, "op-a", severity, notTradingAnnotations)]),
      ],
    },
    {
      name: "unknown counts as not trading (the operator cannot tell: fail closed)",
      interval: `${STEP_S}s`,
      input_series: replica(stage, "op-a", 1, "Unknown", minutes),
      alert_rule_test: [alert(after, OPERATOR_ALERTS.notTrading, [notTrading(stage, "op-a", severity, notTradingAnnotations)])],
    },
    {
      name: "no leader: both replicas scraped, neither holds the Lease for over a minute",
      interval: `${STEP_S}s`,
      input_series: [...replica(stage, "op-a", 0, "True", minutes), ...replica(stage, "op-b", 0, "True", minutes)],
      alert_rule_test: [
        alert(45, OPERATOR_ALERTS.noLeader, []),
        alert(120, OPERATOR_ALERTS.noLeader, [{ exp_labels: { severity, stage }, exp_annotations: annotationsOf(groups, OPERATOR_ALERTS.noLeader, stage) }]),
        alert(120, OPERATOR_ALERTS.notTrading, []),
      ],
    },
    runsOperator
      ? {
          // Its region file pins the operator, so its pods should be scraped: none is, a page after a minute.
          name: "operator pinned but no replica scraped (no series at all): no leader pages",
          interval: `${STEP_S}s`,
          input_series: [{ series: "up{job=\"unrelated\"}", values: `1x${(minutes * 60) / STEP_S}` }],
          alert_rule_test: [
            alert(45, OPERATOR_ALERTS.noLeader, []),
            alert(120, OPERATOR_ALERTS.noLeader, [{ exp_labels: { severity, stage, job: `${operatorNames.namespace(stage)}/${operatorNames.monitor}` }, exp_annotations: annotationsOf(groups, OPERATOR_ALERTS.noLeader, stage) }]),
            alert(after, OPERATOR_ALERTS.notTrading, []),
          ],
        }
      : {
          name: "the operator has not reached this region (no series at all): nothing pages",
          interval: `${STEP_S}s`,
          input_series: [{ series: "up{job=\"unrelated\"}", values: `1x${(minutes * 60) / STEP_S}` }],
          alert_rule_test: [alert(after, OPERATOR_ALERTS.notTrading, []), alert(after, OPERATOR_ALERTS.noLeader, [])],
        },
  ];
}

for (const stage of ["production-us-east-1", "staging-us-east-1"]) {
  test(`promtool test rules: the operator's alerts in ${stage} fire exactly when they should`, async () => {
    const { rule, grace, severity } = await operatorRule(stage);
    const out = await run({ groups: (rule.object.spec as Groups).groups }, scenarios(stage, grace, severity, (rule.object.spec as Groups).groups));
    assert.equal(out.status, 0, `promtool test rules failed:\n${out.stdout}\n${out.stderr}`);
  });
}

test("the rule's `for` is the environment's order-flow grace and its severity the environment's", async () => {
  for (const stage of ["production-us-east-1", "staging-us-east-1"]) {
    const { rule, grace, severity } = await operatorRule(stage);
    const r = (rule.object.spec as Groups).groups[0]!.rules.find((x) => x.alert === OPERATOR_ALERTS.notTrading)!;
    assert.equal(r.for, grace === 0 ? "0s" : `${grace / 60}m`);
    assert.deepEqual(r.labels, { severity, stage });
  }
  assert.equal((await operatorRule("production-us-east-1")).severity, "page");
  assert.equal((await operatorRule("staging-us-east-1")).severity, "ticket");
});

test("promtool fails when the rule stops telling the leader from the standby (the harness can fail)", async () => {
  const stage = "production-us-east-1";
  const { rule, grace, severity } = await operatorRule(stage);
  const groups = structuredClone((rule.object.spec as Groups).groups);
  const r = groups[0]!.rules.find((x) => x.alert === OPERATOR_ALERTS.notTrading)!;
  r.expr = r.expr.split("\nand on (pod)")[0]!;
  assert.ok(!r.expr.includes("leader"), "the mutation removed the leader filter");
  const out = await run({ groups }, scenarios(stage, grace, severity, groups));
  assert.notEqual(out.status, 0, "a stale standby's False must make the mutated rule fire, and promtool must notice");
  assert.match(out.stdout + out.stderr, /op-b/);
});
