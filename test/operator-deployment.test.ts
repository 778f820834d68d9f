// The operator's pods in every stage (generators/constructs/operator-deployment.ts): the image the
// region pins, configured for its stage, as restricted as every BitActor pod and with the image's own
// user; its PodDisruptionBudget; its namespace's default deny and its one allow-list, which let in
// exactly the stage Prometheus' scrapes and let out DNS, the API server and the Prometheus queries;
// its PodMonitor selects its pods. And `npm run check`'s pin rule (checks/operator-pins.ts): a
// region pinning the operator's current version to another digest fails at its file and line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { committedModel } from "./helpers/repo.ts";
import { renderObjects } from "../generators/render.ts";
import { stageId } from "../generators/naming.ts";
import { operatorNames } from "../generators/constructs/operator-access.ts";
import { operatorPinIssues } from "../checks/operator-pins.ts";
import { imageInputs, operatorVersion } from "../toolchain/operator-image.ts";

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const model = await committedModel();
const rendered = renderObjects(model);
const image = imageInputs();
const stages = model.environments.flatMap((env) => env.regions.map((region) => ({ env, region, id: stageId(env.settings.environment, region.region) })));

test("a stage whose region file pins the operator runs two replicas of that image, configured for it; one without runs none", () => {
  assert.equal(stages.length, 7);
  // The operator moves through the waves like a component: staging runs it, production not yet.
  assert.deepEqual(stages.filter((s) => s.region.operator).map((s) => s.id), ["staging-us-east-1"]);
  for (const { id } of stages.filter((s) => !s.region.operator)) {
    assert.deepEqual(rendered.filter((o) => o.object.metadata?.namespace === operatorNames.namespace(id) && ["Deployment", "PodDisruptionBudget", "NetworkPolicy"].includes(o.object.kind)), [], `${id} pins no operator`);
    assert.ok(rendered.some((o) => o.object.kind === "PodMonitor" && o.object.metadata?.namespace === operatorNames.namespace(id)), `${id}: its access and monitoring are there before its pods`);
  }
  for (const { env, region: r, id } of stages.filter((s) => s.region.operator)) {
    const region = { ...r, operator: r.operator! };
    const ns = operatorNames.namespace(id);
    const inNs = rendered.filter((o) => o.object.metadata?.namespace === ns);
    const d = inNs.find((o) => o.object.kind === "Deployment")?.object as Any;
    assert.ok(d, `${id}: no Deployment in ${ns}`);
    assert.equal(d.metadata.name, operatorNames.deployment);
    assert.equal(d.spec.replicas, 2);
    const pod = d.spec.template.spec;
    const [c] = pod.containers;
    assert.equal(pod.containers.length, 1);
    assert.equal(c.image, `${env.settings.operator.image}@${region.operator.digest}`);
    assert.equal(env.settings.operator.image, image.repository, "the environment names the repository the workflow pushes to");
    assert.equal(d.metadata.labels["app.kubernetes.io/version"], region.operator.version);
    const envVars = Object.fromEntries(c.env.map((e: Any) => [e.name, e.value ?? e.valueFrom.fieldRef.fieldPath]));
    assert.deepEqual(envVars, {
      BITACTOR_CLUSTER: id,
      BITACTOR_NAMESPACE: id,
      PROMETHEUS_URL: `http://prometheus-operated.${env.settings.monitoring.namespace}.svc:9090`,
      POD_NAMESPACE: "metadata.namespace",
      POD_NAME: "metadata.name",
      LEASE_NAME: operatorNames.lease,
      EVENTS_NAMESPACE: "default",
      METRICS_ADDRESS: "0.0.0.0:8080",
      NODE_OPTIONS: "--max-old-space-size=192",
    });
    assert.equal(pod.serviceAccountName, operatorNames.account);
    assert.equal(pod.securityContext.runAsUser, image.user.uid, "the image's own user");
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] } });
    const want = { cpu: env.settings.operator.cpu, memory: env.settings.operator.memory, "ephemeral-storage": "64Mi" };
    assert.deepEqual(c.resources, { requests: want, limits: want });
    assert.deepEqual([c.readinessProbe.httpGet, c.livenessProbe.httpGet], [{ path: "/readyz", port: "metrics" }, { path: "/healthz", port: "metrics" }]);
    assert.deepEqual(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution, [{ topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: operatorNames.podLabels } }]);
    assert.deepEqual(d.spec.strategy.rollingUpdate, { maxSurge: 1, maxUnavailable: 0 });

    const pdb = inNs.find((o) => o.object.kind === "PodDisruptionBudget")?.object as Any;
    assert.deepEqual(pdb.spec, { maxUnavailable: 1, selector: { matchLabels: operatorNames.podLabels } });
    const monitor = inNs.find((o) => o.object.kind === "PodMonitor")?.object as Any;
    for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels)) assert.equal(d.spec.template.metadata.labels[k], v, `the PodMonitor selects ${k}=${v}; the pods say ${d.spec.template.metadata.labels[k]}`);
    assert.equal(monitor.spec.podMetricsEndpoints[0].port, c.ports[0].name);
  }
});

test("the operator's namespace denies everything but the stage Prometheus' scrapes in, and DNS, the API server and Prometheus out", () => {
  for (const { env, region, id } of stages.filter((s) => s.region.operator)) {
    const ns = operatorNames.namespace(id);
    const policies = rendered.filter((o) => o.object.kind === "NetworkPolicy" && o.object.metadata?.namespace === ns).map((o) => o.object as Any);
    assert.deepEqual(policies.map((p) => p.metadata.name).sort(), [operatorNames.deployment, operatorNames.defaultDeny].sort());
    assert.deepEqual(policies.find((p) => p.metadata.name === operatorNames.defaultDeny).spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    const allow = policies.find((p) => p.metadata.name === operatorNames.deployment).spec;
    const prometheus = { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": env.settings.monitoring.namespace } }, podSelector: { matchLabels: env.settings.monitoring.prometheusPodLabels } };
    assert.deepEqual(allow.podSelector, { matchLabels: operatorNames.podLabels });
    assert.deepEqual(allow.ingress, [{ from: [prometheus], ports: [{ protocol: "TCP", port: 8080 }] }]);
    assert.deepEqual(allow.egress, [
      { to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }], ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }] },
      { to: [{ ipBlock: { cidr: region.infrastructure.cidr } }], ports: [{ protocol: "TCP", port: 443 }] },
      { to: [prometheus], ports: [{ protocol: "TCP", port: 9090 }] },
    ]);
  }
});

test("npm run check's pin rule: the current version pinned to another digest fails at the region file's line; an older version is the release train's", () => {
  const file = "environments/staging/regions/us-east-1.yaml";
  const text = readFileSync(file, "utf8");
  const current = { version: operatorVersion(), digest: image.digest };
  assert.deepEqual(operatorPinIssues(new Map([[file, text]]), current), []);
  const other = `sha256:${"a".repeat(64)}`;
  const wrong = text.replace(`digest: ${image.digest}`, `digest: ${other}`);
  assert.notEqual(wrong, text);
  const line = wrong.split("\n").findIndex((l) => l.includes(other)) + 1;
  const issues = operatorPinIssues(new Map([[file, wrong]]), current);
  assert.equal(issues.length, 1);
  assert.deepEqual([issues[0]!.file, issues[0]!.line, issues[0]!.field], [file, line, "operator.digest"]);
  assert.match(issues[0]!.message, new RegExp(`this pins ${other}`));
  const older = wrong.replace(`version: ${current.version}\n  digest: ${other}`, `version: 0.0.9\n  digest: ${other}`);
  assert.notEqual(older, wrong);
  assert.deepEqual(operatorPinIssues(new Map([[file, older]]), current), []);
});
