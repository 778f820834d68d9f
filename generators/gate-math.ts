import type { Component } from "./inputs/types.ts";

/**
 * Smallest sample count per judged window. With n observations the share under budget has a
 * binomial standard error of sqrt(q(1-q)/n); requiring n ≥ 100/(1-q) puts at least 100 expected
 * observations in the allowed tail (10,000 for q = 0.99, standard error ≈ 0.1 percentage point).
 */
export function minimumSamples(quantile: number): number {
  return Math.ceil(100 / (1 - quantile) - 1e-9);
}

/** Seconds from the start of the pre-promotion analysis to its last judged window's end. */
export function prePromotionJudgedSeconds(c: Component): number {
  const p = c.prePromotion;
  return p.warmupSeconds + p.measurements * p.intervalSeconds;
}

/**
 * Observations per second that just meet the post-promotion sample floor: the rate below which
 * a window of production traffic is too thin to judge (the p99 alert's floor, the tests' unit).
 */
export function postPromotionFloorRate(c: Component): number {
  return c.postPromotion.minSamplesPerMeasurement / c.postPromotion.intervalSeconds;
}

/** Seconds the post-promotion analysis takes. */
export function postPromotionSeconds(c: Component): number {
  return c.postPromotion.measurements * c.postPromotion.intervalSeconds;
}
