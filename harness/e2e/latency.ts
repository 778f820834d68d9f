import { goSpelling, jsSpelling } from "../../generators/le.ts";

/**
 * The latency an engine pod shows in the e2e: a log-normal distribution (service times of a busy
 * matching loop are right-skewed; log-normal is the usual first model) fixed by its median and one
 * pinned quantile, e.g. "p99 = 700 ns" or "98.9 % of samples ≤ 1000 ns".
 */
export interface Latency {
  /** Median latency in nanoseconds. */
  readonly medianNs: number;
  /** The distribution passes through this point: `quantile` of samples are ≤ `ns`. */
  readonly pin: { readonly ns: number; readonly quantile: number };
}

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 erf, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** Inverse of normalCdf by bisection: exact to the precision of normalCdf, and obviously monotone. */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`quantile must be in (0, 1), got ${p}`);
  let lo = -10;
  let hi = 10;
  for (let i = 0; i < 80; i++) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

function sigma(l: Latency): number {
  const z = normalQuantile(l.pin.quantile);
  const s = Math.log(l.pin.ns / l.medianNs) / z;
  if (!(s > 0)) throw new Error(`latency pin ${l.pin.ns} ns at q=${l.pin.quantile} must lie above the median ${l.medianNs} ns`);
  return s;
}

/** Share of samples ≤ `ns`. */
export function shareAtMost(l: Latency, ns: number): number {
  return normalCdf(Math.log(ns / l.medianNs) / sigma(l));
}

/** The latency below which share `q` of samples fall. */
export function quantileNs(l: Latency, q: number): number {
  return l.medianNs * Math.exp(sigma(l) * normalQuantile(q));
}

/** Mean latency in nanoseconds (for the histogram's _sum). */
export function meanNs(l: Latency): number {
  return l.medianNs * Math.exp(sigma(l) ** 2 / 2);
}

/** How a client library writes `le`: Go's client_golang `1e-06`, JavaScript's prom-client `0.000001`. */
export type LeSpelling = "go" | "javascript";

export function leText(seconds: number, spelling: LeSpelling): string {
  return spelling === "go" ? goSpelling(seconds) : jsSpelling(seconds);
}

/**
 * A cumulative histogram that only ever grows, as a client library's does: each observation batch
 * adds `count × share(≤ bound)` to every bucket, so buckets stay monotone even when the latency
 * distribution changes between batches (a preview pod that starts taking production traffic).
 */
export class Histogram {
  private readonly buckets: number[];
  private total = 0;
  private sumSeconds = 0;

  constructor(readonly boundsNs: readonly number[]) {
    this.buckets = boundsNs.map(() => 0);
  }

  observe(count: number, latency: Latency): void {
    if (count <= 0) return;
    this.boundsNs.forEach((b, i) => (this.buckets[i]! += count * shareAtMost(latency, b)));
    this.total += count;
    this.sumSeconds += (count * meanNs(latency)) / 1e9;
  }

  /** Prometheus text exposition; counts are whole observations (floored), as a real client reports. */
  exposition(metric: string, spelling: LeSpelling): string {
    const lines = [`# HELP ${metric} Latency of the component's critical path (e2e fixture).`, `# TYPE ${metric} histogram`];
    this.boundsNs.forEach((b, i) => lines.push(`${metric}_bucket{le="${leText(b / 1e9, spelling)}"} ${Math.floor(this.buckets[i]!)}`));
    lines.push(`${metric}_bucket{le="+Inf"} ${Math.floor(this.total)}`);
    lines.push(`${metric}_sum ${this.sumSeconds}`);
    lines.push(`${metric}_count ${Math.floor(this.total)}`);
    return lines.join("\n") + "\n";
  }
}
