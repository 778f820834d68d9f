import { leRegex } from "./le.ts";
import type { Catalog, Component } from "./inputs/types.ts";
import { durationSeconds } from "./inputs/semantics.ts";

/**
 * PromQL of one component's recording rules, alerts and dashboards (not the gate's: `promql.ts`).
 * Names follow Prometheus' recording-rule convention `level:metric:operations`; every recorded series
 * carries `component` (a rule label), `namespace` (the stage) and, where it is per role, the role.
 */
export const RECORD = {
  /** Bucket rates with `le` rewritten to whole nanoseconds: one spelling, and a heatmap in ns. */
  bucketNs: "bitactor:latency_ns_bucket:rate1m",
  /** Interpolated p99 in ns from `bucketNs` (dashboards only: the gate and alerts use exact shares). */
  p99Ns: "bitactor:latency_p99_ns:rate1m",
  /** Share of observations at or under the budget (exact: the bucket le = budget). */
  withinBudget: (window: string) => `bitactor:latency_within_budget:ratio_rate${window}`,
  /** Observations per second. */
  observations: (window: string) => `bitactor:latency_observations:rate${window}`,
  events: "bitactor:events:rate1m",
  errors: "bitactor:errors:rate1m",
  /** SLO error ratios of the active pods: 1 − share under budget, and errors / events. */
  latencySloErrors: (window: string) => `bitactor:slo_latency_errors:ratio_rate${window}`,
  availabilitySloErrors: (window: string) => `bitactor:slo_availability_errors:ratio_rate${window}`,
} as const;

/** `60` → `1m`, `90` → `90s`, `3600` → `1h`: Prometheus duration text, the largest exact unit. */
export function durationText(seconds: number): string {
  if (seconds === 0) return "0s";
  for (const [unit, s] of [["d", 86400], ["h", 3600], ["m", 60]] as const) {
    if (seconds % s === 0) return `${seconds / s}${unit}`;
  }
  return `${seconds}s`;
}

/** Every window the SLO rules record, sorted by length. */
export function sloWindows(catalog: Catalog): string[] {
  const all = new Set(catalog.slo.burnRateAlerts.flatMap((a) => [a.longWindow, a.shortWindow]));
  return [...all].sort((a, b) => durationSeconds(a) - durationSeconds(b));
}

export class ComponentQueries {
  /** Selects the component's series in one stage. */
  readonly scope: string;
  /** Same, active pods only (Argo Rollouts' activeMetadata label, copied by the PodMonitor). */
  readonly active: string;
  /** Labels a per-role aggregation keeps. */
  private readonly byRole: string;
  readonly budgetLe: string;

  constructor(
    private readonly catalog: Catalog,
    readonly componentId: string,
    private readonly component: Component,
    readonly namespace: string,
  ) {
    this.scope = `${catalog.namespaceLabel}="${namespace}"`;
    this.active = `${this.scope}, ${catalog.roleLabel}="active"`;
    this.byRole = `${catalog.namespaceLabel}, ${catalog.roleLabel}`;
    // Raw string (backticks): the regex's backslashes need no PromQL escaping.
    this.budgetLe = `le=~\`${leRegex(component.budgetNs)}\``;
  }

  private get h(): string {
    return this.component.metric.name;
  }

  /** Selector of a recorded series of this component in this stage. */
  recorded(name: string, extra = ""): string {
    return `${name}{component="${this.componentId}", ${this.scope}${extra ? ", " + extra : ""}}`;
  }

  /**
   * Bucket rates per role and ReplicaSet with `le` in nanoseconds. Each catalog bound's every
   * spelling (Go 1e-06, JavaScript 0.000001, Java 1.0E-6 ...) becomes one integer, so pods of
   * different client libraries add up, and the heatmap reads nanoseconds. `+Inf` stays.
   */
  bucketsNs(): string {
    let expr = `rate(${this.h}_bucket{${this.scope}}[1m])`;
    for (const ns of this.component.metric.bucketsNs) {
      expr = `label_replace(${expr}, "le", "${ns}", "le", \`${leRegex(ns)}\`)`;
    }
    return `sum by (${this.byRole}, ${this.catalog.podTemplateHashLabel}, le) (\n  ${expr}\n)`;
  }

  p99Ns(): string {
    return `histogram_quantile(${this.catalog.quantile}, ${this.recorded(RECORD.bucketNs)})`;
  }

  withinBudget(window: string): string {
    return `sum by (${this.byRole}) (rate(${this.h}_bucket{${this.scope}, ${this.budgetLe}}[${window}]))\n/\nsum by (${this.byRole}) (rate(${this.h}_count{${this.scope}}[${window}]))`;
  }

  observations(window: string): string {
    return `sum by (${this.byRole}) (rate(${this.h}_count{${this.scope}}[${window}]))`;
  }

  events(): string {
    return `sum by (${this.byRole}, ${this.catalog.venueLabel}) (rate(${this.component.counters.events}{${this.scope}}[1m]))`;
  }

  errors(): string {
    return `sum by (${this.byRole}) (rate(${this.component.counters.errors}{${this.scope}}[1m]))`;
  }

  latencySloErrors(window: string): string {
    const ns = this.catalog.namespaceLabel;
    return `1 - (\n  sum by (${ns}) (rate(${this.h}_bucket{${this.active}, ${this.budgetLe}}[${window}]))\n  /\n  sum by (${ns}) (rate(${this.h}_count{${this.active}}[${window}]))\n)`;
  }

  availabilitySloErrors(window: string): string {
    const ns = this.catalog.namespaceLabel;
    return `sum by (${ns}) (rate(${this.component.counters.errors}{${this.active}}[${window}]))\n/\nsum by (${ns}) (rate(${this.component.counters.events}{${this.active}}[${window}]))`;
  }
}
