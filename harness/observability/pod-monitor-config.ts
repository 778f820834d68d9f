/**
 * The scrape configuration of the rendered PodMonitors for the observability tests, which run
 * Prometheus without an API server (harness/observability/stage-prometheus.ts): an imitation of what
 * prometheus-operator generates, with targets from the contract fixture's HTTP SD (targetGroups). The e2e clusters
 * run the real operator instead (harness/e2e/operator-prometheus.ts).
 */
import { sanitize } from "../../generators/constructs/pod-monitor.ts";

/** The fields of a rendered prometheus-operator PodMonitor that shape its scrape configuration. */
export interface PodMonitorShape {
  metadata: { name?: string; namespace?: string };
  spec: {
    selector: { matchLabels?: Record<string, string> };
    namespaceSelector?: { matchNames?: string[]; any?: boolean };
    podTargetLabels?: string[];
    podMetricsEndpoints: {
      port?: string;
      path?: string;
      honorLabels?: boolean;
      interval?: string;
      scrapeTimeout?: string;
      relabelings?: { sourceLabels?: string[]; targetLabel?: string; action?: string; regex?: string; replacement?: string; separator?: string }[];
    }[];
  };
}

/**
 * The scrape configuration prometheus-operator v0.94.1 generates for a rendered PodMonitor
 * (pkg/prometheus/promcfg.go, generatePodMonitorConfig), for the parts our PodMonitors use: drop
 * finished pods, keep the selector's pods and the endpoint's port, add namespace/container/pod,
 * podTargetLabels, job and endpoint, then the endpoint's own relabelings. Targets come from the
 * fixture's HTTP SD (Kubernetes SD's labels; kwok's pods have no address to discover), and the
 * address is the fixture's, as pod IPs are kwok's fakes: those two rules come last and touch no label.
 */
export function prometheusConfig(monitors: PodMonitorShape | readonly PodMonitorShape[], fixtureAddress: string, ruleFiles: readonly string[] = []): unknown {
  return {
    global: { evaluation_interval: "1s" },
    ...(ruleFiles.length ? { rule_files: [...ruleFiles] } : {}),
    scrape_configs: (Array.isArray(monitors) ? monitors : [monitors]).flatMap((m: PodMonitorShape) => scrapeConfigs(m, fixtureAddress)),
  };
}

function scrapeConfigs(monitor: PodMonitorShape, fixtureAddress: string): unknown[] {
  const { name, namespace } = monitor.metadata;
  const label = (k: string) => `__meta_kubernetes_pod_label_${sanitize(k)}`;
  const sel = monitor.spec.namespaceSelector;
  const namespaces = sel?.any ? undefined : (sel?.matchNames ?? (namespace ? [namespace] : undefined));
  return monitor.spec.podMetricsEndpoints.map((ep, i) => ({
      job_name: `podMonitor/${namespace}/${name}/${i}`,
      ...(ep.honorLabels ? { honor_labels: true } : {}),
      ...(ep.interval ? { scrape_interval: ep.interval } : {}),
      ...(ep.scrapeTimeout ? { scrape_timeout: ep.scrapeTimeout } : {}),
      metrics_path: ep.path ?? "/metrics",
      http_sd_configs: [{ url: `http://${fixtureAddress}/targets`, refresh_interval: "1s" }],
      relabel_configs: [
        ...(namespaces ? [{ source_labels: ["__meta_kubernetes_namespace"], regex: `(${namespaces.join("|")})`, action: "keep" }] : []),
        { source_labels: ["__meta_kubernetes_pod_phase"], regex: "(Failed|Succeeded)", action: "drop" },
        ...Object.entries(monitor.spec.selector.matchLabels ?? {}).sort().map(([k, v]) => ({
          source_labels: [label(k), `__meta_kubernetes_pod_labelpresent_${sanitize(k)}`],
          regex: `(${v});true`,
          action: "keep",
        })),
        ...(ep.port ? [{ source_labels: ["__meta_kubernetes_pod_container_port_name"], regex: ep.port, action: "keep" }] : []),
        { source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
        { source_labels: ["__meta_kubernetes_pod_container_name"], target_label: "container" },
        { source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
        ...(monitor.spec.podTargetLabels ?? []).map((l) => ({ source_labels: [label(l)], target_label: sanitize(l), regex: "(.+)", replacement: "${1}" })),
        { target_label: "job", replacement: `${namespace}/${name}` },
        ...(ep.port ? [{ target_label: "endpoint", replacement: ep.port }] : []),
        ...(ep.relabelings ?? []).map((r) => ({
          ...(r.sourceLabels ? { source_labels: r.sourceLabels } : {}),
          ...(r.targetLabel ? { target_label: r.targetLabel } : {}),
          ...(r.action ? { action: r.action.toLowerCase() } : {}),
          ...(r.regex !== undefined ? { regex: r.regex } : {}),
          ...(r.replacement !== undefined ? { replacement: r.replacement } : {}),
          ...(r.separator !== undefined ? { separator: r.separator } : {}),
        })),
        { source_labels: ["__meta_kubernetes_pod_name"], target_label: "__param_pod" },
        { target_label: "__address__", replacement: fixtureAddress },
      ],
  }));
}

/** What HTTP SD labels of a pod come from. */
export interface SdPod {
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: { containers: { name: string; ports?: { name?: string; containerPort: number }[] }[] };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

const ready = (p: SdPod): boolean => p.status?.phase === "Running" && (p.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");

/**
 * Prometheus HTTP SD target groups for `pods`, labelled as Kubernetes SD (role pod) labels them:
 * one target per container port, all served by `address` (the contract fixture) and told apart by pod.
 */
export function targetGroups(pods: readonly SdPod[], address: string): { targets: string[]; labels: Record<string, string> }[] {
  return pods.flatMap((p) =>
    p.spec.containers.flatMap((c) =>
      (c.ports ?? []).map((port) => ({
        targets: [address],
        labels: {
          __meta_kubernetes_namespace: p.metadata.namespace,
          __meta_kubernetes_pod_name: p.metadata.name,
          __meta_kubernetes_pod_phase: p.status?.phase ?? "",
          __meta_kubernetes_pod_ready: String(ready(p)),
          __meta_kubernetes_pod_container_name: c.name,
          __meta_kubernetes_pod_container_port_name: port.name ?? "",
          __meta_kubernetes_pod_container_port_number: String(port.containerPort),
          ...Object.fromEntries(Object.entries(p.metadata.labels ?? {}).map(([k, v]) => [`__meta_kubernetes_pod_label_${sanitize(k)}`, v])),
          ...Object.fromEntries(Object.keys(p.metadata.labels ?? {}).map((k) => [`__meta_kubernetes_pod_labelpresent_${sanitize(k)}`, "true"])),
        },
      })),
    ),
  );
}
