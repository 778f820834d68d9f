import { Construct } from "constructs";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import type { EnvironmentSettings, RegionSettings } from "../inputs/types.ts";
import { emit } from "../argo.ts";
import { stageId } from "../naming.ts";
import { restrictedContainer, restrictedPod } from "../pod-security.ts";
import { LIVENESS } from "../probes.ts";
import { quantityBytes } from "../nodes/al2023-user-data.ts";
import { operatorNames } from "./operator-access.ts";
import { DNS_EGRESS, apiServerEgress } from "./network-policies.ts";

/**
 * Two replicas, one leading on the Lease (operator/src/lease.ts): the standby takes over within
 * 15 s of the leader's death, the and the operator's promise; more would only wait.
 */
const REPLICAS = 2;

/**
 * The in-cluster Prometheus of the stage: prometheus-operator's governing Service of every
 * Prometheus in a namespace (`prometheus-operated`, port `web` 9090; prometheus-operator
 * pkg/prometheus/statefulset.go governingServiceName). The operator asks it the gate's own queries
 * (spec.targets.<id>.query); where the gate reads a managed backend, this Prometheus is the one
 * that writes to it, so the figures are the same.
 */
const PROMETHEUS_SERVICE = "prometheus-operated";
const PROMETHEUS_PORT = 9090;

/**
 * Ephemeral storage per replica: the operator writes no file; its logs count against it, and the
 * kubelet keeps up to 5 files of 10Mi per container (KubeletConfiguration containerLogMaxSize and
 * containerLogMaxFiles defaults), so 64Mi holds them.
 */
const EPHEMERAL_STORAGE = "64Mi";

export interface OperatorDeploymentProps {
  readonly environment: EnvironmentSettings;
  readonly region: RegionSettings;
  /** The image the region file pins (`operator`): a stage without one runs no operator yet. */
  readonly pin: { readonly version: string; readonly digest: string };
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * The BitActor operator running in its namespace `<stage>-operator` (its access: operator-access.ts;
 * its monitoring: operator-monitoring.ts):
 * - a Deployment of two replicas of the image the region file pins (`operator.version`/`digest`, the
 *   digest `npm run operator:image` built), as the restricted pod every BitActor container is, with
 *   the image's own user; probes on /healthz and /readyz; requests = limits from the environment;
 *   a V8 heap limit of three quarters of the memory limit, so the collector works before the kernel's
 *   OOM killer does (Node's --max-old-space-size; V8 does not read the cgroup limit);
 * - a PodDisruptionBudget: a drain takes one replica at a time, so one is always a candidate;
 * - the namespace's default deny and its one allow-list: the cluster DNS, the API server, the stage's
 *   Prometheus (queries) in, and that Prometheus' scrapes of /metrics out.
 */
export class OperatorDeployment extends Construct {
  constructor(scope: Construct, id: string, props: OperatorDeploymentProps) {
    super(scope, id);
    const stage = stageId(props.environment.environment, props.region.region);
    const namespace = operatorNames.namespace(stage);
    const o = props.environment.operator;
    const m = props.environment.monitoring;
    const pin = props.pin;
    const labels = { ...props.labels };
    const selector = { ...operatorNames.podLabels };
    const resources = { cpu: o.cpu, memory: o.memory, "ephemeral-storage": EPHEMERAL_STORAGE };
    const port = operatorNames.metricsPort;
    emit(this, "deployment", new Deployment({
      metadata: { name: operatorNames.deployment, namespace, labels: { ...labels, "app.kubernetes.io/version": pin.version } },
      spec: {
        replicas: REPLICAS,
        selector: { matchLabels: selector },
        // A new version starts beside both old replicas: a candidate stays while the leader hands over.
        strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        template: {
          metadata: { labels: { ...selector, "app.kubernetes.io/version": pin.version } },
          spec: {
            serviceAccountName: operatorNames.account,
            securityContext: restrictedPod(),
            // Replicas on different nodes, so one node's loss leaves the standby (the policy gate's
            // host-anti-affinity); a rolling update's third pod needs a third node, which every stage has.
            affinity: {
              podAntiAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: selector } }],
              },
            },
            containers: [
              {
                name: "operator",
                image: `${o.image}@${pin.digest}`,
                env: [
                  { name: "BITACTOR_CLUSTER", value: stage },
                  { name: "BITACTOR_NAMESPACE", value: stage },
                  { name: "PROMETHEUS_URL", value: `http://${PROMETHEUS_SERVICE}.${m.namespace}.svc:${PROMETHEUS_PORT}` },
                  { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
                  { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                  { name: "LEASE_NAME", value: operatorNames.lease },
                  { name: "EVENTS_NAMESPACE", value: operatorNames.eventsNamespace },
                  { name: "METRICS_ADDRESS", value: `0.0.0.0:${port.port}` },
                  { name: "NODE_OPTIONS", value: `--max-old-space-size=${Math.floor((quantityBytes(o.memory) * 3) / 4 / 2 ** 20)}` },
                ],
                ports: [{ name: port.name, containerPort: port.port, protocol: "TCP" }],
                resources: { requests: resources, limits: resources },
                // Ready once it serves; alive while it answers at all (probes.ts: a minute of silence).
                readinessProbe: { httpGet: { path: "/readyz", port: port.name }, periodSeconds: 5 },
                livenessProbe: { httpGet: { path: "/healthz", port: port.name }, ...LIVENESS },
                securityContext: restrictedContainer(),
              },
            ],
          },
        },
      },
    }));
    emit(this, "pdb", new PodDisruptionBudget({
      metadata: { name: operatorNames.deployment, namespace, labels },
      spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
    }));
    emit(this, "deny", new NetworkPolicy({ metadata: { name: operatorNames.defaultDeny, namespace, labels }, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } }));
    const prometheusPods = { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": m.namespace } }, podSelector: { matchLabels: { ...m.prometheusPodLabels } } };
    emit(this, "network", new NetworkPolicy({
      metadata: { name: operatorNames.deployment, namespace, labels },
      spec: {
        podSelector: { matchLabels: selector },
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [prometheusPods], ports: [{ protocol: "TCP", port: port.port }] }],
        egress: [DNS_EGRESS, apiServerEgress(props.region), { to: [prometheusPods], ports: [{ protocol: "TCP", port: PROMETHEUS_PORT }] }],
      },
    }));
  }
}
