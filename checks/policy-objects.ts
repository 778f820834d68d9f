/** What the policy rules (policy.ts, policy-nodes.ts) read: rendered objects, their pod templates, selectors. */

export interface PolicyObject {
  readonly path: string;
  readonly object: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: unknown };
}

export interface Violation {
  readonly path: string;
  /** `Kind namespace/name`. */
  readonly object: string;
  /** JSON pointer of the offending field. */
  readonly field: string;
  readonly rule: string;
  readonly message: string;
}

/** `Kind namespace/name`, or `Kind name` for a cluster-scoped object: how a violation names its object. */
export const describeObject = (o: PolicyObject["object"]): string => `${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}`.replace(" /", " ");

/** Each namespace that has pods, with the first object (in file order) that runs them there. */
export function namespacesWithPods(objects: readonly PolicyObject[]): Map<string, PolicyObject> {
  const out = new Map<string, PolicyObject>();
  for (const o of objects) {
    const ns = o.object.metadata.namespace;
    if (ns && !out.has(ns) && podTemplates(o.object).length > 0) out.set(ns, o);
  }
  return out;
}

export type Json = Record<string, unknown>;
export const isObject = (x: unknown): x is Json => typeof x === "object" && x !== null && !Array.isArray(x);

/** A pod template inside an object, with where it is and whether it runs for good. */
export interface PodTemplate {
  readonly at: string;
  /** The workload's replicas (undefined for Jobs). */
  readonly replicas?: number;
  readonly labels: Record<string, string>;
  readonly annotations?: Record<string, string>;
  readonly spec: Json;
  readonly longRunning: boolean;
}

export function podTemplates(o: PolicyObject["object"]): PodTemplate[] {
  const spec = o.spec as Json | undefined;
  const t = spec?.template as Json | undefined;
  if (o.kind === "DaemonSet" && isObject(t)) {
    // One pod per node: no replicas, so no budget, spread or anti-affinity rule applies.
    const meta = (t.metadata ?? {}) as Json;
    return [{ at: "/spec/template", labels: (meta.labels ?? {}) as Record<string, string>, annotations: (meta.annotations ?? {}) as Record<string, string>, spec: t.spec as Json, longRunning: true }];
  }
  if ((o.kind === "Rollout" || o.kind === "Deployment") && isObject(t)) {
    const meta = (t.metadata ?? {}) as Json;
    return [{ at: "/spec/template", replicas: Number(spec!.replicas ?? 1), labels: (meta.labels ?? {}) as Record<string, string>, annotations: (meta.annotations ?? {}) as Record<string, string>, spec: t.spec as Json, longRunning: true }];
  }
  // A Job's pods, and those of the Jobs a CronJob starts (the restore drill, the chaos session).
  const job = o.kind === "CronJob" ? ((spec?.jobTemplate as Json | undefined)?.spec as Json | undefined) : o.kind === "Job" ? spec : undefined;
  const jt = job?.template as Json | undefined;
  if (isObject(jt)) {
    const meta = (jt.metadata ?? {}) as Json;
    return [{ at: `${o.kind === "CronJob" ? "/spec/jobTemplate/spec" : "/spec"}/template`, labels: (meta.labels ?? {}) as Record<string, string>, annotations: (meta.annotations ?? {}) as Record<string, string>, spec: jt.spec as Json, longRunning: false }];
  }
  if ((o.kind === "AnalysisTemplate" || o.kind === "AnalysisRun") && Array.isArray(spec?.metrics)) {
    return (spec!.metrics as Json[]).flatMap((m, i) => {
      const job = (m.provider as Json | undefined)?.job as Json | undefined;
      const jt = (job?.spec as Json | undefined)?.template as Json | undefined;
      return isObject(jt) ? [{ at: `/spec/metrics/${i}/provider/job/spec/template`, labels: ((jt.metadata as Json)?.labels ?? {}) as Record<string, string>, spec: jt.spec as Json, longRunning: false }] : [];
    });
  }
  return [];
}

/** Whether labels satisfy a selector's matchLabels (matchExpressions are not used by our objects: never matched). */
export const matches = (labels: Record<string, string>, selector: unknown): boolean => {
  if (!isObject(selector)) return false;
  if (Array.isArray(selector.matchExpressions) && selector.matchExpressions.length > 0) return false; // not used by our policies: not matched
  return Object.entries((selector.matchLabels ?? {}) as Record<string, string>).every(([k, v]) => labels[k] === v);
};
