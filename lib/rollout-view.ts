import type { KubeObject } from "./objects.ts";

/**
 * Argo Rollouts' objects seen as the core kinds scanners know: scanners that pick workloads by kind
 * (Trivy, kube-score) know nothing of Argo's. Shown these views, they check the engine's own pods
 * and the analysis load pods instead of skipping them. Fields the objects leave out stay out.
 */

export const isRollout = (o: { apiVersion?: unknown; kind?: unknown } | null | undefined): boolean =>
  o?.kind === "Rollout" && typeof o.apiVersion === "string" && o.apiVersion.startsWith("argoproj.io/");

/** A Rollout as the apps/v1 Deployment it stands for: the same metadata, replicas, selector and pod template, and no strategy (blue/green is not a Deployment's). */
export function rolloutAsDeployment(rollout: KubeObject): KubeObject {
  const spec = (rollout.spec ?? {}) as { replicas?: unknown; selector?: unknown; template?: unknown };
  return { apiVersion: "apps/v1", kind: "Deployment", metadata: rollout.metadata, spec: { replicas: spec.replicas, selector: spec.selector, template: spec.template } };
}

/** An Argo Rollouts analysis, template or run: its job metrics create Jobs. */
export const isAnalysis = (o: { apiVersion?: unknown; kind?: unknown } | null | undefined): boolean =>
  (o?.kind === "AnalysisTemplate" || o?.kind === "AnalysisRun") && typeof o.apiVersion === "string" && o.apiVersion.startsWith("argoproj.io/");

/**
 * The batch/v1 Jobs an analysis creates, one per job metric: the metric's job metadata and spec (the
 * pod template as written) in the analysis's namespace. Argo Rollouts names them
 * `<run uid>.<metric>.<attempt>`; the view is named `<analysis>.<metric>`.
 */
export function analysisJobs(analysis: KubeObject): { readonly metric: string; readonly job: KubeObject }[] {
  const metrics = ((analysis.spec ?? {}) as { metrics?: unknown }).metrics;
  if (!Array.isArray(metrics)) return [];
  return metrics.flatMap((m: { name?: string; provider?: { job?: { metadata?: { labels?: unknown; annotations?: unknown }; spec?: unknown } } }) => {
    const job = m.provider?.job;
    if (!job) return [];
    const metadata = { name: `${analysis.metadata.name}.${m.name}`, namespace: analysis.metadata.namespace, ...(job.metadata?.labels ? { labels: job.metadata.labels } : {}), ...(job.metadata?.annotations ? { annotations: job.metadata.annotations } : {}) };
    return [{ metric: String(m.name), job: { apiVersion: "batch/v1", kind: "Job", metadata, spec: job.spec } }];
  });
}
