import { Construct } from "constructs";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { ClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import { ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import { CronJob } from "kubernetes-models/batch/v1/CronJob";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { Catalog, ChaosSettings, EnvironmentSettings, RegionSettings } from "../inputs/types.ts";
import { emit } from "../argo.ts";
import { LABEL, names, podSelector, stageId } from "../naming.ts";
import { ISTIO } from "./mesh.ts";
import { NODE_POOL_KEY } from "../nodes/labels.ts";
import { ComponentQueries } from "../slo-promql.ts";
import { restrictedContainer, restrictedPod } from "../pod-security.ts";
import { LOGS_ONLY_EPHEMERAL_STORAGE } from "../log-storage.ts";
import { LITMUS_API } from "../validate/litmus.ts";
import { apiServerEgress } from "./network-policies.ts";

/** The four faults, in the order a session runs them: the mildest first, so an early failure stops the session before a node is drained. */
export const FAULTS = ["pod-delete", "pod-cpu-hog", "pod-network-latency", "node-drain"] as const;
export type Fault = (typeof FAULTS)[number];

/**
 * Labels of every pod Litmus starts for an experiment: the chaos-charts fault definitions label their
 * experiment Jobs `app.kubernetes.io/part-of: litmus` (chaos-charts faults/kubernetes/<fault>/fault.yaml),
 * and the runner gets the same through runnerLabels; the NetworkPolicy selects them by it.
 */
const LITMUS_POD_LABELS = { [LABEL.partOf]: "litmus" } as const;

/** The container runtime every engine node runs (EKS AL2023, GKE COS and AKS Ubuntu all run containerd). */
const RUNTIME = [
  { name: "CONTAINER_RUNTIME", value: "containerd" },
  { name: "SOCKET_PATH", value: "/run/containerd/containerd.sock" },
];

export interface StageChaosProps {
  readonly catalog: Catalog;
  readonly environment: EnvironmentSettings;
  readonly chaos: ChaosSettings;
  readonly region: RegionSettings;
  readonly labels: Readonly<Record<string, string>>;
}

/** `1 - 0.999` as the decimal text a reviewer expects (0.001), not 0.0010000000000000009. */
const complement = (objective: number): string => String(Number((1 - objective).toPrecision(12)));

/**
 * The stage's chaos experiments (LitmusChaos 3.x): per component four ChaosEngines against its
 * Rollout (`appkind: rollout`): pod-delete, pod-cpu-hog, pod-network-latency on its path (the
 * Services it flows to, or the venues' cidrs for an exchange-facing component) and node-drain of a
 * node of its pool. Every engine carries two promProbes, Continuous, stopping the fault on failure:
 * the component's latency and availability SLO error ratios (the exact queries of its SLO rules,
 * slo-promql.ts) must stay within the SLO's error budget (1 − objective) over the probe window, so an
 * experiment fails, and says so in its ChaosResult, when the engine breaks its budget under the fault.
 *
 * Engines are rendered `engineState: stop`: inert. A CronJob starts a session on the schedule,
 * activating one engine at a time and waiting for it (Litmus sets a finished engine back to stop, and
 * patching it to active runs it again, litmuschaos/litmus#1398). The Applications ignore
 * /spec/engineState (region-application-set.ts), so Argo CD neither reverts a running engine nor
 * starts one.
 */
export class StageChaos extends Construct {
  constructor(scope: Construct, id: string, props: StageChaosProps) {
    super(scope, id);
    const { catalog, chaos, region } = props;
    const stage = stageId(props.environment.environment, region.region);
    const labels = { ...props.labels };
    const components = Object.keys(region.components).sort();
    /** `<engine>/<fault>` in session order; the fault names the engine's ChaosResult (`<engine>-<fault>`). */
    const runs: string[] = [];

    for (const componentId of components) {
      const component = catalog.components[componentId]!;
      const q = new ComponentQueries(catalog, componentId, component, stage);
      const probes = [
        { name: "latency-slo", query: q.latencySloErrors(chaos.probeWindow), value: complement(catalog.slo.latencyObjective) },
        { name: "availability-slo", query: q.availabilitySloErrors(chaos.probeWindow), value: complement(catalog.slo.availabilityObjective) },
      ].map((p) => ({
        name: p.name,
        type: "promProbe",
        mode: "Continuous",
        "promProbe/inputs": { endpoint: chaos.prometheusEndpoint, query: p.query, comparator: { criteria: "<=", value: p.value } },
        // Every 15 s through the fault; no data (no traffic, Prometheus down) is a failed probe, never a pass.
        runProperties: { probeTimeout: "10s", interval: "15s", attempt: 1, stopOnFailure: true },
      }));
      // The path: what the component sends to (catalog flows), or the venues for the exchange-facing one.
      const to = catalog.flows.filter((f) => f.from === componentId && region.components[f.to]).map((f) => `${names.activeService(f.to)}.${stage}.svc.cluster.local`);
      const venueCidrs = component.exchangeEgress ? region.exchanges.flatMap((e) => e.cidrs) : [];
      const env: Record<Fault, { name: string; value: string }[]> = {
        "pod-delete": [
          { name: "TOTAL_CHAOS_DURATION", value: String(chaos.durationSeconds) },
          { name: "CHAOS_INTERVAL", value: String(Math.max(10, Math.floor(chaos.durationSeconds / 4))) },
          // Graceful: the engine's shutdown path (drain, hand over the book) is part of what is tested.
          { name: "FORCE", value: "false" },
          { name: "PODS_AFFECTED_PERC", value: "0" },
        ],
        "pod-cpu-hog": [
          { name: "TOTAL_CHAOS_DURATION", value: String(chaos.durationSeconds) },
          { name: "TARGET_CONTAINER", value: componentId },
          { name: "CPU_CORES", value: String(chaos.cpuCores) },
          ...RUNTIME,
        ],
        "pod-network-latency": [
          { name: "TOTAL_CHAOS_DURATION", value: String(chaos.durationSeconds) },
          { name: "TARGET_CONTAINER", value: componentId },
          { name: "NETWORK_LATENCY", value: String(chaos.networkLatencyMs) },
          { name: "JITTER", value: "0" },
          ...(to.length ? [{ name: "DESTINATION_HOSTS", value: to.join(",") }] : []),
          ...(venueCidrs.length ? [{ name: "DESTINATION_IPS", value: venueCidrs.join(",") }] : []),
          ...RUNTIME,
        ],
        "node-drain": [
          { name: "TOTAL_CHAOS_DURATION", value: String(chaos.durationSeconds) },
          { name: "NODE_LABEL", value: `${NODE_POOL_KEY}=${component.nodePool}` },
        ],
      };
      for (const fault of FAULTS) {
        const name = names.chaosEngine(componentId, fault);
        runs.push(`${name}/${fault}`);
        emit(this, name, {
          toJSON: () => ({
            apiVersion: LITMUS_API,
            kind: "ChaosEngine",
            metadata: { name, namespace: stage, labels: { ...labels, [LABEL.component]: componentId } },
            spec: {
              engineState: "stop",
              appinfo: { appns: stage, applabel: `${LABEL.name}=${podSelector(componentId)[LABEL.name]}`, appkind: "rollout" },
              chaosServiceAccount: names.chaosRunner,
              // Keep the experiment's pods for the post-mortem of a failed session.
              jobCleanUpPolicy: "retain",
              components: { runner: { image: chaos.runnerImage, runnerAnnotations: { [ISTIO.inject]: "false" }, runnerLabels: { ...LITMUS_POD_LABELS } } },
              experiments: [{
                name: fault,
                spec: {
                  components: { env: env[fault], experimentImage: chaos.experimentImage, experimentAnnotations: { [ISTIO.inject]: "false" } },
                  probe: probes,
                },
              }],
            },
          }),
        });
      }
    }

    // The runner's and experiments' account: the pod faults' permissions in the stage namespace
    // (chaos-charts fault.yaml of pod-delete, pod-cpu-hog, pod-network-latency, 3.x), reading the
    // Rollout that owns the target pods included.
    emit(this, "runner-account", new ServiceAccount({ metadata: { name: names.chaosRunner, namespace: stage, labels } }));
    emit(this, "runner-role", new Role({
      metadata: { name: names.chaosRunner, namespace: stage, labels },
      rules: [
        { apiGroups: [""], resources: ["pods"], verbs: ["create", "delete", "get", "list", "patch", "update", "deletecollection"] },
        { apiGroups: [""], resources: ["events"], verbs: ["create", "get", "list", "patch", "update"] },
        { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list"] },
        { apiGroups: [""], resources: ["pods/log"], verbs: ["get", "list", "watch"] },
        { apiGroups: [""], resources: ["pods/exec"], verbs: ["get", "list", "create"] },
        { apiGroups: ["apps"], resources: ["replicasets"], verbs: ["list", "get"] },
        { apiGroups: ["argoproj.io"], resources: ["rollouts"], verbs: ["list", "get"] },
        { apiGroups: ["batch"], resources: ["jobs"], verbs: ["create", "list", "get", "delete", "deletecollection"] },
        { apiGroups: ["litmuschaos.io"], resources: ["chaosengines", "chaosexperiments", "chaosresults"], verbs: ["create", "list", "get", "patch", "update", "delete"] },
      ],
    }));
    emit(this, "runner-binding", new RoleBinding({
      metadata: { name: names.chaosRunner, namespace: stage, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: names.chaosRunner },
      subjects: [{ kind: "ServiceAccount", name: names.chaosRunner, namespace: stage }],
    }));
    // node-drain is cluster-scoped (chaos-charts faults/kubernetes/node-drain/fault.yaml, scope
    // Cluster): cordon the node, evict its pods, see its DaemonSets (which drain skips). Nothing more:
    // no delete of DaemonSets, no other cluster-scoped kind.
    emit(this, "node-drain-role", new ClusterRole({
      metadata: { name: names.chaosNodeDrain(stage), labels },
      rules: [
        { apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "patch"] },
        { apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] },
        { apiGroups: [""], resources: ["pods/eviction"], verbs: ["create"] },
        { apiGroups: ["apps"], resources: ["daemonsets"], verbs: ["get", "list"] },
      ],
    }));
    emit(this, "node-drain-binding", new ClusterRoleBinding({
      metadata: { name: names.chaosNodeDrain(stage), labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: names.chaosNodeDrain(stage) },
      subjects: [{ kind: "ServiceAccount", name: names.chaosRunner, namespace: stage }],
    }));

    // Fault by fault across the components (FAULTS' order), so no node is drained before every pod fault passed.
    const order = (run: string) => FAULTS.indexOf(run.split("/")[1] as Fault);
    runs.sort((a, b) => order(a) - order(b));
    // The session: one engine at a time (two faults at once would make each other's probes fail),
    // waiting for each; the first failed verdict ends the session with the Job failed.
    const wait = chaos.durationSeconds + 180;
    const script = [
      "set -euo pipefail",
      `for run in ${runs.join(" ")}; do`,
      '  engine="${run%/*}"; fault="${run#*/}"',
      '  echo "$(date -u +%FT%TZ) starting ${engine}"',
      '  kubectl patch chaosengine "${engine}" --type merge -p \'{"spec":{"engineState":"active"}}\'',
      `  kubectl wait chaosengine "\${engine}" --for=jsonpath='{.status.engineStatus}'=completed --timeout=${wait}s`,
      '  verdict="$(kubectl get chaosresult "${engine}-${fault}" -o jsonpath=\'{.status.experimentStatus.verdict}\')"',
      '  echo "$(date -u +%FT%TZ) ${engine}: ${verdict}"',
      '  if [ "${verdict}" != "Pass" ]; then exit 1; fi',
      "done",
    ].join("\n");
    emit(this, "trigger-account", new ServiceAccount({ metadata: { name: names.chaosTrigger, namespace: stage, labels } }));
    emit(this, "trigger-role", new Role({
      metadata: { name: names.chaosTrigger, namespace: stage, labels },
      rules: [
        { apiGroups: ["litmuschaos.io"], resources: ["chaosengines"], verbs: ["get", "list", "watch", "patch"] },
        { apiGroups: ["litmuschaos.io"], resources: ["chaosresults"], verbs: ["get"] },
      ],
    }));
    emit(this, "trigger-binding", new RoleBinding({
      metadata: { name: names.chaosTrigger, namespace: stage, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: names.chaosTrigger },
      subjects: [{ kind: "ServiceAccount", name: names.chaosTrigger, namespace: stage }],
    }));
    emit(this, "trigger", new CronJob({
      metadata: { name: names.chaosTrigger, namespace: stage, labels },
      spec: {
        schedule: chaos.schedule,
        timeZone: "Etc/UTC",
        // A session never overlaps the next, and a missed one is not made up later at a random hour.
        concurrencyPolicy: "Forbid",
        startingDeadlineSeconds: 600,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          spec: {
            backoffLimit: 0,
            activeDeadlineSeconds: runs.length * wait + 300,
            template: {
              metadata: { labels: { ...LITMUS_POD_LABELS, [LABEL.name]: names.chaosTrigger }, annotations: { [ISTIO.inject]: "false" } },
              spec: {
                restartPolicy: "Never",
                serviceAccountName: names.chaosTrigger,
                // kubectl patches and reads the ChaosEngines as the session's account, with exactly its Role's rights.
                automountServiceAccountToken: true,
                securityContext: restrictedPod(),
                containers: [{
                  name: "session",
                  image: chaos.triggerImage,
                  command: ["bash", "-c", script],
                  securityContext: restrictedContainer(),
                  resources: { requests: { cpu: "100m", memory: "128Mi", "ephemeral-storage": LOGS_ONLY_EPHEMERAL_STORAGE }, limits: { cpu: "500m", memory: "256Mi", "ephemeral-storage": LOGS_ONLY_EPHEMERAL_STORAGE } },
                }],
              },
            },
          },
        },
      },
    }));
    // Litmus' pods and the session in a default-deny namespace: the API server and the probes' Prometheus only.
    const m = props.environment.monitoring;
    emit(this, "network", new NetworkPolicy({
      metadata: { name: "chaos", namespace: stage, labels },
      spec: {
        podSelector: { matchLabels: { ...LITMUS_POD_LABELS } },
        policyTypes: ["Ingress", "Egress"],
        egress: [
          apiServerEgress(region),
          {
            to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": m.namespace } }, podSelector: { matchLabels: { ...m.prometheusPodLabels } } }],
            ports: [{ protocol: "TCP", port: Number(new URL(chaos.prometheusEndpoint).port || (chaos.prometheusEndpoint.startsWith("https") ? 443 : 80)) }],
          },
        ],
      },
    }));
  }
}
