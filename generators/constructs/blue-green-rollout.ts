import { Construct } from "constructs";
import { Rollout } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout";
import type { Catalog, Component, ComponentPin, EnvironmentSettings, RegionSettings } from "../inputs/types.ts";
import { emit } from "../argo.ts";
import { LABEL, names } from "../naming.ts";
import { GATE_ARGS } from "./latency-gate.ts";

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
}

/** Node label and taint key that tie a component to its node pool. */
export const NODE_POOL_KEY = "bitactor.io/node-pool";

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
    const pool = props.catalog.nodePools[c.nodePool]!;
    const cpu = String(c.resources.cpu);
    emit(this, "rollout", new Rollout({
      metadata: { name: props.componentId, labels: { ...props.labels, [LABEL.version]: pin.version } },
      spec: {
        replicas: pin.replicas,
        revisionHistoryLimit: 3,
        selector: { matchLabels: { ...props.selector } },
        progressDeadlineSeconds: env.progressDeadlineSeconds,
        // A stuck release is aborted (old stack keeps serving) instead of waiting forever.
        progressDeadlineAbort: true,
        template: {
          metadata: { labels: { ...props.selector, [LABEL.version]: pin.version } },
          spec: {
            nodeSelector: { [NODE_POOL_KEY]: c.nodePool, "node.kubernetes.io/instance-type": pool.instanceTypes[props.region.cloud] },
            tolerations: [{ key: NODE_POOL_KEY, operator: "Equal", value: c.nodePool, effect: "NoSchedule" }],
            containers: [
              {
                name: props.componentId,
                image: `${c.image}@${pin.digest}`,
                ports: [
                  { name: c.servicePort.name, containerPort: c.servicePort.port, protocol: "TCP" },
                  { name: c.metricsPort.name, containerPort: c.metricsPort.port, protocol: "TCP" },
                ],
                // requests = limits with whole CPUs: Guaranteed QoS, so the static CPU manager pins cores.
                resources: {
                  requests: { cpu, memory: c.resources.memory },
                  limits: { cpu, memory: c.resources.memory },
                },
                // 1 s is the shortest period Kubernetes allows (probe periodSeconds minimum).
                readinessProbe: { httpGet: { path: "/healthz", port: c.metricsPort.name }, periodSeconds: 1, failureThreshold: 3 },
              },
            ],
          },
        },
        strategy: {
          blueGreen: {
            activeService: props.activeService,
            previewService: props.previewService,
            autoPromotionEnabled: env.promotion === "automatic",
            scaleDownDelaySeconds: env.scaleDownDelaySeconds,
            abortScaleDownDelaySeconds: env.abortScaleDownDelaySeconds,
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
