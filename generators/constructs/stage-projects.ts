import { Construct } from "constructs";
import { AppProject } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject";
import type { EnvironmentSettings, RegionSettings } from "../inputs/types.ts";
import { emit } from "../argo.ts";
import { SYNC_WAVE, WAVE, names, stageId } from "../naming.ts";
import { drillNames } from "./dr-drill.ts";
import { BACKUP_KINDS, DRILL_CLUSTER_KINDS, OPERATOR_CLUSTER_KINDS, OPERATOR_KINDS, OPERATOR_POD_KINDS, CHAOS_CLUSTER_KINDS, CHAOS_KINDS, NODE_AGENT_CLUSTER_KINDS, NODE_AGENT_KINDS, NODE_KINDS, PLATFORM_KINDS, PROMETHEUS_KINDS, SEALED_SECRET_KIND, WORKLOAD_KINDS } from "./environment-projects.ts";
import { nodeAgentsNamespace } from "../nodes/node-agents.ts";
import { operatorNames } from "./operator-access.ts";

export interface StageProjectsProps {
  readonly environment: EnvironmentSettings;
  readonly region: RegionSettings;
  /** Whether the render owns the stage's engine nodes (Karpenter): then a node project exists. */
  readonly nodes: boolean;
  /** Whether the stage's environment runs chaos experiments: then a chaos project exists. */
  readonly chaos: boolean;
  /** Whether the stage runs node agents (nodes/node-agents.ts): the platform project admits their namespace and kinds. */
  readonly nodeAgents: boolean;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * The AppProjects of one stage, each as narrow as its job and named after the stage id, rendered
 * next to the stage's ApplicationSet (`applicationsets/<env>/`) and synced with it:
 * - `<stage>`: this repository only, the stage's cluster and namespace only, the workload kinds
 *   only, and Namespace as the single cluster-scoped kind (for CreateNamespace); SealedSecret only
 *   where the region has sealed credentials.
 * - `<stage>-nodes` (only where the render owns nodes): Karpenter's NodePool and EC2NodeClass, no
 *   namespaced kind at all, so no workload Application can create a node and the node Application
 *   can create nothing else.
 * - `<stage>-chaos` (only where the environment has chaos experiments): Litmus' ChaosEngines, the
 *   accounts and roles of its runner and of the session CronJob, their NetworkPolicy, and node-drain's
 *   ClusterRole and binding; no other project admits a ChaosEngine, so production cannot run one.
 * - `<stage>-platform`: the BitActorCluster CRD and the stage's BitActorCluster, its Velero
 *   BackupStorageLocation and Schedule in Velero's namespace, its Prometheus and that Prometheus'
 *   account in the monitoring namespace (its own Application `<stage>-monitoring`, which creates the
 *   stage namespace for its Role), and where the environment drills, the
 *   restore drill's CronJob, account, roles and alert rules and its scratch namespace `<stage>-drill`,
 *   and where the stage runs node agents their namespace `<stage>-node-agents`, DaemonSets, accounts and NetworkPolicy,
 *   and the BitActor operator's namespace `<stage>-operator`, account and roles (its ClusterRole and binding,
 *   and a Role in `default` for its Events), its PodMonitor and PrometheusRule
 *   (Argo CD checks only namespaced objects against the destinations, AppProject.IsResourcePermitted in
 *   pkg/apis/application/v1alpha1, so the project would admit any Namespace: the render emits this one only).
 * Why per stage, in the ApplicationSets' folder: Argo CD deletes an Application's objects only where
 * its project still admits them (controller/appcontroller.go, getPermittedAppLiveObjects), so a
 * removed region's projects must outlive its Applications. Argo CD prunes in the reverse order of
 * sync waves (gitops-engine sync_context.go), so in one sync the ApplicationSet (wave 0) goes first,
 * with its Applications and their objects, and its projects (wave -1) after; when a region is added,
 * its projects exist before its ApplicationSet creates Applications.
 */
/** Kinds in order of first appearance, each once. */
const uniqueKinds = (kinds: readonly { group: string; kind: string }[]) =>
  kinds.filter((k, i) => kinds.findIndex((x) => x.group === k.group && x.kind === k.kind) === i).map((k) => ({ ...k }));

export class StageProjects extends Construct {
  constructor(scope: Construct, id: string, props: StageProjectsProps) {
    super(scope, id);
    const s = props.environment;
    const r = props.region;
    const stage = stageId(s.environment, r.region);
    const sourceRepos = [s.repository.url];
    const metadata = (name: string) => ({ name, namespace: s.argocd.namespace, labels: props.labels, annotations: { [SYNC_WAVE]: WAVE.projects } });
    emit(this, "workloads", new AppProject({
      metadata: metadata(names.project(stage)),
      spec: {
        description: `BitActor engine in ${stage}`,
        sourceRepos,
        destinations: [{ name: r.cluster.name, namespace: stage }],
        clusterResourceWhitelist: [{ group: "", kind: "Namespace" }],
        namespaceResourceWhitelist: [
          ...WORKLOAD_KINDS.map((k) => ({ ...k })),
          ...(Object.keys(r.secrets ?? {}).length > 0 ? [{ ...SEALED_SECRET_KIND }] : []),
        ],
        // Anything in the stage namespace that git does not declare shows up as a warning in Argo CD.
        orphanedResources: { warn: true },
      },
    }));
    if (props.nodes) {
      emit(this, "nodes", new AppProject({
        metadata: metadata(names.nodesProject(stage)),
        spec: {
          description: `Engine node pools of ${stage}: Karpenter NodePools and EC2NodeClasses only`,
          sourceRepos,
          destinations: [{ name: r.cluster.name, namespace: stage }],
          clusterResourceWhitelist: NODE_KINDS.map((k) => ({ ...k })),
          namespaceResourceWhitelist: [],
        },
      }));
    }
    if (props.chaos) {
      emit(this, "chaos", new AppProject({
        metadata: metadata(names.chaosProject(stage)),
        spec: {
          description: `LitmusChaos experiments against the Rollouts of ${stage}`,
          sourceRepos,
          destinations: [{ name: r.cluster.name, namespace: stage }],
          clusterResourceWhitelist: CHAOS_CLUSTER_KINDS.map((k) => ({ ...k })),
          namespaceResourceWhitelist: CHAOS_KINDS.map((k) => ({ ...k })),
        },
      }));
    }
    emit(this, "platform", new AppProject({
      metadata: metadata(names.platformProject(stage)),
      spec: {
        description: `BitActorCluster and its CRD, the operator's access, Velero backups and the Prometheus of ${stage}`,
        sourceRepos,
        destinations: [
          { name: r.cluster.name, namespace: stage },
          { name: r.cluster.name, namespace: s.backup.namespace },
          { name: r.cluster.name, namespace: s.monitoring.namespace },
          ...(s.backup.drill ? [{ name: r.cluster.name, namespace: drillNames.namespace(stage) }] : []),
          ...(props.nodeAgents ? [{ name: r.cluster.name, namespace: nodeAgentsNamespace(stage) }] : []),
          { name: r.cluster.name, namespace: operatorNames.namespace(stage) },
          { name: r.cluster.name, namespace: operatorNames.eventsNamespace },
        ],
        // Namespace once, for the stage's (its monitoring Application creates it) and the drill's and node agents' where they exist.
        clusterResourceWhitelist: uniqueKinds([...PLATFORM_KINDS, { group: "", kind: "Namespace" }, ...OPERATOR_CLUSTER_KINDS, ...(s.backup.drill ? DRILL_CLUSTER_KINDS : []), ...(props.nodeAgents ? NODE_AGENT_CLUSTER_KINDS : [])]),
        namespaceResourceWhitelist: uniqueKinds([...BACKUP_KINDS, ...PROMETHEUS_KINDS, ...OPERATOR_KINDS, ...(props.region.operator ? OPERATOR_POD_KINDS : []), ...(props.nodeAgents ? NODE_AGENT_KINDS : [])]),
      },
    }));
  }
}
