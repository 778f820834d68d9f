import { Construct } from "constructs";
import { PodMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor";
import type { Catalog, Component } from "../inputs/types.ts";
import { emit } from "../argo.ts";
import { ROLE_POD_LABEL, names } from "../naming.ts";

/** The pod label Argo Rollouts puts on every pod of a ReplicaSet (argo-rollouts v1alpha1.DefaultRolloutUniqueLabelKey). */
export const POD_TEMPLATE_HASH_LABEL = "rollouts-pod-template-hash";

export interface ComponentPodMonitorProps {
  readonly catalog: Catalog;
  readonly componentId: string;
  readonly component: Component;
  /** Labels every pod of the component carries (the Rollout's selector): the monitor selects by them. */
  readonly selector: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * prometheus-operator's PodMonitor for one component: scrapes every pod of the Rollout (blue and
 * green alike, so a PodMonitor rather than a ServiceMonitor, whose Service would select one side)
 * on its metrics port every `catalog.scrapeIntervalSeconds`, and copies the pod's
 * `rollouts-pod-template-hash` label onto every series, so the gate and the dashboards can tell
 * the preview from the active pods, and Argo Rollouts' active/preview pod label (blue/green ephemeral
 * metadata), so alerts and SLOs can judge only the pods that take production traffic. The operator
 * itself adds `namespace`, `pod` and `container` (pkg/prometheus/promcfg.go,
 * generatePodMonitorConfig); the catalog names the labels the queries use, and the relabelings
 * below write exactly those.
 */
export class ComponentPodMonitor extends Construct {
  constructor(scope: Construct, id: string, props: ComponentPodMonitorProps) {
    super(scope, id);
    const interval = `${props.catalog.scrapeIntervalSeconds}s`;
    emit(
      this,
      "monitor",
      new PodMonitor({
        metadata: { name: names.monitor(props.componentId), labels: { ...props.labels } },
        spec: {
          selector: { matchLabels: { ...props.selector } },
          podMetricsEndpoints: [
            {
              port: props.component.metricsPort.name,
              path: "/metrics",
              interval,
              // A scrape may not outlast its interval (Prometheus rejects scrape_timeout > scrape_interval).
              scrapeTimeout: interval,
              relabelings: [
                { sourceLabels: [`__meta_kubernetes_pod_label_${sanitize(POD_TEMPLATE_HASH_LABEL)}`], targetLabel: props.catalog.podTemplateHashLabel, action: "replace" },
                { sourceLabels: [`__meta_kubernetes_pod_label_${sanitize(ROLE_POD_LABEL)}`], targetLabel: props.catalog.roleLabel, action: "replace" },
                { sourceLabels: ["__meta_kubernetes_namespace"], targetLabel: props.catalog.namespaceLabel, action: "replace" },
              ],
            },
          ],
        },
      }),
    );
  }
}

/** Prometheus' label-name sanitising for Kubernetes SD meta labels: anything outside [a-zA-Z0-9_] becomes "_". */
export function sanitize(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, "_");
}
