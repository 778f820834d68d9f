import { Construct } from "constructs";
import type { EnvironmentSettings, RegionSettings } from "../inputs/types.ts";
import { emit } from "../argo.ts";
import { stageId, stagePrometheusNames } from "../naming.ts";
import { operatorNames } from "./operator-access.ts";

/** prometheus-operator's API group and version of its Prometheus, PodMonitor and PrometheusRule. */
export const MONITORING_API = "monitoring.coreos.com/v1";

/**
 * What the stage Prometheus' account needs in a namespace it scrapes: read pods, all a PodMonitor's
 * discovery lists (prometheus-operator's generated config uses kubernetes_sd role pod, namespaced).
 * The stage's namespace gets it here; the operator's namespace in operator-monitoring.ts.
 */
export function podReader(stage: string, namespace: string, monitoringNamespace: string, labels: Readonly<Record<string, string>>, name?: string) {
  const account = stagePrometheusNames(stage).account;
  // A folder's files are named by kind and name: a second reader in one folder needs its own name.
  const metadata = { name: name ?? account, namespace, labels: { ...labels } };
  return {
    role: { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata, rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] }] },
    binding: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata,
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: metadata.name },
      subjects: [{ kind: "ServiceAccount", name: account, namespace: monitoringNamespace }],
    },
  };
}

export interface StagePrometheusProps {
  readonly environment: EnvironmentSettings;
  readonly region: RegionSettings;
  /** The Prometheus release the operator runs (`spec.version`), e.g. `v3.16.0`: tools/versions.json `prometheus`. */
  readonly prometheusVersion: string;
  readonly labels: Readonly<Record<string, string>>;
}


/**
 * The stage's Prometheus, run by prometheus-operator (an add-on of every stage) in the environment's
 * monitoring namespace: it scrapes every PodMonitor and evaluates every PrometheusRule of the stage's
 * namespace and of its operator's namespace `<stage>-operator`, and nothing else. It is what the
 * region's gate reads where its `prometheus.address` is the in-cluster one (prometheus-operator's governing Service `prometheus-operated`), what the chaos probes
 * read, and where the p99 and SLO alerts fire.
 * - Selection: our PodMonitors and rules carry `app.kubernetes.io/part-of: bitactor`; the namespace
 *   selector admits the stage's namespace and the operator's only. ServiceMonitors, Probes and
 *   ScrapeConfigs are left unselected (a nil selector selects none, Documentation/api-reference: PrometheusSpec).
 * - Access: podReader, a Role in the stage's namespace that may read pods (the operator's namespace
 *   gets its own from operator-monitoring.ts).
 * - `spec.version` is the Prometheus the repository tests against, so the configuration the operator
 *   generates is the one its version gates allow (pkg/prometheus/promcfg.go) and the one the e2e runs.
 * - Guaranteed resources (requests = limits), an emptyDir capped at `storage`, non-root.
 * - Where the region's gate reads Amazon Managed Prometheus (`prometheus.authentication.sigv4`), it
 *   remote-writes every sample there, signed with SigV4 by the IAM role its account gets through EKS
 *   Pod Identity (generators/infrastructure/aws/prometheus.ts). Its replicas carry the labels AMP
 *   deduplicates a high-availability group by, `cluster` and `__replica__` (AMP user guide, "Send high
 *   availability data ... using the Prometheus Operator"): without them AMP would keep one series per
 *   replica, and the gate's sample counts, which sum over series, would double.
 */
export class StagePrometheus extends Construct {
  constructor(scope: Construct, id: string, props: StagePrometheusProps) {
    super(scope, id);
    const stage = stageId(props.environment.environment, props.region.region);
    const m = props.environment.monitoring;
    const n = stagePrometheusNames(stage);
    const labels = { ...props.labels };
    const selectOurs = { matchLabels: { "app.kubernetes.io/part-of": "bitactor" } };
    // The stage's namespace and its operator's (operator-monitoring.ts), by the name label the API server sets.
    const thisStage = { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: [stage, operatorNames.namespace(stage)] }] };
    emit(this, "account", { toJSON: () => ({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: n.account, namespace: m.namespace, labels }, automountServiceAccountToken: true }) });
    const reader = podReader(stage, stage, m.namespace, labels);
    emit(this, "role", { toJSON: () => reader.role });
    emit(this, "binding", { toJSON: () => reader.binding });
    const p = m.prometheus;
    const sigv4 = props.region.prometheus.authentication?.sigv4;
    const resources = { cpu: p.cpu, memory: p.memory };
    emit(this, "prometheus", { toJSON: () => ({
      apiVersion: MONITORING_API,
      kind: "Prometheus",
      metadata: { name: n.prometheus, namespace: m.namespace, labels },
      spec: {
        version: props.prometheusVersion,
        replicas: p.replicas,
        serviceAccountName: n.account,
        podMetadata: { labels: { ...m.prometheusPodLabels } },
        podMonitorSelector: selectOurs,
        podMonitorNamespaceSelector: thisStage,
        ruleSelector: selectOurs,
        ruleNamespaceSelector: thisStage,
        retention: p.retention,
        storage: { emptyDir: { sizeLimit: p.storage } },
        resources: { requests: resources, limits: resources },
        securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534, seccompProfile: { type: "RuntimeDefault" } },
        ...(sigv4 ? {
          externalLabels: { cluster: stage },
          replicaExternalLabelName: "__replica__",
          // The workspace's query address + api/v1/remote_write (AMP user guide, "Ingest Prometheus metrics to the workspace").
          remoteWrite: [{ url: `${props.region.prometheus.address.replace(/\/?$/, "/")}api/v1/remote_write`, sigv4: { region: sigv4.region } }],
        } : {}),
      },
    }) });
  }
}
