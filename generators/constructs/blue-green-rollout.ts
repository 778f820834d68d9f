import { Construct } from "constructs";
import { Rollout } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout";
import type { Catalog, Component, ComponentPin, EnvironmentSettings, RegionSettings } from "../inputs/types.ts";
import { emit } from "../argo.ts";
import { LABEL, ROLE, ROLE_POD_LABEL, argoCdLink, dashboards, names, stageId } from "../naming.ts";
import { GATE_ARGS } from "./latency-gate.ts";
import { sdkEnvironment } from "../otel-config.ts";
import { restrictedContainer, restrictedPod } from "../pod-security.ts";
import { meshAnnotations } from "./mesh.ts";
import { credentialEnvironment } from "./sealed-credentials.ts";
import { POD_TEMPLATE_HASH_LABEL } from "./pod-monitor.ts";
import { acceleratedPod } from "./accelerated-networks.ts";
import { HOST_KEY, INSTANCE_TYPE_KEY, NODE_POOL_KEY, ZONE_KEY } from "../nodes/labels.ts";
import { instanceTypeOf } from "../nodes/instance-type.ts";
import { GPU_RESOURCE } from "../nodes/node-types.ts";
import { LIVENESS } from "../probes.ts";

export interface BlueGreenRolloutProps {
  readonly catalog: Catalog;
  readonly environment: EnvironmentSettings;
  readonly region: RegionSettings;
  readonly componentId: string;
  readonly component: Component;
  readonly pin: ComponentPin;
  /** Pod labels; also the selector (immutable once created, so it holds no version). */
  readonly selector: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly activeService: string;
  readonly previewService: string;
  /** The stage's OpenTelemetry Collector Service the engine's SDK exports spans to. */
  readonly collectorHost: string;
}

/**
 * The engine's startup and readiness probes do the fast work: GET /healthz every second, the
 * shortest period Kubernetes allows. Liveness is cheaper and more patient (probes.ts): a TCP
 * connection to the metrics port, so a stall of a few seconds in a market burst takes the pod out
 * of its Services but never restarts a trading process. Liveness waits until startup has succeeded.
 */
const PROBE_PERIOD_SECONDS = 1;
/** A starting engine may take this many periods (120 s) before liveness applies. */
const STARTUP_FAILURES = 120;
/** Three missed seconds take the pod out of its Services; the next success puts it back. */
const READINESS_FAILURES = 3;

/**
 * A blue/green Rollout of one component. The preview stack gets the full replica count so the load
 * test measures what production will run; promotion waits for the pre-promotion gate (and for an
 * operator when the environment's promotion is manual); the post-promotion gate can switch back
 * while the old stack is kept for `scaleDownDelaySeconds`. `autoPromotionSeconds` is never set: it
 * would promote without a successful analysis.
 */
export class BlueGreenRollout extends Construct {
  constructor(scope: Construct, id: string, props: BlueGreenRolloutProps) {
    super(scope, id);
    const { component: c, pin, environment: env } = props;
    const cpu = String(c.resources.cpu);
    // One SR-IOV VF of each accelerated network (Multus attaches it; the device plugin allocates it).
    const accelerated = acceleratedPod(props.catalog, c);
    const resources = {
      cpu,
      memory: c.resources.memory,
      "hugepages-2Mi": c.resources.hugepages2Mi,
      "ephemeral-storage": c.resources.ephemeralStorage,
      ...(c.resources.gpus !== undefined ? { [GPU_RESOURCE]: String(c.resources.gpus) } : {}),
      ...accelerated.resources,
    };
    emit(this, "rollout", new Rollout({
      metadata: {
        name: props.componentId,
        labels: { ...props.labels, [LABEL.version]: pin.version },
        // Argo CD shows this link on the Rollout's node, next to the release it is judging.
        annotations: {
          [argoCdLink.dashboard]: argoCdLink.value("Latency and SLO", dashboards.url(props.region.grafana.url, dashboards.componentUid(props.componentId), stageId(env.environment, props.region.region))),
        },
      },
      spec: {
        replicas: pin.replicas,
        revisionHistoryLimit: 3,
        selector: { matchLabels: { ...props.selector } },
        progressDeadlineSeconds: env.progressDeadlineSeconds,
        // A stuck release is aborted (old stack keeps serving) instead of waiting forever.
        progressDeadlineAbort: true,
        template: {
          metadata: {
            labels: { ...props.selector, [LABEL.version]: pin.version },
            // The hot path bypasses the Istio sidecar (no proxy hop): see constructs/mesh.ts.
            annotations: { ...meshAnnotations(props.catalog, props.componentId, (id) => props.region.components[id] !== undefined), ...accelerated.annotations },
          },
          spec: {
            serviceAccountName: names.serviceAccount(props.componentId),
            // The engine never calls the Kubernetes API: no token in the pod.
            automountServiceAccountToken: false,
            securityContext: restrictedPod(),
            nodeSelector: { [NODE_POOL_KEY]: c.nodePool, [INSTANCE_TYPE_KEY]: instanceTypeOf(props.catalog, props.region, c.nodePool) },
            tolerations: [{ key: NODE_POOL_KEY, operator: "Equal", value: c.nodePool, effect: "NoSchedule" }],
            containers: [
              {
                name: props.componentId,
                image: `${c.image}@${pin.digest}`,
                // Tracing: head-sampled in the SDK, exported off the hot path through a bounded queue.
                // and credentials only from the Secrets the sealed-secrets controller unseals in the cluster.
                env: [
                  ...sdkEnvironment(props.catalog, { componentId: props.componentId, collectorHost: props.collectorHost, environment: env.environment, region: props.region }),
                  ...credentialEnvironment(props.region, props.componentId),
                ],
                ports: [
                  { name: c.servicePort.name, containerPort: c.servicePort.port, protocol: "TCP" },
                  { name: c.metricsPort.name, containerPort: c.metricsPort.port, protocol: "TCP" },
                ],
                // requests = limits with whole CPUs: Guaranteed QoS, so the static CPU manager pins cores.
                resources: { requests: resources, limits: resources },
                // Restricted profile plus only the catalog's justified capabilities.
                securityContext: restrictedContainer(c.security.addCapabilities),
                // The root filesystem is read-only; scratch space lives in memory and is bounded.
                volumeMounts: [
                  { name: "tmp", mountPath: "/tmp" },
                  { name: "hugepages", mountPath: "/dev/hugepages" },
                ],
                // Sub-second probing does not exist in Kubernetes; the gate's 1 s scrapes and the p99
                // alert watch latency, the probes only liveness and readiness (docs/nodes.md).
                startupProbe: { httpGet: { path: "/healthz", port: c.metricsPort.name }, periodSeconds: PROBE_PERIOD_SECONDS, timeoutSeconds: 1, failureThreshold: STARTUP_FAILURES },
                readinessProbe: { httpGet: { path: "/healthz", port: c.metricsPort.name }, periodSeconds: PROBE_PERIOD_SECONDS, timeoutSeconds: 1, failureThreshold: READINESS_FAILURES },
                livenessProbe: { tcpSocket: { port: c.metricsPort.name }, ...LIVENESS },
              },
            ],
            volumes: [
              { name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "256Mi" } },
              { name: "hugepages", emptyDir: { medium: "HugePages-2Mi" } },
            ],
            // Every stack (blue and green each) spreads evenly over the region's zones, and at least
            // over as many zones as the region lists: a zone without capacity leaves pods pending
            // rather than crowding the others.
            topologySpreadConstraints: [
              {
                maxSkew: 1,
                topologyKey: ZONE_KEY,
                whenUnsatisfiable: "DoNotSchedule",
                minDomains: props.region.zones.length,
                labelSelector: { matchLabels: { ...props.selector } },
                matchLabelKeys: [POD_TEMPLATE_HASH_LABEL],
              },
            ],
            // No two pods of the component on one host, across both stacks: a replica lost with its
            // host is one replica, and a preview under the gate's 10x load never shares caches,
            // memory bandwidth or a NIC with production.
            affinity: {
              podAntiAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { ...props.selector } }, topologyKey: HOST_KEY }],
              },
            },
          },
        },
        strategy: {
          blueGreen: {
            activeService: props.activeService,
            previewService: props.previewService,
            autoPromotionEnabled: env.promotion === "automatic",
            scaleDownDelaySeconds: env.scaleDownDelaySeconds,
            abortScaleDownDelaySeconds: env.abortScaleDownDelaySeconds,
            // Ephemeral pod labels Argo moves when the roles switch; the PodMonitor copies them, so
            // alerts and SLOs judge production pods and never a preview under the gate's load.
            activeMetadata: { labels: { [ROLE_POD_LABEL]: ROLE.active } },
            previewMetadata: { labels: { [ROLE_POD_LABEL]: ROLE.preview } },
            prePromotionAnalysis: {
              templates: [{ templateName: names.prePromotionTemplate(props.componentId) }],
              args: [{ name: GATE_ARGS.previewHash, valueFrom: { podTemplateHashValue: "Latest" } }],
            },
            postPromotionAnalysis: {
              templates: [{ templateName: names.postPromotionTemplate(props.componentId) }],
              args: [{ name: GATE_ARGS.activeHash, valueFrom: { podTemplateHashValue: "Latest" } }],
            },
          },
        },
      },
    }));
  }
}
