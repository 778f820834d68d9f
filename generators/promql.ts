import { leRegex } from "./le.ts";
import type { Catalog, Component } from "./inputs/types.ts";

/** Which pods a query judges: a namespace plus one ReplicaSet's pod-template hash. */
export interface PodScope {
  readonly namespace: string;
  /**
   * The hash, usually an Argo Rollouts argument placeholder such as `{{args.preview-hash}}`.
   * Absent: every pod of the component in the namespace (a first release, which has one ReplicaSet).
   */
  readonly podTemplateHash?: string;
  /**
   * Only pods in this Argo Rollouts role (`active`: the ones taking production traffic, via the
   * catalog's roleLabel). Absent: every role.
   */
  readonly role?: "active" | "preview";
}

/**
 * The gate's PromQL. Each query returns a one-element vector when there is enough data and an
 * empty vector otherwise; the conditions in `latency-gate.ts` treat empty and NaN as failure.
 * Counts use `increase` over exactly one judged window, so successive measurements do not overlap.
 */
export class GateQueries {
  private readonly selector: string;

  constructor(
    private readonly catalog: Catalog,
    private readonly component: Component,
    scope: PodScope,
    private readonly windowSeconds: number,
  ) {
    this.selector = [
      `${catalog.namespaceLabel}="${scope.namespace}"`,
      ...(scope.podTemplateHash === undefined ? [] : [`${catalog.podTemplateHashLabel}="${scope.podTemplateHash}"`]),
      ...(scope.role === undefined ? [] : [`${catalog.roleLabel}="${scope.role}"`]),
    ].join(", ");
  }

  private increase(series: string, extra = ""): string {
    return `sum(increase(${this.component.metric.name}_${series}{${this.selector}${extra}}[${this.windowSeconds}s]))`;
  }

  /** Observations in the window. */
  sampleCount(): string {
    return this.increase("count");
  }

  /**
   * Share of observations ≤ budget, only when the window holds at least `minSamples`
   * (otherwise empty). The `le` regex matches every spelling of the budget bound.
   */
  shareWithinBudget(minSamples: number): string {
    // Raw string (backticks): the regex's backslashes need no PromQL escaping.
    const le = `, le=~\`${leRegex(this.component.budgetNs)}\``;
    return `(\n  ${this.increase("bucket", le)}\n  /\n  ${this.sampleCount()}\n)\nand on()\n(${this.sampleCount()} >= ${minSamples})`;
  }

  /** Interpolated p99 in nanoseconds, for dashboards only (histogram_quantile interpolates). */
  quantileNs(): string {
    return `histogram_quantile(${this.catalog.quantile}, sum by (le) (increase(${this.component.metric.name}_bucket{${this.selector}}[${this.windowSeconds}s]))) * 1e9`;
  }
}
