/** What the policy rules (policy.ts, policy-nodes.ts) read: rendered objects, their pod templates, selectors. */
import { podTemplatesOf } from "../generators/nodes/fit.ts";

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

/** Kinds whose pods run for good (the rest run to completion: Jobs, CronJobs' Jobs, analysis Jobs). */
const RUNS_FOR_GOOD = new Set(["Rollout", "Deployment", "StatefulSet", "ReplicaSet", "DaemonSet"]);
/** Kinds with replicas (a DaemonSet has one pod per node: no budget, spread or anti-affinity rule applies). */
const WITH_REPLICAS = new Set(["Rollout", "Deployment", "StatefulSet", "ReplicaSet"]);

/**
 * Kinds whose pods an operator writes, not us (prometheus-operator's Prometheus): the fit check counts
 * their pods, but the pod rules judge templates we write; the `operator-pod` rule judges what we set.
 */
export const OPERATOR_MADE = new Set(["Prometheus"]);

/** Every pod template we write in an object (the fit check's walk over kinds, podTemplatesOf), with what the policy rules need. */
export function podTemplates(o: PolicyObject["object"]): PodTemplate[] {
  if (OPERATOR_MADE.has(o.kind)) return [];
  return podTemplatesOf(o).map((t) => ({
    at: t.at,
    labels: { ...t.labels },
    annotations: { ...t.annotations },
    spec: t.spec,
    longRunning: RUNS_FOR_GOOD.has(o.kind),
    ...(WITH_REPLICAS.has(o.kind) ? { replicas: Number((o.spec as Json | undefined)?.replicas ?? 1) } : {}),
  }));
}

/** Whether labels satisfy a selector's matchLabels (matchExpressions are not used by our objects: never matched). */
export const matches = (labels: Record<string, string>, selector: unknown): boolean => {
  if (!isObject(selector)) return false;
  if (Array.isArray(selector.matchExpressions) && selector.matchExpressions.length > 0) return false; // not used by our policies: not matched
  return Object.entries((selector.matchLabels ?? {}) as Record<string, string>).every(([k, v]) => labels[k] === v);
};
