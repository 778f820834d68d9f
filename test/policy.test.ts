// The security policy gate (checks/policy.ts, `npm run policy`): the committed tree passes every
// rule; each rule, shown on a real rendered object broken in one place, names the object, the field
// and the rule; the CLI exits 1 with that line. Also the NetworkPolicies follow the catalog's flows.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { committedModel, removeRepo, scratchRepo, ROOT } from "./helpers/repo.ts";
import { renderObjects } from "../generators/render.ts";
import { checkPolicies, RULES, type PolicyObject, type RuleId } from "../checks/policy.ts";

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const model = await committedModel();
const objects = renderObjects(model) as unknown as PolicyObject[];
const find = (path: string) => objects.find((o) => o.path === path)!;
const OE = "rollouts/production/us-east-1/order-engine";
const ROLLOUT = `${OE}/rollout-order-engine.yaml`;
const MDH_ROLLOUT = "rollouts/production/us-east-1/market-data-handler/rollout-market-data-handler.yaml";
const PRE = `${OE}/analysistemplate-order-engine-pre-promotion.yaml`;
const COLLECTOR = "rollouts/production/us-east-1/shared/deployment-otel-collector.yaml";
const NODES = "rollouts/production/us-east-1/nodes";
const GPU_PLUGIN = "rollouts/production/us-east-1/platform/daemonset-gpu-device-plugin-gpu-a100.yaml";
const SCHEDULE = "rollouts/production/us-east-1/platform/schedule-production-us-east-1.yaml";
const DRILL = "rollouts/production/us-east-1/platform/cronjob-production-us-east-1-dr-drill.yaml";
const PROMETHEUS = "rollouts/production/us-east-1/monitoring/prometheus-production-us-east-1.yaml";
const OPERATOR_ROLE = "rollouts/production/us-east-1/platform/clusterrole-production-us-east-1-bitactor-operator.yaml";
const OPERATOR_STAGE_ROLE = "rollouts/production/us-east-1/platform/role-bitactor-operator.yaml";
const DRILL_POLICY = "rollouts/production/us-east-1/platform/networkpolicy-production-us-east-1-dr-drill";
const NODEPOOL = `${NODES}/nodepool-bare-metal.yaml`;
const NODECLASS = `${NODES}/ec2nodeclass-bare-metal.yaml`;
const MDH_NODECLASS = `${NODES}/ec2nodeclass-network-optimised.yaml`;
const requirement = (o: Any, key: string) => o.spec.template.spec.requirements.find((r: Any) => r.key === key);
const container = (o: Any) => o.spec.template.spec.containers[0];
const loadJob = (o: Any) => o.spec.metrics.find((m: Any) => m.provider.job).provider.job.spec.template;

test("the committed tree passes every rule", () => {
  assert.equal(Object.keys(RULES).length, 36);
  assert.deepEqual(checkPolicies(objects, model), []);
});

/** One object broken in one place, and the rule and field that must catch it. */
const broken: { rule: RuleId; path: string; mutate: (o: Any) => unknown; field: string; drop?: boolean; culprit?: string; message?: RegExp }[] = [
  { rule: "image-digest", path: ROLLOUT, mutate: (o) => (container(o).image = "registry.bitactor.internal/engine/order-engine:4.12.0"), field: "/spec/template/spec/containers/0/image" },
  { rule: "rbac-least-privilege", path: OPERATOR_ROLE, mutate: (o) => (o.rules[2].verbs = ["*"]), field: "/rules/2/verbs" },
  { rule: "rbac-least-privilege", path: OPERATOR_ROLE, mutate: (o) => (o.rules[0].apiGroups = ["*"]), field: "/rules/0/apiGroups" },
  { rule: "rbac-least-privilege", path: OPERATOR_STAGE_ROLE, mutate: (o) => (o.rules[0].resources = ["*"]), field: "/rules/0/resources" },
  { rule: "rbac-least-privilege", path: OPERATOR_STAGE_ROLE, mutate: (o) => o.rules.push({ apiGroups: [""], resources: ["pods/exec"], verbs: ["create"] }), field: "/rules/3/resources" },
  { rule: "rbac-least-privilege", path: OPERATOR_ROLE, mutate: (o) => o.rules.push({ apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["escalate"] }), field: "/rules/3/verbs" },
  { rule: "operator-pod", path: PROMETHEUS, mutate: (o) => (o.spec.version = "v3"), field: "/spec/version" },
  { rule: "operator-pod", path: PROMETHEUS, mutate: (o) => (o.spec.image = "quay.io/prometheus/prometheus:v3.16.0"), field: "/spec/image" },
  { rule: "operator-pod", path: PROMETHEUS, mutate: (o) => delete o.spec.securityContext.runAsNonRoot, field: "/spec/securityContext/runAsNonRoot" },
  { rule: "operator-pod", path: PROMETHEUS, mutate: (o) => (o.spec.securityContext.seccompProfile = { type: "Unconfined" }), field: "/spec/securityContext/seccompProfile" },
  { rule: "operator-pod", path: PROMETHEUS, mutate: (o) => (o.spec.serviceAccountName = "default"), field: "/spec/serviceAccountName" },
  { rule: "operator-pod", path: PROMETHEUS, mutate: (o) => (o.spec.resources.limits.memory = "16Gi"), field: "/spec/resources" },
  { rule: "image-digest", path: PRE, mutate: (o) => (loadJob(o).spec.containers[0].image = "registry.bitactor.internal/tools/bitactor-loadgen:latest"), field: "/spec/metrics/0/provider/job/spec/template/spec/containers/0/image" },
  { rule: "no-plaintext-secret", path: ROLLOUT, mutate: (o) => Object.assign(o, { apiVersion: "v1", kind: "Secret", spec: undefined, data: {} }), field: "/kind" },
  { rule: "no-credential-value", path: ROLLOUT, mutate: (o) => (o.metadata.annotations.note = "key AKIAIOSFODNN7EXAMPLE"), field: "/metadata/annotations/note" },
  { rule: "no-credential-value", path: ROLLOUT, mutate: (o) => container(o).env.push({ name: "NYSE_FIX_PASSWORD", value: "hunter22" }), field: "/spec/template/spec/containers/0/env/7/value" },
  { rule: "no-credential-value", path: COLLECTOR, mutate: (o) => (container(o).args[0] = "--config=https://admin:s3cret@config.internal/x"), field: "/spec/template/spec/containers/0/args/0" },
  { rule: "run-as-non-root", path: ROLLOUT, mutate: (o) => (delete o.spec.template.spec.securityContext.runAsNonRoot, delete container(o).securityContext.runAsNonRoot), field: "/spec/template/spec/containers/0/securityContext/runAsNonRoot" },
  { rule: "run-as-non-root", path: COLLECTOR, mutate: (o) => (o.spec.template.spec.securityContext.runAsUser = 0), field: "/spec/template/spec/containers/0/securityContext/runAsUser" },
  { rule: "seccomp-runtime-default", path: ROLLOUT, mutate: (o) => (o.spec.template.spec.securityContext.seccompProfile = { type: "Unconfined" }), field: "/spec/template/spec/containers/0/securityContext/seccompProfile" },
  { rule: "no-privilege-escalation", path: PRE, mutate: (o) => (loadJob(o).spec.containers[0].securityContext.allowPrivilegeEscalation = true), field: "/spec/metrics/0/provider/job/spec/template/spec/containers/0/securityContext/allowPrivilegeEscalation" },
  { rule: "drop-all-capabilities", path: ROLLOUT, mutate: (o) => (container(o).securityContext.capabilities.drop = ["NET_ADMIN"]), field: "/spec/template/spec/containers/0/securityContext/capabilities/drop" },
  { rule: "capabilities-from-catalog", path: ROLLOUT, mutate: (o) => (container(o).securityContext.capabilities.add = ["NET_RAW"]), field: "/spec/template/spec/containers/0/securityContext/capabilities/add" },
  { rule: "capabilities-from-catalog", path: MDH_ROLLOUT, mutate: (o) => container(o).securityContext.capabilities.add.push("SYS_ADMIN"), field: "/spec/template/spec/containers/0/securityContext/capabilities/add" },
  { rule: "read-only-root-fs", path: COLLECTOR, mutate: (o) => (container(o).securityContext.readOnlyRootFilesystem = false), field: "/spec/template/spec/containers/0/securityContext/readOnlyRootFilesystem" },
  { rule: "no-host-access", path: ROLLOUT, mutate: (o) => (o.spec.template.spec.hostNetwork = true), field: "/spec/template/spec" },
  { rule: "no-host-access", path: ROLLOUT, mutate: (o) => (container(o).securityContext.privileged = true), field: "/spec/template/spec/containers/0/securityContext/privileged" },
  { rule: "no-host-access", path: ROLLOUT, mutate: (o) => o.spec.template.spec.volumes.push({ name: "host", hostPath: { path: "/" } }), field: "/spec/template/spec/volumes/2/hostPath" },
  { rule: "resources-set", path: PRE, mutate: (o) => delete loadJob(o).spec.containers[0].resources.limits.memory, field: "/spec/metrics/0/provider/job/spec/template/spec/containers/0/resources/limits/memory" },
  { rule: "own-service-account", path: ROLLOUT, mutate: (o) => (o.spec.template.spec.serviceAccountName = "default"), field: "/spec/template/spec/serviceAccountName" },
  { rule: "no-token-automount", path: PRE, mutate: (o) => delete loadJob(o).spec.automountServiceAccountToken, field: "/spec/metrics/0/provider/job/spec/template/spec/automountServiceAccountToken" },
  // The drill may mount its token because Roles are bound to its account; another account of its namespace has none.
  { rule: "no-token-automount", path: DRILL, mutate: (o) => (o.spec.jobTemplate.spec.template.spec.serviceAccountName = "velero"), field: "/spec/jobTemplate/spec/template/spec/automountServiceAccountToken" },
  { rule: "image-digest", path: DRILL, mutate: (o) => (o.spec.jobTemplate.spec.template.spec.containers[0].image = "registry.bitactor.internal/tools/kubectl:1.36"), field: "/spec/jobTemplate/spec/template/spec/containers/0/image" },
  // In Velero's namespace the drill's pods have their own default deny and egress policy.
  { rule: "default-deny-network", path: `${DRILL_POLICY}-default-deny.yaml`, mutate: () => undefined, field: "/spec/jobTemplate/spec/template/metadata/labels", drop: true, culprit: DRILL },
  { rule: "network-policy-selects-pod", path: `${DRILL_POLICY}.yaml`, mutate: () => undefined, field: "/spec/jobTemplate/spec/template/metadata/labels", drop: true, culprit: DRILL },
  { rule: "network-policy-selects-pod", path: `${OE}/networkpolicy-order-engine.yaml`, mutate: () => undefined, field: "/spec/template/metadata/labels", drop: true },
  { rule: "readiness-probe", path: COLLECTOR, mutate: (o) => delete container(o).readinessProbe, field: "/spec/template/spec/containers/0/readinessProbe" },
  { rule: "guaranteed-integer-cpu", path: ROLLOUT, mutate: (o) => (container(o).resources.limits.cpu = "17"), field: "/spec/template/spec/containers/0/resources/limits/cpu" },
  { rule: "guaranteed-integer-cpu", path: ROLLOUT, mutate: (o) => (container(o).resources.requests.cpu = container(o).resources.limits.cpu = "15500m"), field: "/spec/template/spec/containers/0/resources/requests/cpu" },
  { rule: "hugepages-mounted", path: ROLLOUT, mutate: (o) => (container(o).volumeMounts = container(o).volumeMounts.filter((m: Any) => m.name !== "hugepages")), field: "/spec/template/spec/containers/0/volumeMounts" },
  { rule: "disruption-budget", path: `${OE}/poddisruptionbudget-order-engine.yaml`, mutate: () => undefined, field: "/spec/template/metadata/labels", drop: true },
  { rule: "disruption-budget", path: `${OE}/poddisruptionbudget-order-engine.yaml`, mutate: (o) => (o.spec.maxUnavailable = 2), field: "/spec/template/metadata/labels", culprit: ROLLOUT },
  { rule: "zone-spread", path: ROLLOUT, mutate: (o) => delete o.spec.template.spec.topologySpreadConstraints[0].minDomains, field: "/spec/template/spec/topologySpreadConstraints" },
  { rule: "zone-spread", path: ROLLOUT, mutate: (o) => (o.spec.template.spec.topologySpreadConstraints[0].whenUnsatisfiable = "ScheduleAnyway"), field: "/spec/template/spec/topologySpreadConstraints" },
  { rule: "host-anti-affinity", path: ROLLOUT, mutate: (o) => delete o.spec.template.spec.affinity, field: "/spec/template/spec/affinity/podAntiAffinity" },
  { rule: "probes", path: ROLLOUT, mutate: (o) => (container(o).readinessProbe.periodSeconds = 10), field: "/spec/template/spec/containers/0/readinessProbe" },
  { rule: "probes", path: MDH_ROLLOUT, mutate: (o) => delete container(o).startupProbe, field: "/spec/template/spec/containers/0/startupProbe" },
  { rule: "probes", path: ROLLOUT, mutate: (o) => delete container(o).livenessProbe, field: "/spec/template/spec/containers/0/livenessProbe" },
  // Liveness as patient as required but doing readiness's work (the same GET, keys in another order).
  { rule: "probes", path: ROLLOUT, mutate: (o) => (container(o).livenessProbe = { periodSeconds: 10, failureThreshold: 6, httpGet: { port: "metrics", path: "/healthz" } }), field: "/spec/template/spec/containers/0/livenessProbe", message: /repeats the readiness probe/ },
  // Impatient: a restart after 30 s (10 s × the default 3), or probed every 5 s however many failures it takes.
  { rule: "probes", path: ROLLOUT, mutate: (o) => delete container(o).livenessProbe.failureThreshold, field: "/spec/template/spec/containers/0/livenessProbe", message: /restarts after 30 s/ },
  { rule: "probes", path: MDH_ROLLOUT, mutate: (o) => Object.assign(container(o).livenessProbe, { periodSeconds: 5, failureThreshold: 20 }), field: "/spec/template/spec/containers/0/livenessProbe", message: /periodSeconds 5 × failureThreshold 20/ },
  { rule: "node-pool-instance-type", path: NODEPOOL, mutate: (o) => (requirement(o, "node.kubernetes.io/instance-type").values = ["m7i.48xlarge"]), field: "/spec/template/spec/requirements" },
  { rule: "node-pool-instance-type", path: NODEPOOL, mutate: (o) => requirement(o, "node.kubernetes.io/instance-type").values.push("m7i.metal-48xl"), field: "/spec/template/spec/requirements" },
  { rule: "node-pool-instance-type", path: NODEPOOL, mutate: (o) => (o.metadata.name = "bare-metal-2"), field: "/metadata/name" },
  { rule: "on-demand-in-production", path: NODEPOOL, mutate: (o) => requirement(o, "karpenter.sh/capacity-type").values.unshift("spot"), field: "/spec/template/spec/requirements" },
  { rule: "on-demand-in-production", path: NODEPOOL, mutate: (o) => (o.spec.template.spec.requirements = o.spec.template.spec.requirements.filter((r: Any) => r.key !== "karpenter.sh/capacity-type")), field: "/spec/template/spec/requirements" },
  { rule: "node-pool-taint", path: NODEPOOL, mutate: (o) => (o.spec.template.spec.taints[0].effect = "PreferNoSchedule"), field: "/spec/template/spec/taints" },
  { rule: "node-pool-taint", path: NODEPOOL, mutate: (o) => (o.spec.template.metadata.labels["bitactor.io/node-pool"] = "network-optimised"), field: "/spec/template/metadata/labels" },
  { rule: "pool-toleration", path: ROLLOUT, mutate: (o) => o.spec.template.spec.tolerations.push({ operator: "Exists" }), field: "/spec/template/spec/tolerations/1" },
  { rule: "pool-toleration", path: ROLLOUT, mutate: (o) => o.spec.template.spec.tolerations.push({ key: "bitactor.io/node-pool", operator: "Equal", value: "gpu-a100", effect: "NoSchedule" }), field: "/spec/template/spec/tolerations/1" },
  { rule: "pool-toleration", path: ROLLOUT, mutate: (o) => (o.spec.template.spec.tolerations = []), field: "/spec/template/spec/tolerations" },
  { rule: "pool-toleration", path: ROLLOUT, mutate: (o) => (o.spec.template.spec.nodeSelector["node.kubernetes.io/instance-type"] = "c7gn.16xlarge"), field: "/spec/template/spec/nodeSelector/node.kubernetes.io~1instance-type" },
  { rule: "pool-provided", path: NODEPOOL, mutate: () => undefined, field: "/spec/template/spec/nodeSelector", drop: true },
  { rule: "node-tuning", path: NODECLASS, mutate: (o) => (o.spec.userData = o.spec.userData.replace("cpuManagerPolicy: static", "cpuManagerPolicy: none")), field: "/spec/userData" },
  { rule: "node-tuning", path: NODECLASS, mutate: (o) => (o.spec.userData = o.spec.userData.replace("topologyManagerPolicy: single-numa-node", "topologyManagerPolicy: best-effort")), field: "/spec/userData" },
  { rule: "node-tuning", path: NODECLASS, mutate: (o) => (o.spec.userData = o.spec.userData.replace("reservedSystemCPUs: 8-9", "reservedSystemCPUs: 0-1")), field: "/spec/userData" },
  { rule: "node-tuning", path: NODECLASS, mutate: (o) => (o.spec.userData = o.spec.userData.replace("isolcpus=managed_irq,domain,0-7 ", "")), field: "/spec/userData" },
  { rule: "node-tuning", path: NODECLASS, mutate: (o) => (o.spec.userData = o.spec.userData.replaceAll("mtu 9000", "mtu 1500")), field: "/spec/userData" },
  // Both components of the pool may share a node: 8 GiB + 4 GiB = 6144 pages of 2 MiB; 4096 (one component's worth) is not enough.
  { rule: "node-tuning", path: MDH_NODECLASS, mutate: (o) => (o.spec.userData = o.spec.userData.replace(/hugepages=[0-9]+/, "hugepages=4096")), field: "/spec/userData" },
  { rule: "node-tuning", path: NODECLASS, mutate: (o) => (o.spec.userData = o.spec.userData.replace("Content-Type: application/node.eks.aws", "Content-Type: text/plain")), field: "/spec/userData" },
  { rule: "accelerated-network", path: ROLLOUT, mutate: (o) => (o.spec.template.metadata.annotations["k8s.v1.cni.cncf.io/networks"] = "exchange"), field: "/spec/template/metadata/annotations/k8s.v1.cni.cncf.io~1networks" },
  { rule: "accelerated-network", path: MDH_ROLLOUT, mutate: (o) => (container(o).resources.requests["bitactor.io/exchange_vf"] = container(o).resources.limits["bitactor.io/exchange_vf"] = "2"), field: "/spec/template/spec/containers" },
  { rule: "accelerated-network", path: MDH_ROLLOUT, mutate: (o) => delete o.spec.template.metadata.annotations["k8s.v1.cni.cncf.io/networks"], field: "/spec/template/spec/containers" },
  { rule: "accelerated-network", path: "rollouts/production/us-east-1/shared/networkattachmentdefinition-exchange.yaml", mutate: () => undefined, field: "/spec/template/metadata/annotations/k8s.v1.cni.cncf.io~1networks", drop: true, culprit: MDH_ROLLOUT },
  { rule: "backup-every-15-minutes", path: SCHEDULE, mutate: (o) => (o.spec.schedule = "0 * * * *"), field: "/spec/schedule" },
  // Istio's default limit for the injected proxy (2 CPUs) above its request: the pod would be Burstable.
  { rule: "guaranteed-integer-cpu", path: ROLLOUT, mutate: (o) => (o.spec.template.metadata.annotations["sidecar.istio.io/proxyCPULimit"] = "2000m"), field: "/spec/template/metadata/annotations/sidecar.istio.io~1proxyCPU" },
  // Node agents get exactly their catalog entry's host access, and the label grants nothing elsewhere.
  { rule: "no-host-access", path: GPU_PLUGIN, mutate: (o) => (o.spec.template.spec.volumes[0].hostPath.path = "/etc"), field: "/spec/template/spec/volumes/0/hostPath" },
  { rule: "no-host-access", path: GPU_PLUGIN, mutate: (o) => (container(o).securityContext = { privileged: true }), field: "/spec/template/spec/containers/0/securityContext/privileged" },
  { rule: "no-host-access", path: GPU_PLUGIN, mutate: (o) => (o.spec.template.spec.hostNetwork = true), field: "/spec/template/spec" },
  { rule: "run-as-non-root", path: ROLLOUT, mutate: (o) => { o.spec.template.metadata.labels["bitactor.io/node-agent"] = "gpuDevicePlugin"; container(o).securityContext.runAsUser = 0; }, field: "/spec/template/spec/containers/0/securityContext/runAsUser" },
  { rule: "no-host-access", path: COLLECTOR, mutate: (o) => (o.spec.template.spec.initContainers = [{ ...container(o), name: "init", securityContext: { ...container(o).securityContext, privileged: true } }]), field: "/spec/template/spec/initContainers/0/securityContext/privileged" },
  // 100 CPUs: more than m7i.metal-24xl's 94 allocatable (96 vCPUs less the two reservedSystemCpus).
  { rule: "fits-node", path: ROLLOUT, mutate: (o) => (container(o).resources.requests.cpu = container(o).resources.limits.cpu = "100"), field: "/spec/template" },
  // The collector asks for a GPU: no node type without a taint has one.
  { rule: "fits-node", path: COLLECTOR, mutate: (o) => (container(o).resources.requests["nvidia.com/gpu"] = "1"), field: "/spec/template" },
  { rule: "backup-every-15-minutes", path: SCHEDULE, mutate: (o) => (o.spec.schedule = "*/15 * * * 1-5"), field: "/spec/schedule" },
  { rule: "backup-every-15-minutes", path: SCHEDULE, mutate: (o) => (o.spec.template.storageLocation = "default"), field: "/spec/template/storageLocation" },
  { rule: "backup-every-15-minutes", path: SCHEDULE, mutate: (o) => (o.spec.template.includedNamespaces = ["production-us-east-2"]), field: "", culprit: "rollouts/production/us-east-1/alpha-calculator/analysisrun-alpha-calculator-first-release.yaml" },
];

for (const b of broken) {
  test(`rule ${b.rule} catches: ${b.path.split("/").pop()} ${b.field.split("/").slice(-2).join("/")}`, () => {
    const target = find(b.path);
    assert.ok(target, b.path);
    const copy = structuredClone(target) as Any;
    b.mutate(copy.object);
    const changed = b.drop ? objects.filter((o) => o.path !== b.path) : objects.map((o) => (o.path === b.path ? copy : o));
    const v = checkPolicies(changed, model);
    const culprit = b.culprit ?? (b.drop ? ROLLOUT : b.path);
    assert.ok(v.some((x) => x.rule === b.rule && x.field === b.field && x.path === culprit && (!b.message || b.message.test(x.message))), `expected ${b.rule} at ${culprit} ${b.field}${b.message ? ` saying ${b.message}` : ""}, got ${JSON.stringify(v, null, 1)}`);
  });
}

test("rule default-deny-network catches a namespace without the default deny", () => {
  const v = checkPolicies(objects.filter((o) => !o.path.endsWith("us-east-1/shared/networkpolicy-default-deny.yaml") || o.path.startsWith("rollouts/staging")), model);
  assert.deepEqual(v.map((x) => [x.rule, x.object]), [["default-deny-network", "Namespace production-us-east-1"]]);
});

test("rule mesh-strict catches a namespace without STRICT mTLS; mesh-bypass-consistent a bypassed port the mesh still requires mTLS on", () => {
  const noStrict = objects.map((o) => (o.path === "rollouts/production/us-east-1/shared/peerauthentication-default.yaml" ? { ...o, object: { ...o.object, spec: { mtls: { mode: "PERMISSIVE" } } } } : o));
  assert.deepEqual(checkPolicies(noStrict, model).map((x) => [x.rule, x.object]), [["mesh-strict", "Namespace production-us-east-1"]]);
  const peer = `${OE}/peerauthentication-order-engine.yaml`;
  const strictPort = objects.map((o) => (o.path === peer ? { ...o, object: { ...o.object, spec: { ...(o.object as Any).spec, portLevelMtls: { 9090: { mode: "PERMISSIVE" } } } } } : o));
  const v = checkPolicies(strictPort, model);
  assert.deepEqual(v.map((x) => [x.rule, x.path, x.field]), [["mesh-bypass-consistent", ROLLOUT, "/spec/template/metadata/annotations/traffic.sidecar.istio.io~1excludeInboundPorts"]]);
  assert.match(v[0]!.message, /port 9000 bypasses the sidecar/);
});

test("rule mesh-control-plane-egress catches a default-deny namespace whose sidecars could not reach istiod", () => {
  const v = checkPolicies(objects.filter((o) => o.path !== "rollouts/production/us-east-1/shared/networkpolicy-allow-istiod.yaml"), model);
  assert.deepEqual(v.map((x) => [x.rule, x.object]), [["mesh-control-plane-egress", "Namespace production-us-east-1"]]);
});

test("every rule is exercised by a broken object above", () => {
  const covered = new Set<string>([...broken.map((b) => b.rule), "default-deny-network", "mesh-strict", "mesh-bypass-consistent", "mesh-control-plane-egress"]);
  assert.deepEqual(Object.keys(RULES).filter((r) => !covered.has(r)), []);
});

test("npm run policy exits 1 naming the file, the object, the field and the rule", async () => {
  const dir = await scratchRepo();
  try {
    const f = join(dir, ROLLOUT);
    await writeFile(f, (await readFile(f, "utf8")).replace("readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false"));
    const r = spawnSync(process.execPath, ["--import", import.meta.resolve("tsx"), join(ROOT, "scripts/policy.ts")], { cwd: dir, encoding: "utf8" });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, new RegExp(`^VIOLATION ${ROLLOUT}: Rollout production-us-east-1/order-engine /spec/template/spec/containers/0/securityContext/readOnlyRootFilesystem: read-only-root-fs: must be true`, "m"));
    assert.match(r.stdout, new RegExp(`policy: ${renderObjects(await committedModel()).length} objects, 36 rules, 1 violation$`, "m"));
  } finally {
    await removeRepo(dir);
  }
});

test("NetworkPolicies and the sidecar bypass follow the catalog's flows: each service port opens only to its sources and its load Job; exchanges only for exchangeEgress components", () => {
  for (const env of model.environments) {
    for (const region of env.regions) {
      const ns = `${env.settings.environment}-${region.region}`;
      const base = `rollouts/${env.settings.environment}/${region.region}`;
      const deny = find(`${base}/shared/networkpolicy-default-deny.yaml`).object as Any;
      assert.deepEqual(deny.spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
      for (const [id, c] of Object.entries(model.catalog.components)) {
        const p = find(`${base}/${id}/networkpolicy-${id}.yaml`).object as Any;
        assert.equal(p.metadata.namespace, ns);
        const sources = p.spec.ingress[0].from.map((f: Any) => f.podSelector.matchLabels["app.kubernetes.io/name"] ?? `load:${f.podSelector.matchLabels["bitactor.io/component"]}`);
        assert.deepEqual(sources, [...model.catalog.flows.filter((f) => f.to === id).map((f) => f.from), `load:${id}`], `${base}/${id} ingress`);
        assert.deepEqual(p.spec.ingress[0].ports, [{ protocol: "TCP", port: c.servicePort.port }]);
        assert.deepEqual(p.spec.ingress[1].ports, [{ protocol: "TCP", port: c.metricsPort.port }]);
        const targets = p.spec.egress.filter((e: Any) => e.to[0].podSelector).map((e: Any) => e.to[0].podSelector.matchLabels["app.kubernetes.io/name"]);
        assert.deepEqual(targets, [...model.catalog.flows.filter((f) => f.from === id).map((f) => f.to), "otel-collector"], `${base}/${id} egress`);
        const blocks = p.spec.egress.filter((e: Any) => e.to[0].ipBlock).map((e: Any) => e.to.map((t: Any) => t.ipBlock.cidr));
        // The sidecar leaves exactly the hot path alone: its own service port in, its flow targets' out.
        const ann = (find(`${base}/${id}/rollout-${id}.yaml`).object as Any).spec.template.metadata.annotations;
        assert.equal(ann["traffic.sidecar.istio.io/excludeInboundPorts"], String(c.servicePort.port));
        const outPorts = [...new Set(model.catalog.flows.filter((f) => f.from === id).map((f) => model.catalog.components[f.to]!.servicePort.port))].join(",");
        assert.equal(ann["traffic.sidecar.istio.io/excludeOutboundPorts"], outPorts || undefined, `${base}/${id} outbound bypass`);
        assert.deepEqual(blocks, c.exchangeEgress ? region.exchanges.map((x) => x.cidrs) : [], `${base}/${id} exchange egress`);
      }
    }
  }
});
