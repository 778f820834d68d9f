import type { Located } from "../../lib/objects.ts";
import { postPromotionFloorRate } from "../../generators/gate-math.ts";
import type { Component } from "../../generators/inputs/types.ts";
import type { FixtureBehaviour } from "./fixture.ts";
import type { Latency } from "./latency.ts";

/**
 * What npm run e2e proves: each row is run on its own fresh cluster, against the rendered
 * manifests of one production region, with the real Argo Rollouts controller deciding. The budget
 * is the component's (1 µs for the order engine, design brief "Latency budgets"); latencies below
 * are stated relative to it so the table holds for any component.
 */

/** What the release ends as, seen from the active Service and the Rollout. */
export type Decision = "promoted" | "aborted" | "rolled back" | "undecided";

export interface AnalysisExpectation {
  readonly phase: "Successful" | "Failed" | "Error" | "Inconclusive";
  /** The AnalysisRun's own status.message must match (Argo writes it; Successful runs have none). */
  readonly message: RegExp;
}

export interface Scenario {
  readonly id: string;
  /** The row as the issue words it. */
  readonly title: string;
  /** What the table prints as expected. */
  readonly expectedText: string;
  /** Decisions that satisfy the expectation. */
  readonly accept: readonly Decision[];
  /** How the fixture behaves, from the component's data (budget, load rate, sample floors). */
  readonly behaviour: (c: Component) => Partial<FixtureBehaviour>;
  /** Stop Prometheus once the pre-promotion analysis has taken its first measurement. */
  readonly prometheusOutage?: boolean;
  readonly prePromotion: AnalysisExpectation;
  readonly postPromotion?: AnalysisExpectation;
  /**
   * Control scenarios only: a deliberate change to the rendered objects, to show the e2e sees what
   * an unsafe template would let through. Returns the changed objects and what was changed.
   */
  readonly mutate?: (objects: readonly Located[]) => { objects: Located[]; changed: string[] };
}

interface PromMetric {
  name: string;
  provider: { prometheus?: { query: string } };
  successCondition?: string;
  failureCondition?: string;
}

/**
 * The gate as it is often written, and as the design brief warns against: one p99 metric whose query
 * has no sample floor and whose only condition is a failureCondition. With no samples the ratio is
 * NaN, `NaN < 0.99` is false, and a metric that did not fail is Successful.
 */
export function naiveGate(objects: readonly Located[]): { objects: Located[]; changed: string[] } {
  const changed: string[] = [];
  const out = objects.map(({ file, object }) => {
    const copy = structuredClone(object);
    const spec = copy.spec as { metrics?: PromMetric[]; dryRun?: unknown };
    if (copy.kind !== "AnalysisTemplate" || !copy.metadata.name?.endsWith("-pre-promotion")) return { file, object: copy };
    const p99 = spec.metrics!.find((m) => m.provider.prometheus && /-p99-le-/.test(m.name))!;
    // Keep only the ratio: drop the "and on() (samples >= floor)" guard.
    p99.provider.prometheus!.query = p99.provider.prometheus!.query.split(/\n\s*and on\(\)/)[0]!;
    delete p99.successCondition;
    p99.failureCondition = "result[0] < 0.99";
    spec.metrics = spec.metrics!.filter((m) => !m.provider.prometheus || m === p99);
    delete spec.dryRun;
    changed.push(`${file}: only ${p99.name} and the load Job remain; its query has no sample floor; its only condition is failureCondition "result[0] < 0.99"`);
    return { file, object: copy };
  });
  return { objects: out, changed };
}

/** A release that may never be promoted may never be selected by the active Service, not even for an instant. */
export const mustNeverBeActive = (s: Scenario): boolean => !s.accept.includes("promoted") && !s.accept.includes("rolled back");

/** Log-normal latency with a 40 %-of-budget median and one pinned point (see latency.ts). */
export const latency = (budgetNs: number, pinNs: number, quantile = 0.99): Latency => ({ medianNs: budgetNs * 0.4, pin: { ns: pinNs, quantile } });
export const healthy = (budgetNs: number) => latency(budgetNs, budgetNs * 0.7);
export const regressed = (budgetNs: number) => latency(budgetNs, budgetNs * 1.3);

/**
 * Production traffic on the active pods, as a multiple of the post-promotion sample floor's rate
 * (engine/catalog.yaml): trading hours, far above the floor (20 000/s for the order engine).
 */
export const PRODUCTION_FLOOR_MULTIPLE = 24;
export const productionRate = (c: Component): number => PRODUCTION_FLOOR_MULTIPLE * postPromotionFloorRate(c);

/** Share of the load that must arrive for half the pre-promotion sample floor per window: clearly too few. */
export const halfTheFloor = (c: Component): number =>
  c.prePromotion.minSamplesPerMeasurement / 2 / (c.prePromotion.ratePerSecond * c.prePromotion.intervalSeconds);

export const defaultBehaviour = (c: Component): Omit<FixtureBehaviour, "releaseImage"> => ({
  stable: healthy(c.budgetNs),
  releasePreview: healthy(c.budgetNs),
  releaseActive: healthy(c.budgetNs),
  productionRatePerSecond: productionRate(c),
  loadReach: 1,
  le: "go",
});

const SUCCESSFUL: AnalysisExpectation = { phase: "Successful", message: /^$/ };
const failed = (metric: RegExp): AnalysisExpectation => ({
  phase: "Failed",
  message: new RegExp(`^Metric "${metric.source}" assessed Failed due to failed \\(1\\) > failureLimit \\(0\\)$`),
});
const PREVIEW_P99 = failed(/preview-p99-le-\d+ns/);
const PREVIEW_TOO_FEW = failed(/preview-(samples-min-\d+|p99-le-\d+ns)/);

export const SCENARIOS: readonly Scenario[] = [
  {
    id: "healthy",
    title: "healthy: p99 ≈ 0.7 × budget",
    expectedText: "promoted",
    accept: ["promoted"],
    behaviour: () => ({}),
    prePromotion: SUCCESSFUL,
  },
  {
    id: "regressed",
    title: "regressed: p99 ≈ 1.3 × budget",
    expectedText: "aborted, active never leaves the old hash",
    accept: ["aborted"],
    behaviour: ({ budgetNs: b }) => ({ releasePreview: regressed(b), releaseActive: regressed(b) }),
    prePromotion: PREVIEW_P99,
  },
  {
    id: "borderline",
    title: "borderline: 98.9 % of samples ≤ budget",
    expectedText: "aborted",
    accept: ["aborted"],
    behaviour: ({ budgetNs: b }) => ({ releasePreview: latency(b, b, 0.989), releaseActive: latency(b, b, 0.989) }),
    prePromotion: PREVIEW_P99,
  },
  {
    id: "no-traffic",
    title: "preview receives no traffic",
    expectedText: "never promoted",
    accept: ["aborted", "undecided"],
    behaviour: () => ({ loadReach: 0 }),
    prePromotion: PREVIEW_TOO_FEW,
  },
  {
    id: "too-few-samples",
    title: "preview has too few samples",
    expectedText: "never promoted",
    accept: ["aborted", "undecided"],
    // Half the floor arrives per window (order engine: 4.2 % of 200 000/s, 250 000 per 30 s against 500 000).
    behaviour: (c) => ({ loadReach: halfTheFloor(c) }),
    prePromotion: PREVIEW_TOO_FEW,
  },
  {
    id: "prometheus-down",
    title: "Prometheus stopped during analysis",
    expectedText: "never promoted",
    accept: ["aborted", "undecided"],
    behaviour: () => ({}),
    prometheusOutage: true,
    prePromotion: {
      phase: "Error",
      message: /^Metric "preview-[a-z0-9-]+" assessed Error due to consecutiveErrors \(3\) > consecutiveErrorLimit \(2\): "Error Message: .*connection refused"$/,
    },
  },
  {
    id: "post-promotion-regression",
    title: "healthy before promotion, regressed after",
    expectedText: "rolled back to the old hash",
    accept: ["rolled back"],
    behaviour: ({ budgetNs: b }) => ({ releaseActive: regressed(b) }),
    prePromotion: SUCCESSFUL,
    postPromotion: failed(/active-p99-le-\d+ns/),
  },
  {
    id: "le-javascript-healthy",
    title: "le spelled 0.000001 (JavaScript), healthy",
    expectedText: "promoted (same as healthy)",
    accept: ["promoted"],
    behaviour: () => ({ le: "javascript" }),
    prePromotion: SUCCESSFUL,
  },
  {
    id: "le-javascript-regressed",
    title: "le spelled 0.000001 (JavaScript), regressed",
    expectedText: "aborted (same as regressed)",
    accept: ["aborted"],
    behaviour: ({ budgetNs: b }) => ({ le: "javascript", releasePreview: regressed(b), releaseActive: regressed(b) }),
    prePromotion: PREVIEW_P99,
  },
  {
    // Not a property of our templates: proof that the e2e can see a bad promotion. The same
    // "no traffic" release is promoted once the gate is written the naive way.
    id: "control-naive-gate",
    title: "control: naive gate (failure-only condition, no sample floor), preview receives no traffic",
    expectedText: "promoted: the trap is real and the e2e sees it",
    accept: ["promoted"],
    behaviour: () => ({ loadReach: 0 }),
    mutate: naiveGate,
    prePromotion: SUCCESSFUL,
  },
];
