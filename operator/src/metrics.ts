import { CONDITION_TYPES, type Condition } from "./model.ts";

/**
 * The operator's /metrics in Prometheus' text exposition format (0.0.4). Hand-written: five series
 * do not need a client library in the image.
 */

/** Reconcile durations: a reconcile lists nothing (informers) but queries Prometheus once per target. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const STATUSES = ["True", "False", "Unknown"] as const;

/** The series its alert rules read (generators/constructs/operator-monitoring.ts): one name, both sides. */
export const METRIC = {
  condition: "bitactor_cluster_condition",
  leader: "bitactor_operator_leader",
} as const;

export class Metrics {
  private reconciles = { success: 0, error: 0 };
  private readonly buckets = BUCKETS.map(() => 0);
  private durationSum = 0;
  private durationCount = 0;
  private conditions = new Map<string, readonly Condition[]>();
  private orderFlowOpen = new Map<string, boolean>();
  private leader = false;
  private transitions = 0;

  reconciled(seconds: number, error: boolean): void {
    this.reconciles[error ? "error" : "success"]++;
    this.durationSum += seconds;
    this.durationCount++;
    BUCKETS.forEach((b, i) => {
      if (seconds <= b) this.buckets[i]!++;
    });
  }

  status(cluster: string, conditions: readonly Condition[], open: boolean, transitions: number): void {
    this.conditions.set(cluster, conditions);
    this.orderFlowOpen.set(cluster, open);
    this.transitions += transitions;
  }

  setLeader(leader: boolean): void {
    this.leader = leader;
  }

  render(): string {
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string, samples: string[]) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples);
    metric("bitactor_operator_reconciles_total", "counter", "Reconciles of BitActorClusters, by result.", [
      `bitactor_operator_reconciles_total{result="success"} ${this.reconciles.success}`,
      `bitactor_operator_reconciles_total{result="error"} ${this.reconciles.error}`,
    ]);
    metric("bitactor_operator_reconcile_errors_total", "counter", "Reconciles that failed and were requeued with backoff.", [`bitactor_operator_reconcile_errors_total ${this.reconciles.error}`]);
    metric("bitactor_operator_reconcile_duration_seconds", "histogram", "Time one reconcile takes.", [
      ...BUCKETS.map((b, i) => `bitactor_operator_reconcile_duration_seconds_bucket{le="${b}"} ${this.buckets[i]}`),
      `bitactor_operator_reconcile_duration_seconds_bucket{le="+Inf"} ${this.durationCount}`,
      `bitactor_operator_reconcile_duration_seconds_sum ${this.durationSum}`,
      `bitactor_operator_reconcile_duration_seconds_count ${this.durationCount}`,
    ]);
    metric("bitactor_operator_condition_transitions_total", "counter", "Condition changes written to status (each one also an Event).", [`bitactor_operator_condition_transitions_total ${this.transitions}`]);
    // kube-state-metrics' convention for conditions: one series per status, 1 for the current one.
    metric(
      METRIC.condition,
      "gauge",
      "A BitActorCluster's conditions: 1 for the current status of each type.",
      [...this.conditions].flatMap(([cluster, cs]) =>
        CONDITION_TYPES.flatMap((type) => STATUSES.map((s) => `${METRIC.condition}{cluster="${cluster}",type="${type}",status="${s}"} ${cs.find((c) => c.type === type)?.status === s ? 1 : 0}`)),
      ),
    );
    metric("bitactor_cluster_order_flow_open", "gauge", "1 while the operator's order-flow NetworkPolicy lets the region reach its exchanges.", [...this.orderFlowOpen].map(([cluster, open]) => `bitactor_cluster_order_flow_open{cluster="${cluster}"} ${open ? 1 : 0}`));
    metric(METRIC.leader, "gauge", "1 on the replica that holds the Lease and reconciles.", [`${METRIC.leader} ${this.leader ? 1 : 0}`]);
    // Only under `node --expose-gc` (the operator's tests; its Deployment never passes it): the heap
    // figure is then the live heap after a full collection, not garbage awaiting one.
    (globalThis as { gc?: () => void }).gc?.();
    const mem = process.memoryUsage();
    metric("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", [`process_resident_memory_bytes ${mem.rss}`]);
    metric("nodejs_heap_used_bytes", "gauge", "V8 heap in use, in bytes.", [`nodejs_heap_used_bytes ${mem.heapUsed}`]);
    return `${lines.join("\n")}\n`;
  }
}
