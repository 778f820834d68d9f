import { Construct } from "constructs";
import { AppProject } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject";
import type { Environment, RegionSettings } from "../inputs/types.ts";
import { emit } from "../argo.ts";
import { SYNC_WAVE, WAVE, names, stageId } from "../naming.ts";

/** The kinds a component folder holds; the workload project allows these and nothing else. */
/** Credentials: only sealed (the controller creates the Secret in the cluster, never from git). */
export const SEALED_SECRET_KIND = { group: "bitnami.com", kind: "SealedSecret" } as const;

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

/** The platform project's namespaced kinds: Velero's, in Velero's namespace only. */
export const BACKUP_KINDS = [
  { group: "velero.io", kind: "BackupStorageLocation" },
  { group: "velero.io", kind: "Schedule" },
] as const;

/** What the root may create: the environment's projects, the two bootstrap Applications, the ApplicationSets. */
export const BOOTSTRAP_KINDS = [
  { group: "argoproj.io", kind: "AppProject" },
  { group: "argoproj.io", kind: "Application" },
  { group: "argoproj.io", kind: "ApplicationSet" },
] as const;

/** Argo CD's own address for the cluster it runs in. */
export const IN_CLUSTER = "https://kubernetes.default.svc";

export interface EnvironmentProjectsProps {
  readonly environment: Environment;
  /** Regions whose engine nodes the render owns (Karpenter); none: no node project. */
  readonly nodeRegions: readonly RegionSettings[];
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * Two AppProjects per environment, each as narrow as its job:
 * - `<env>`: this repository only, each region's cluster and stage namespace only, the workload
 *   kinds only, and Namespace as the single cluster-scoped kind (for CreateNamespace).
 * - `<env>-bootstrap`: the root Application and `<env>-applicationsets`, which may only create
 *   AppProjects, Applications and ApplicationSets, in Argo CD's namespace of Argo CD's own cluster.
 * - `<env>-nodes` (only where the render owns nodes): Karpenter's NodePool and EC2NodeClass, no
 *   namespaced kind at all, so no workload Application can create a node and the node Application
 *   can create nothing else.
 * - `<env>-platform`: the BitActorCluster CRD and one BitActorCluster per cluster, and the stage's
 *   Velero BackupStorageLocation and Schedule in Velero's namespace; nothing else.
 */
export class EnvironmentProjects extends Construct {
  constructor(scope: Construct, id: string, props: EnvironmentProjectsProps) {
    super(scope, id);
    const s = props.environment.settings;
    const sourceRepos = [s.repository.url];
    emit(this, "workloads", new AppProject({
      metadata: { name: names.project(s.environment), namespace: s.argocd.namespace, labels: props.labels, annotations: { [SYNC_WAVE]: WAVE.projects } },
      spec: {
        description: `BitActor engine in ${s.environment}: one namespace per region`,
        sourceRepos,
        destinations: props.environment.regions.map((r) => ({ name: r.cluster.name, namespace: stageId(s.environment, r.region) })),
        clusterResourceWhitelist: [{ group: "", kind: "Namespace" }],
        // Narrowest: SealedSecrets only in an environment that has sealed credentials.
        namespaceResourceWhitelist: [
          ...WORKLOAD_KINDS.map((k) => ({ ...k })),
          ...(props.environment.regions.some((r) => Object.keys(r.secrets ?? {}).length > 0) ? [{ ...SEALED_SECRET_KIND }] : []),
        ],
        // Anything in our namespaces that git does not declare shows up as a warning in Argo CD.
        orphanedResources: { warn: true },
      },
    }));
    if (props.nodeRegions.length > 0) {
      emit(this, "nodes", new AppProject({
        metadata: { name: names.nodesProject(s.environment), namespace: s.argocd.namespace, labels: props.labels, annotations: { [SYNC_WAVE]: WAVE.projects } },
        spec: {
          description: `Engine node pools of ${s.environment}: Karpenter NodePools and EC2NodeClasses only`,
          sourceRepos,
          destinations: props.nodeRegions.map((r) => ({ name: r.cluster.name, namespace: stageId(s.environment, r.region) })),
          clusterResourceWhitelist: NODE_KINDS.map((k) => ({ ...k })),
          namespaceResourceWhitelist: [],
        },
      }));
    }
    emit(this, "platform", new AppProject({
      metadata: { name: names.platformProject(s.environment), namespace: s.argocd.namespace, labels: props.labels, annotations: { [SYNC_WAVE]: WAVE.projects } },
      spec: {
        description: `BitActorCluster and its CRD, and Velero backups, of each ${s.environment} cluster`,
        sourceRepos,
        destinations: props.environment.regions.flatMap((r) => [
          { name: r.cluster.name, namespace: stageId(s.environment, r.region) },
          { name: r.cluster.name, namespace: s.backup.namespace },
        ]),
        clusterResourceWhitelist: PLATFORM_KINDS.map((k) => ({ ...k })),
        namespaceResourceWhitelist: BACKUP_KINDS.map((k) => ({ ...k })),
      },
    }));
    emit(this, "bootstrap", new AppProject({
      metadata: { name: names.bootstrapProject(s.environment), namespace: s.argocd.namespace, labels: props.labels, annotations: { [SYNC_WAVE]: WAVE.projects } },
      spec: {
        description: `Root of ${s.environment}: its AppProjects, Applications and ApplicationSets, in Argo CD's namespace only`,
        sourceRepos,
        destinations: [{ server: IN_CLUSTER, namespace: s.argocd.namespace }],
        clusterResourceWhitelist: [],
        namespaceResourceWhitelist: BOOTSTRAP_KINDS.map((k) => ({ ...k })),
      },
    }));
  }
}
