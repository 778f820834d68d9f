import { Construct } from "constructs";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { ClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import { ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import { Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import type { IPolicyRule } from "kubernetes-models/rbac.authorization.k8s.io/v1/PolicyRule";
import type { EnvironmentSettings, RegionSettings } from "../inputs/types.ts";
import { emit } from "../argo.ts";
import { names, stageId } from "../naming.ts";
import { BITACTOR_CLUSTER } from "./bitactor-cluster.ts";
import { ISTIO } from "./mesh.ts";

/** The operator's names in a stage: one stage id, as everywhere (namespace, account, roles). */
export const operatorNames = {
  namespace: (stage: string) => `${stage}-operator`,
  account: "bitactor-operator",
  /** Cluster-scoped, so it carries the stage: a cluster may serve several. */
  clusterRole: (stage: string) => `${stage}-bitactor-operator`,
  /** The Lease its replicas elect a leader on (operator/src/main.ts LEASE_NAME). */
  lease: "bitactor-operator",
  /** Its Role in the stage namespace (reads the engine's Rollouts, writes the order flow). */
  stageRole: "bitactor-operator",
  /** Its Role in its own namespace (its Lease); named apart from stageRole, one file per name in the folder. */
  selfRole: "bitactor-operator-lease",
  /** Its Role in `default`, for its Events. */
  eventsRole: "bitactor-operator-events",
  /** The API server accepts an Event about a cluster-scoped object only in `default` (core/v1 Event validation). */
  eventsNamespace: "default",
  /** Its Deployment, PodDisruptionBudget and NetworkPolicy (operator-deployment.ts). */
  deployment: "bitactor-operator",
  /** Its namespace's default deny; named apart from the node agents' `default-deny` in the same platform folder. */
  defaultDeny: "bitactor-operator-default-deny",
  /** Its PodMonitor and PrometheusRule (operator-monitoring.ts). */
  monitor: "bitactor-operator",
  /** The labels on every replica's pod, which its PodMonitor selects. */
  podLabels: { "app.kubernetes.io/name": "bitactor-operator" },
  /** Where a replica serves /metrics, /healthz and /readyz (operator/src/main.ts METRICS_ADDRESS default). */
  metricsPort: { name: "metrics", port: 8080 },
} as const;

const RBAC = "rbac.authorization.k8s.io";
const READ = ["get", "list", "watch"];

/**
 * What the BitActor operator may do in a stage (operator/README.md), each rule as narrow as
 * Kubernetes RBAC allows (kubernetes.io/docs/reference/access-authn-authz/rbac, "Referring to
 * resources": resourceNames cannot restrict create, and restrict list and watch only to requests
 * that select `metadata.name`):
 * - cluster-wide: read its own BitActorCluster (by name) and patch only its status, read Nodes (the pools);
 * - in the stage namespace: read Rollouts and AnalysisRuns, and write only the order-flow
 *   NetworkPolicy (create cannot be limited by name: the stage namespace is the limit);
 * - in its own namespace: its Lease (create, then get and update only that one);
 * - in `default`: create the Events it records about the cluster-scoped BitActorCluster.
 * No wildcard, no Secret, no write to anything Argo CD syncs.
 */
export function operatorRules(stage: string): { readonly cluster: IPolicyRule[]; readonly stageNamespace: IPolicyRule[]; readonly own: IPolicyRule[]; readonly events: IPolicyRule[] } {
  const group = BITACTOR_CLUSTER.group;
  return {
    cluster: [
      // A list or watch is authorized by name when it selects metadata.name, as the operator's does.
      { apiGroups: [group], resources: [BITACTOR_CLUSTER.plural], resourceNames: [stage], verbs: READ },
      { apiGroups: [group], resources: [`${BITACTOR_CLUSTER.plural}/status`], resourceNames: [stage], verbs: ["get", "patch", "update"] },
      { apiGroups: [""], resources: ["nodes"], verbs: READ },
    ],
    stageNamespace: [
      { apiGroups: ["argoproj.io"], resources: ["rollouts", "analysisruns"], verbs: READ },
      { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: ["create"] },
      { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], resourceNames: [names.orderFlowPolicy], verbs: ["get", "patch", "update"] },
    ],
    own: [
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], resourceNames: [operatorNames.lease], verbs: ["get", "update"] },
    ],
    events: [{ apiGroups: [""], resources: ["events"], verbs: ["create"] }],
  };
}

export interface OperatorAccessProps {
  readonly environment: EnvironmentSettings;
  readonly region: RegionSettings;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * The operator's namespace `<stage>-operator` (Pod Security restricted), its ServiceAccount and the
 * roles of operatorRules bound to it. Its default deny comes with its pods (operator-deployment.ts).
 * The operator's tests run it with a
 * token of exactly this account on an API server that enforces RBAC.
 */
export class OperatorAccess extends Construct {
  constructor(scope: Construct, id: string, props: OperatorAccessProps) {
    super(scope, id);
    const stage = stageId(props.environment.environment, props.region.region);
    const namespace = operatorNames.namespace(stage);
    const labels = props.labels;
    const rules = operatorRules(stage);
    const subject = { kind: "ServiceAccount", name: operatorNames.account, namespace };
    emit(this, "namespace", new Namespace({
      metadata: { name: namespace, labels: { ...labels, "pod-security.kubernetes.io/enforce": "restricted", [ISTIO.injectionLabel]: "disabled" } },
    }));
    emit(this, "account", new ServiceAccount({ metadata: { name: operatorNames.account, namespace, labels } }));
    emit(this, "cluster-role", new ClusterRole({ metadata: { name: operatorNames.clusterRole(stage), labels }, rules: rules.cluster }));
    emit(this, "cluster-binding", new ClusterRoleBinding({
      metadata: { name: operatorNames.clusterRole(stage), labels },
      roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: operatorNames.clusterRole(stage) },
      subjects: [subject],
    }));
    emit(this, "stage-role", new Role({ metadata: { name: operatorNames.stageRole, namespace: stage, labels }, rules: rules.stageNamespace }));
    emit(this, "stage-binding", new RoleBinding({
      metadata: { name: operatorNames.stageRole, namespace: stage, labels },
      roleRef: { apiGroup: RBAC, kind: "Role", name: operatorNames.stageRole },
      subjects: [subject],
    }));
    emit(this, "own-role", new Role({ metadata: { name: operatorNames.selfRole, namespace, labels }, rules: rules.own }));
    emit(this, "own-binding", new RoleBinding({
      metadata: { name: operatorNames.selfRole, namespace, labels },
      roleRef: { apiGroup: RBAC, kind: "Role", name: operatorNames.selfRole },
      subjects: [subject],
    }));
    const events = operatorNames.eventsNamespace;
    emit(this, "events-role", new Role({ metadata: { name: operatorNames.eventsRole, namespace: events, labels }, rules: rules.events }));
    emit(this, "events-binding", new RoleBinding({
      metadata: { name: operatorNames.eventsRole, namespace: events, labels },
      roleRef: { apiGroup: RBAC, kind: "Role", name: operatorNames.eventsRole },
      subjects: [subject],
    }));
  }
}
