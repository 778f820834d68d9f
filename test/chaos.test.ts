// Chaos in staging (generators/constructs/chaos.ts): the ChaosEngines against every staging Rollout,
// their probes = the SLO queries, their closed schema, staging's chaos project as the only one that
// admits them, the session CronJob, and chaos as data (a production with chaos renders it everywhere).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { committedModel } from "./helpers/repo.ts";
import { renderObjects, type K8sObject } from "../generators/render.ts";
import { validateObject } from "../generators/validate/models.ts";
import { chaosEngineCrd } from "../generators/validate/litmus.ts";
import { FAULTS } from "../generators/constructs/chaos.ts";
import { ComponentQueries } from "../generators/slo-promql.ts";
import type { RepositoryModel } from "../generators/inputs/types.ts";

const model = await committedModel();
const objects = renderObjects(model);
const byKind = (kind: string) => objects.filter((o) => o.object.kind === kind);
type Engine = K8sObject & { spec: { engineState: string; appinfo: { appns: string; applabel: string; appkind: string }; experiments: { name: string; spec: { components: { env: { name: string; value: string }[] }; probe: { name: string; mode: string; "promProbe/inputs": { query: string; comparator: { criteria: string; value: string } }; runProperties: Record<string, unknown> }[] } }[] } };

test("staging: four ChaosEngines per component against its Rollout, inert until a session starts them; production: none", () => {
  const engines = byKind("ChaosEngine");
  const staging = model.environments.find((e) => e.settings.environment === "staging")!;
  const expected = staging.regions.flatMap((r) => Object.keys(r.components).flatMap((c) => FAULTS.map((f) => `rollouts/staging/${r.region}/chaos/chaosengine-${c}-${f}.yaml`))).sort();
  assert.deepEqual(engines.map((e) => e.path).sort(), expected);
  assert.equal(engines.length, 20);
  for (const { object } of engines) {
    const e = object as Engine;
    assert.equal(e.spec.engineState, "stop");
    assert.equal(e.spec.appinfo.appkind, "rollout");
    assert.equal(e.spec.appinfo.appns, e.metadata.namespace);
    // The applabel selects the Rollout's pods: its selector's app.kubernetes.io/name.
    const component = e.metadata.labels && (e.metadata.labels as Record<string, string>)["bitactor.io/component"];
    const rollout = objects.find((o) => o.object.kind === "Rollout" && o.object.metadata.name === component && o.object.metadata.namespace === e.metadata.namespace)!.object as K8sObject & { spec: { selector: { matchLabels: Record<string, string> } } };
    const [k, v] = e.spec.appinfo.applabel.split("=");
    assert.equal(rollout.spec.selector.matchLabels[k!], v);
  }
  assert.ok(!objects.some((o) => o.path.startsWith("rollouts/production/") && /\/chaos\//.test(o.path)));
});

test("every probe reads the component's SLO query (the one its recording rules record) against the SLO's error budget, continuously, and stops the fault on failure", () => {
  const s = model.catalog.slo;
  for (const { object } of byKind("ChaosEngine")) {
    const e = object as Engine;
    const component = (e.metadata.labels as Record<string, string>)["bitactor.io/component"]!;
    const q = new ComponentQueries(model.catalog, component, model.catalog.components[component]!, e.metadata.namespace!);
    const probes = e.spec.experiments[0]!.spec.probe;
    assert.deepEqual(probes.map((p) => [p.name, p.mode, p["promProbe/inputs"].comparator.criteria, p["promProbe/inputs"].comparator.value]), [
      ["latency-slo", "Continuous", "<=", String(Number((1 - s.latencyObjective).toPrecision(12)))],
      ["availability-slo", "Continuous", "<=", String(Number((1 - s.availabilityObjective).toPrecision(12)))],
    ]);
    assert.equal(probes[0]!["promProbe/inputs"].query, q.latencySloErrors("1m"));
    assert.equal(probes[1]!["promProbe/inputs"].query, q.availabilitySloErrors("1m"));
    for (const p of probes) assert.equal(p.runProperties.stopOnFailure, true);
    // The same text the component's PrometheusRule records for the SLO, window aside.
    const rules = objects.find((o) => o.object.kind === "PrometheusRule" && o.object.metadata.name === component && o.object.metadata.namespace === e.metadata.namespace)!.object as K8sObject & { spec: { groups: { rules: { record?: string; expr: string }[] }[] } };
    const recorded = rules.spec.groups.flatMap((g) => g.rules).find((r) => r.record === "bitactor:slo_latency_errors:ratio_rate5m")!;
    assert.equal(probes[0]!["promProbe/inputs"].query, recorded.expr.replaceAll("[5m]", "[1m]"));
  }
  assert.deepEqual(model.catalog.slo.latencyObjective, 0.999);
});

test("the faults' settings: network latency on the component's path (its downstream Services, or the venues' cidrs), node drain of a node of its pool", () => {
  const env = (name: string) => Object.fromEntries((byKind("ChaosEngine").find((o) => o.object.metadata.name === name)!.object as Engine).spec.experiments[0]!.spec.components.env.map((v) => [v.name, v.value]));
  assert.equal(env("order-engine-pod-network-latency").DESTINATION_HOSTS, "risk-engine.staging-us-east-1.svc.cluster.local,execution-gateway.staging-us-east-1.svc.cluster.local");
  assert.equal(env("order-engine-pod-network-latency").NETWORK_LATENCY, "1");
  const venues = model.environments.find((e) => e.settings.environment === "staging")!.regions[0]!.exchanges.flatMap((x) => x.cidrs).join(",");
  assert.equal(env("execution-gateway-pod-network-latency").DESTINATION_IPS, venues);
  assert.equal(env("order-engine-node-drain").NODE_LABEL, "bitactor.io/node-pool=bare-metal");
  assert.equal(env("order-engine-pod-delete").FORCE, "false");
  assert.equal(env("order-engine-pod-cpu-hog").TARGET_CONTAINER, "order-engine");
});

test("only staging's chaos project admits a ChaosEngine; its Application ignores engineState so Argo CD neither starts nor reverts an engine", () => {
  const projects = byKind("AppProject").map((o) => o.object as K8sObject & { spec: { namespaceResourceWhitelist?: { group: string; kind: string }[]; clusterResourceWhitelist?: { group: string; kind: string }[] } });
  const admitting = projects.filter((p) => (p.spec.namespaceResourceWhitelist ?? []).some((k) => k.group === "litmuschaos.io")).map((p) => p.metadata.name);
  assert.deepEqual(admitting, ["staging-us-east-1-chaos"]);
  const chaos = projects.find((p) => p.metadata.name === "staging-us-east-1-chaos")!;
  assert.deepEqual(chaos.spec.clusterResourceWhitelist, [{ group: "rbac.authorization.k8s.io", kind: "ClusterRole" }, { group: "rbac.authorization.k8s.io", kind: "ClusterRoleBinding" }]);
  const set = byKind("ApplicationSet").find((o) => o.object.metadata.name === "staging-us-east-1")!.object as K8sObject & { spec: { templatePatch: string; generators: { list: { elements: { component: string; project: string }[] } }[] } };
  assert.ok(set.spec.generators[0]!.list.elements.some((e) => e.component === "chaos" && e.project === "staging-us-east-1-chaos"));
  assert.match(set.spec.templatePatch, /\{\{- else if eq \.component "chaos" \}\}\n\{"spec":\{"ignoreDifferences":\[\{"group":"litmuschaos\.io","kind":"ChaosEngine","jsonPointers":\["\/spec\/engineState"\]\}\],"syncOptions|"syncPolicy":\{"syncOptions":\["PruneLast=true","RespectIgnoreDifferences=true"\]\}/);
  const prod = byKind("ApplicationSet").find((o) => o.object.metadata.name === "production-us-east-1")!.object as K8sObject & { spec: { templatePatch: string } };
  assert.doesNotMatch(prod.spec.templatePatch, /chaos/);
});

test("the session CronJob runs every engine of the stage one at a time, stops at the first failed verdict, and its script passes shellcheck", () => {
  const cron = byKind("CronJob").find((o) => o.path === "rollouts/staging/us-east-1/chaos/cronjob-chaos-trigger.yaml")!.object as K8sObject & { spec: { schedule: string; concurrencyPolicy: string; jobTemplate: { spec: { template: { spec: { containers: { command: string[] }[] } } } } } };
  assert.equal(cron.spec.schedule, "0 10 * * 2");
  assert.equal(cron.spec.concurrencyPolicy, "Forbid");
  const script = cron.spec.jobTemplate.spec.template.spec.containers[0]!.command[2]!;
  const runs = /^for run in (.*); do$/m.exec(script)![1]!.split(" ");
  assert.deepEqual(runs.map((r) => r.split("/")[0]).sort(), byKind("ChaosEngine").filter((o) => o.object.metadata.namespace === "staging-us-east-1").map((o) => o.object.metadata.name).sort());
  // Each engine's ChaosResult is <engine>-<fault>: the fault is rendered with it, never looked up.
  for (const r of runs) assert.ok(r.split("/")[0]!.endsWith(`-${r.split("/")[1]}`), r);
  // Mildest first: every pod fault of every component before any node is drained.
  const faults = runs.map((r) => r.split("/")[1]!);
  assert.deepEqual(faults, [...faults].sort((a, b) => FAULTS.indexOf(a as never) - FAULTS.indexOf(b as never)));
  assert.ok(faults.lastIndexOf("pod-network-latency") < faults.indexOf("node-drain"));
  assert.match(script, /if \[ "\$\{verdict\}" != "Pass" \]; then exit 1; fi/);
  const dir = mkdtempSync(join(tmpdir(), "bitactor-chaos-"));
  writeFileSync(join(dir, "session.sh"), `#!/usr/bin/env bash\n${script}\n`);
  const r = spawnSync("shellcheck", [join(dir, "session.sh")], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test("the closed schema refuses what Litmus 3.x would ignore or misread: a misspelled field, 2.x integer run properties, an unknown appkind, annotationCheck, a numeric comparator value", () => {
  const engine = structuredClone(byKind("ChaosEngine")[0]!.object) as Engine;
  assert.deepEqual(validateObject(engine), []);
  const issues = (change: (e: Record<string, any>) => void) => {
    const e = structuredClone(engine) as Record<string, any>;
    change(e);
    // ajv-checked kinds report the field in the message (generators/validate/crd-models.ts).
    return validateObject(e).map((i) => `${i.path}${i.message}`);
  };
  assert.deepEqual(issues((e) => { e.spec.engineSate = "stop"; }), ["/spec must NOT have additional properties: \"engineSate\""]);
  assert.ok(issues((e) => { e.spec.experiments[0].spec.probe[0].runProperties.interval = 5; }).some((i) => i.startsWith("/spec/experiments/0/spec/probe/0/runProperties/interval")));
  assert.ok(issues((e) => { e.spec.experiments[0].spec.probe[0].runProperties.interval = "5"; }).some((i) => i.startsWith("/spec/experiments/0/spec/probe/0/runProperties/interval")), "a duration without its unit");
  assert.ok(issues((e) => { e.spec.appinfo.appkind = "rollouts"; }).some((i) => i.startsWith("/spec/appinfo/appkind")));
  assert.ok(issues((e) => { e.spec.annotationCheck = "false"; }).some((i) => /annotationCheck/.test(i)));
  assert.ok(issues((e) => { e.spec.experiments[0].spec.probe[0]["promProbe/inputs"].comparator.value = 0.001; }).some((i) => i.startsWith("/spec/experiments/0/spec/probe/0/promProbe~1inputs/comparator/value") || /comparator\/value/.test(i)));
  assert.ok(issues((e) => { e.spec.experiments[0].name = "pod-kill"; }).some((i) => i.startsWith("/spec/experiments/0/name")));
  // The checks' CRD from the same schema: structural (no additionalProperties: false), ChaosEngine v1alpha1.
  const crd = chaosEngineCrd();
  assert.equal(crd.metadata.name, "chaosengines.litmuschaos.io");
  assert.doesNotMatch(JSON.stringify(crd), /"additionalProperties":false/);
});

test("chaos is data: the same section in production's environment.yaml renders a chaos folder, project and Application for each production stage", () => {
  const staging = model.environments.find((e) => e.settings.environment === "staging")!.settings.chaos!;
  const withChaos: RepositoryModel = { ...model, environments: model.environments.map((e) => (e.settings.environment === "production" ? { ...e, settings: { ...e.settings, chaos: staging } } : e)) };
  const rendered = renderObjects(withChaos);
  const production = model.environments.find((e) => e.settings.environment === "production")!;
  for (const r of production.regions) {
    const stage = `production-${r.region}`;
    assert.equal(rendered.filter((o) => o.object.kind === "ChaosEngine" && o.object.metadata.namespace === stage).length, Object.keys(r.components).length * FAULTS.length, stage);
    assert.ok(rendered.some((o) => o.object.kind === "AppProject" && o.object.metadata.name === `${stage}-chaos`));
  }
});
