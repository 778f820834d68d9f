import { Construct } from "constructs";
import { AnalysisTemplate } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/AnalysisTemplate";
import { AnalysisRun } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/AnalysisRun";
import type { IMetric } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Metric";
import type { Catalog, Component, RegionSettings } from "../inputs/types.ts";
import { GateQueries } from "../promql.ts";
import { loadJobSpec } from "../load-job.ts";
import { emit } from "../argo.ts";
import { names } from "../naming.ts";

/** Argument names the Rollout passes (`valueFrom.podTemplateHashValue: Latest`). */
export const GATE_ARGS = { previewHash: "preview-hash", activeHash: "active-hash" } as const;

export interface LatencyGateProps {
  readonly catalog: Catalog;
  readonly componentId: string;
  readonly component: Component;
  readonly region: RegionSettings;
  readonly namespace: string;
  /** Preview Service name; the load Job targets it. */
  readonly previewService: string;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * Conditions that hold only for a one-element, finite result meeting the threshold; everything
 * else (empty vector, several series, NaN, ±Inf) is a failure, never an error to retry and never a pass.
 * Argo evaluates both (utils/evaluate): success true → Successful; failure true → Failed.
 */
export function atLeast(threshold: number): { successCondition: string; failureCondition: string } {
  return {
    successCondition: `len(result) == 1 && !isNaN(result[0]) && !isInf(result[0]) && result[0] >= ${threshold}`,
    failureCondition: `len(result) != 1 || isNaN(result[0]) || isInf(result[0]) || result[0] < ${threshold}`,
  };
}

/**
 * Limits that make one bad window decisive: `failureLimit: 0` (one failed window fails the run),
 * `inconclusiveLimit: 0` (an inconclusive window is not waited out), and a query error is retried
 * at most twice before the run errors. Argo aborts the Rollout on Failed, Error and Inconclusive
 * runs of pre- and post-promotion analysis alike; errors never count toward `count`.
 */
const decisive = { failureLimit: 0, inconclusiveLimit: 0, consecutiveErrorLimit: 2 } as const;

/**
 * The pre- and post-promotion AnalysisTemplates of one component: "p99 ≤ budget" judged exactly as
 * the share of observations in the bucket `le = budget`, several windows in a row, on the pods of
 * one ReplicaSet only.
 */
export class LatencyGate extends Construct {
  constructor(scope: Construct, id: string, props: LatencyGateProps) {
    super(scope, id);
    const { catalog, component: c, componentId, region } = props;
    const q = catalog.quantile;
    // p99 for 0.99, p999 for 0.999: the operator reads the quantile in the metric's name.
    const p = `p${String(Math.round(q * 1000) / 10).replace(".", "")}`;
    const prometheus = (query: string) => ({
      prometheus: {
        address: region.prometheus.address,
        // A slow Prometheus is an error (retried, then the run errors), never a pass.
        timeout: region.prometheus.timeoutSeconds,
        ...(region.prometheus.authentication ? { authentication: region.prometheus.authentication } : {}),
        query,
      },
    });
    /**
     * The three Prometheus metrics of one gate, named for the dashboard: `<who>-samples-min-N`
     * (enough observations per window), `<who>-p99-le-<budget>ns` (the exact share: decides) and
     * `<who>-p99-ns-dashboard` (interpolated quantile: dry run, shown, never decides).
     */
    const judged = (who: string, hashArg: string | undefined, gate: { intervalSeconds: number; measurements: number; minSamplesPerMeasurement: number }, initialDelaySeconds: number) => {
      const queries = new GateQueries(catalog, c, { namespace: props.namespace, ...(hashArg ? { podTemplateHash: `{{args.${hashArg}}}` } : {}) }, gate.intervalSeconds);
      const timing = { initialDelay: `${initialDelaySeconds}s`, interval: `${gate.intervalSeconds}s`, count: gate.measurements, ...decisive };
      const dashboard = `${who}-${p}-ns-dashboard`;
      const metrics: IMetric[] = [
        { name: `${who}-samples-min-${gate.minSamplesPerMeasurement}`, ...timing, ...atLeast(gate.minSamplesPerMeasurement), provider: prometheus(queries.sampleCount()) },
        { name: `${who}-${p}-le-${c.budgetNs}ns`, ...timing, ...atLeast(q), provider: prometheus(queries.shareWithinBudget(gate.minSamplesPerMeasurement)) },
        { name: dashboard, ...timing, successCondition: `len(result) == 1 && result[0] <= ${c.budgetNs}`, provider: prometheus(queries.quantileNs()) },
      ];
      return { metrics, dryRun: [{ metricName: dashboard }] };
    };

    // Pre-promotion: load the preview stack; judge only the preview pods, after the warm-up.
    const pre = c.prePromotion;
    const preGate = judged("preview", GATE_ARGS.previewHash, pre, pre.warmupSeconds + pre.intervalSeconds);
    const load: IMetric = {
      name: `load-open-loop-${pre.ratePerSecond}rps`,
      ...decisive,
      provider: { job: { metadata: { labels: props.labels }, spec: loadJobSpec({ catalog, componentId, component: c, previewHost: `${props.previewService}.${props.namespace}.svc.cluster.local` }) } },
    };
    emit(this, "pre", new AnalysisTemplate({
      metadata: { name: names.prePromotionTemplate(componentId), labels: props.labels },
      spec: { args: [{ name: GATE_ARGS.previewHash }], dryRun: preGate.dryRun, metrics: [load, ...preGate.metrics] },
    }));

    // First release: Argo Rollouts never analyses the first rollout of a Rollout (there is no
    // stable ReplicaSet yet, so it promotes at once: rollout/bluegreen.go). This AnalysisRun is an
    // ordinary object of the component's folder: Argo CD creates it with the Rollout on the stage's
    // first sync, it runs the pre-promotion gate once (the same load through the preview Service,
    // which selects the first ReplicaSet, and the same windows) on the component's pods, and its
    // phase is the Application's health: Running → Progressing, Successful → Healthy, Failed or
    // Error → Degraded (Argo CD's health check for AnalysisRun). It never runs again: its spec does
    // not change, so later syncs leave it alone, and later releases are judged by the Rollout.
    // No sync wave or hook: either would make every sync wait for the Rollout's health, so a
    // release waiting for promotion would hold the next commit (a revert) back.
    const firstGate = judged("first-release", undefined, pre, pre.warmupSeconds + pre.intervalSeconds);
    emit(this, "first", new AnalysisRun({
      metadata: { name: names.firstReleaseRun(componentId), labels: props.labels },
      spec: { dryRun: firstGate.dryRun, metrics: [load, ...firstGate.metrics] },
    }));

    // Post-promotion: the new active pods under production traffic, from the first full window.
    const post = c.postPromotion;
    const postGate = judged("active", GATE_ARGS.activeHash, post, post.intervalSeconds);
    emit(this, "post", new AnalysisTemplate({
      metadata: { name: names.postPromotionTemplate(componentId), labels: props.labels },
      spec: { args: [{ name: GATE_ARGS.activeHash }], dryRun: postGate.dryRun, metrics: postGate.metrics },
    }));
  }
}
