import { Construct } from "constructs";
import { AppProject } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject";
import type { EnvironmentSettings } from "../inputs/types.ts";
import { emit } from "../argo.ts";
import { SYNC_WAVE, WAVE, names } from "../naming.ts";

/** How a root's project description names the repository credential it may carry. */
export const CREDENTIAL_MENTION = " and its repository credential (sealed)";

/** Credentials: only sealed (the controller creates the Secret in the cluster, never from git). */
export const SEALED_SECRET_KIND = { group: "bitnami.com", kind: "SealedSecret" } as const;

/** The kinds a component folder holds; the workload project allows these and nothing else. */
export const WORKLOAD_KINDS = [
  { group: "", kind: "Service" },
  // One per component and per load Job, no token, bound to nothing.
  { group: "", kind: "ServiceAccount" },
  // Default deny plus the engine's flows.
  { group: "networking.k8s.io", kind: "NetworkPolicy" },
  // At most one voluntary disruption per component.
  { group: "policy", kind: "PodDisruptionBudget" },
  // Istio mTLS: STRICT per namespace, hot-path ports excluded.
  { group: "security.istio.io", kind: "PeerAuthentication" },
  // Grafana dashboards (the Grafana sidecar loads ConfigMaps labelled grafana_dashboard).
  { group: "", kind: "ConfigMap" },
  // The stage's OpenTelemetry Collector.
  { group: "apps", kind: "Deployment" },
  // SR-IOV networks the hot-path pods attach a VF of (Multus).
  { group: "k8s.cni.cncf.io", kind: "NetworkAttachmentDefinition" },
  { group: "argoproj.io", kind: "AnalysisTemplate" },
  // The first-release gate (constructs/latency-gate.ts): Argo Rollouts judges no first rollout.
  { group: "argoproj.io", kind: "AnalysisRun" },
  { group: "argoproj.io", kind: "Rollout" },
  { group: "monitoring.coreos.com", kind: "PodMonitor" },
  { group: "monitoring.coreos.com", kind: "PrometheusRule" },
] as const;

/** The node-pool kinds (cluster-scoped) the `<env>-nodes` project allows, and nothing else. */
export const NODE_KINDS = [
  { group: "karpenter.sh", kind: "NodePool" },
  { group: "karpenter.k8s.aws", kind: "EC2NodeClass" },
] as const;

/** The platform project's kinds (cluster-scoped): the BitActorCluster CRD and its resource, nothing else. */
export const PLATFORM_KINDS = [
  { group: "apiextensions.k8s.io", kind: "CustomResourceDefinition" },
  { group: "bitactor.io", kind: "BitActorCluster" },
] as const;

/**
 * The platform project's namespaced kinds: Velero's in Velero's namespace, and the restore drill's
 * (constructs/dr-drill.ts): its CronJob, account, Roles, resource modifiers, the scratch namespace's
 * zero-pod quota, its alert rules and the NetworkPolicies of its pods.
 */
export const BACKUP_KINDS = [
  { group: "velero.io", kind: "BackupStorageLocation" },
  { group: "velero.io", kind: "Schedule" },
  { group: "batch", kind: "CronJob" },
  { group: "", kind: "ServiceAccount" },
  { group: "", kind: "ConfigMap" },
  { group: "", kind: "ResourceQuota" },
  { group: "rbac.authorization.k8s.io", kind: "Role" },
  { group: "rbac.authorization.k8s.io", kind: "RoleBinding" },
  { group: "monitoring.coreos.com", kind: "PrometheusRule" },
  { group: "networking.k8s.io", kind: "NetworkPolicy" },
] as const;

/** The platform project's kinds for the stage's Prometheus (constructs/stage-prometheus.ts): its account, Role and binding are BACKUP_KINDS. */
export const PROMETHEUS_KINDS = [
  { group: "monitoring.coreos.com", kind: "Prometheus" },
] as const;

/**
 * The platform project's kinds for the stage's node agents (constructs/node-agents.ts): their
 * namespace (cluster-scoped), DaemonSets and NetworkPolicy; their ServiceAccounts are BACKUP_KINDS.
 */
export const NODE_AGENT_CLUSTER_KINDS = [{ group: "", kind: "Namespace" }] as const;
export const NODE_AGENT_KINDS = [
  { group: "apps", kind: "DaemonSet" },
  { group: "networking.k8s.io", kind: "NetworkPolicy" },
] as const;

/**
 * The platform project's kinds for the BitActor operator (constructs/operator-access.ts): its
 * ClusterRole and binding (cluster-scoped); its namespace is Namespace, its account, Roles and
 * NetworkPolicy are BACKUP_KINDS.
 */
export const OPERATOR_CLUSTER_KINDS = [
  { group: "rbac.authorization.k8s.io", kind: "ClusterRole" },
  { group: "rbac.authorization.k8s.io", kind: "ClusterRoleBinding" },
] as const;

/** The platform project's namespaced kinds for the operator's monitoring (operator-monitoring.ts); its rule and roles are BACKUP_KINDS. */
export const OPERATOR_KINDS = [{ group: "monitoring.coreos.com", kind: "PodMonitor" }] as const;

/**
 * ... and for its pods where the region file pins it (operator-deployment.ts); their NetworkPolicies
 * are BACKUP_KINDS. A stage the operator has not reached admits none: the project holds what the folder does.
 */
export const OPERATOR_POD_KINDS = [
  { group: "apps", kind: "Deployment" },
  { group: "policy", kind: "PodDisruptionBudget" },
] as const;

/** The platform project's cluster-scoped kinds when the environment drills: the scratch namespace too. */
export const DRILL_CLUSTER_KINDS = [{ group: "", kind: "Namespace" }] as const;

/** The chaos project's namespaced kinds (constructs/chaos.ts), in the stage namespace only. */
export const CHAOS_KINDS = [
  { group: "litmuschaos.io", kind: "ChaosEngine" },
  { group: "", kind: "ServiceAccount" },
  { group: "rbac.authorization.k8s.io", kind: "Role" },
  { group: "rbac.authorization.k8s.io", kind: "RoleBinding" },
  { group: "batch", kind: "CronJob" },
  { group: "networking.k8s.io", kind: "NetworkPolicy" },
] as const;

/** node-drain's cluster-scoped permissions: the chaos project's only cluster-scoped kinds. */
export const CHAOS_CLUSTER_KINDS = [
  { group: "rbac.authorization.k8s.io", kind: "ClusterRole" },
  { group: "rbac.authorization.k8s.io", kind: "ClusterRoleBinding" },
] as const;

/** What the root may create: the environment's projects, the two bootstrap Applications, the ApplicationSets. */
export const BOOTSTRAP_KINDS = [
  { group: "argoproj.io", kind: "AppProject" },
  { group: "argoproj.io", kind: "Application" },
  { group: "argoproj.io", kind: "ApplicationSet" },
] as const;

/** Argo CD's own address for the cluster it runs in. */
export const IN_CLUSTER = "https://kubernetes.default.svc";

export interface BootstrapProjectProps {
  readonly environment: EnvironmentSettings;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * `<env>-bootstrap`: the project of the root Application and `<env>-applicationsets`, which may only
 * create AppProjects, Applications and ApplicationSets, in Argo CD's namespace of Argo CD's own
 * cluster. Every other project is a stage's (stage-projects.ts).
 */
export class BootstrapProject extends Construct {
  constructor(scope: Construct, id: string, props: BootstrapProjectProps) {
    super(scope, id);
    const s = props.environment;
    emit(this, "bootstrap", new AppProject({
      metadata: { name: names.bootstrapProject(s.environment), namespace: s.argocd.namespace, labels: props.labels, annotations: { [SYNC_WAVE]: WAVE.projects } },
      spec: {
        description: `Root of ${s.environment}: its AppProjects, Applications and ApplicationSets${s.repository.credential ? CREDENTIAL_MENTION : ""}, in Argo CD's namespace only`,
        sourceRepos: [s.repository.url],
        destinations: [{ server: IN_CLUSTER, namespace: s.argocd.namespace }],
        clusterResourceWhitelist: [],
        // The credential only where the environment has one: nothing else may put a SealedSecret here.
        namespaceResourceWhitelist: [...BOOTSTRAP_KINDS, ...(s.repository.credential ? [SEALED_SECRET_KIND] : [])].map((k) => ({ ...k })),
      },
    }));
  }
}
