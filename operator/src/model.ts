/**
 * What the operator reads and writes, as plain data. No client library here: the condition logic
 * is pure and its tests build these shapes directly.
 */

export const GROUP = "bitactor.io";
export const VERSION = "v1alpha1";
export const PLURAL = "bitactorclusters";
export const KIND = "BitActorCluster";

/** One component's performance target, as the render writes it into the BitActorCluster (spec.targets). */
export interface Target {
  /** The component's Rollout in the stage namespace. */
  readonly rollout: string;
  /** The image repository; the pinned digest is spec.components[<id>].digest. */
  readonly image: string;
  /** Latency budget in nanoseconds and the share of observations that must fall within it. */
  readonly budgetNs: number;
  readonly quantile: number;
  /** The judged window and the fewest observations in it that count as a measurement. */
  readonly windowSeconds: number;
  readonly minSamples: number;
  /**
   * The gate's own PromQL over the active pods: `share` is empty unless `samples` ≥ minSamples
   * (generators/promql.ts makes both, as for the analysis templates).
   */
  readonly query: { readonly share: string; readonly samples: string };
  /** The AnalysisRun that judges the component's first release in a new region. */
  readonly firstReleaseRun: string;
  /** What one pod asks of a node, and which nodes it may use. */
  readonly nodes: {
    readonly selector: Readonly<Record<string, string>>;
    /** Extended resources per pod (hugepages, SR-IOV VFs, GPUs): name → quantity. */
    readonly perPod: Readonly<Record<string, string>>;
    /** Node labels the node pool sets that the pod relies on (e.g. the kubelet's CPU manager policy). */
    readonly labels: Readonly<Record<string, string>>;
  };
}

export interface OrderFlowSpec {
  /** The NetworkPolicy the operator owns: it allows exchange egress only while the region is TradingReady. */
  readonly policyName: string;
  /** A metav1.LabelSelector, written into the policy as it is. */
  readonly podSelector: Readonly<Record<string, unknown>>;
  readonly egress: readonly { readonly cidrs: readonly string[]; readonly ports: readonly number[] }[];
  /** How long TradingReady may be False before the order flow closes. */
  readonly closeGraceSeconds: number;
}

export interface ClusterSpec {
  readonly components: Readonly<Record<string, { readonly version: string; readonly digest: string; readonly replicas: number }>>;
  readonly targets?: Readonly<Record<string, Target>>;
  readonly orderFlow?: OrderFlowSpec;
  readonly [field: string]: unknown;
}

export type Status = "True" | "False" | "Unknown";

/** metav1.Condition. */
export interface Condition {
  readonly type: ConditionType;
  readonly status: Status;
  readonly observedGeneration: number;
  readonly lastTransitionTime: string;
  readonly reason: string;
  readonly message: string;
}

export const CONDITION_TYPES = ["VersionsConverged", "LatencyWithinTargets", "NodesReady", "TradingReady"] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

export interface ClusterStatus {
  readonly observedGeneration: number;
  readonly conditions: readonly Condition[];
  readonly orderFlow: { readonly state: "Open" | "Closed"; readonly since: string; readonly reason: string };
}

export interface BitActorCluster {
  readonly metadata: { readonly name: string; readonly generation?: number; readonly uid?: string; readonly resourceVersion?: string };
  readonly spec: ClusterSpec;
  readonly status?: Partial<ClusterStatus>;
}

/** The fields of an Argo Rollout the operator judges by. */
export interface RolloutView {
  readonly name: string;
  readonly generation: number;
  readonly observedGeneration: number;
  /** Images of the pod template's containers. */
  readonly images: readonly string[];
  /** The pod-template hash of spec.template and the one the active Service selects. */
  readonly currentPodHash?: string;
  readonly stableRS?: string;
  readonly phase?: string;
}

export interface AnalysisRunView {
  readonly name: string;
  readonly phase?: string;
  readonly message?: string;
}

export interface NodeView {
  readonly name: string;
  readonly ready: boolean;
  readonly unschedulable: boolean;
  readonly labels: Readonly<Record<string, string>>;
  readonly allocatable: Readonly<Record<string, string>>;
}

/** One Prometheus reading of a target. */
export type LatencyReading =
  | { readonly kind: "measured"; readonly share: number; readonly samples: number }
  | { readonly kind: "too-few-samples"; readonly samples: number }
  | { readonly kind: "no-data" }
  | { readonly kind: "rejected"; readonly message: string }
  | { readonly kind: "unreachable"; readonly message: string };

/** Everything one reconcile judges, read at one moment. */
export interface Observation {
  readonly cluster: BitActorCluster;
  readonly namespace: string;
  readonly rollouts: ReadonlyMap<string, RolloutView>;
  readonly analysisRuns: ReadonlyMap<string, AnalysisRunView>;
  readonly nodes: readonly NodeView[];
  readonly latency: ReadonlyMap<string, LatencyReading>;
  readonly now: Date;
}
