/**
 * Does every pod fit a node that exists? For each pod template of a stage (Rollouts, Deployments,
 * StatefulSets, DaemonSets, Jobs, CronJobs, the Jobs inside analysis templates and the pods
 * prometheus-operator makes of a Prometheus), the node types
 * it can land on (its nodeSelector and required node affinity match their labels, its tolerations
 * cover their taints) and, on each, whether its requests fit what is left after the node's
 * DaemonSets: CPU, memory, hugepages, GPUs, VFs and the pod count. A pod with no node type at all
 * is a misfit too (it would stay Pending). Pure: the render refuses a misfit with the input line
 * that chose the machine, and the policy gate checks the committed tree with the same function.
 */
import type { NodeTaint, NodeType } from "./node-types.ts";
import { millicores, quantityUnits, showQuantity } from "./quantity.ts";

type Json = Record<string, unknown>;
const isObject = (x: unknown): x is Json => typeof x === "object" && x !== null && !Array.isArray(x);

/** A pod template inside a rendered object. */
export interface PodTemplateAt {
  /** JSON pointer of the template in the object. */
  readonly at: string;
  readonly annotations: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly spec: Json;
}

/** Every pod template of an object, wherever its kind keeps it. */
export function podTemplatesOf(o: { kind: string; spec?: unknown }): PodTemplateAt[] {
  const spec = isObject(o.spec) ? o.spec : undefined;
  const at = (template: unknown, pointer: string): PodTemplateAt[] => {
    if (!isObject(template) || !isObject(template.spec)) return [];
    const meta = isObject(template.metadata) ? template.metadata : {};
    return [{ at: pointer, annotations: (meta.annotations ?? {}) as Record<string, string>, labels: (meta.labels ?? {}) as Record<string, string>, spec: template.spec }];
  };
  switch (o.kind) {
    case "Pod":
      return at({ metadata: {}, spec }, "/spec");
    case "Deployment":
    case "StatefulSet":
    case "DaemonSet":
    case "ReplicaSet":
    case "Rollout":
    case "Job":
      return at(spec?.template, "/spec/template");
    case "CronJob":
      return at(((spec?.jobTemplate as Json | undefined)?.spec as Json | undefined)?.template, "/spec/jobTemplate/spec/template");
    case "Prometheus":
      return spec ? [prometheusPod(spec)] : [];
    case "AnalysisTemplate":
    case "ClusterAnalysisTemplate":
    case "AnalysisRun":
      return (Array.isArray(spec?.metrics) ? (spec!.metrics as Json[]) : []).flatMap((m, i) =>
        at((((m.provider as Json | undefined)?.job as Json | undefined)?.spec as Json | undefined)?.template, `/spec/metrics/${i}/provider/job/spec/template`),
      );
    default:
      return [];
  }
}

/**
 * The config reloader prometheus-operator v0.94.1 runs beside every Prometheus, as a container and
 * as an init container: 10m CPU and 50Mi, requests = limits (cmd/operator/main.go defaultReloaderCPU,
 * defaultReloaderMemory; the operator's --config-reloader-* flags, which our install leaves unset).
 */
export const PROMETHEUS_CONFIG_RELOADER = { cpu: "10m", memory: "50Mi" } as const;

/**
 * The pod prometheus-operator makes of a Prometheus (its StatefulSet's template, pkg/prometheus/server/statefulset.go):
 * the prometheus container with `spec.resources`, the config reloader beside it and before it, and
 * the placement fields the operator copies (nodeSelector, affinity, tolerations).
 */
function prometheusPod(spec: Json): PodTemplateAt {
  const reloader = { requests: { ...PROMETHEUS_CONFIG_RELOADER }, limits: { ...PROMETHEUS_CONFIG_RELOADER } };
  const meta = isObject(spec.podMetadata) ? spec.podMetadata : {};
  const placement = Object.fromEntries(["nodeSelector", "affinity", "tolerations"].filter((k) => spec[k] !== undefined).map((k) => [k, spec[k]]));
  return {
    at: "/spec",
    annotations: (meta.annotations ?? {}) as Record<string, string>,
    labels: (meta.labels ?? {}) as Record<string, string>,
    spec: {
      ...placement,
      initContainers: [{ name: "init-config-reloader", resources: reloader }],
      containers: [{ name: "prometheus", resources: spec.resources ?? {} }, { name: "config-reloader", resources: reloader }],
    },
  };
}

/**
 * Resources the fit does not count: a node's disk is the cluster's setting (root volume size), not a
 * machine's published figure, so ephemeral-storage requests are judged by kube-score, not here.
 */
export const NOT_COUNTED: ReadonlySet<string> = new Set(["ephemeral-storage"]);

/** A container's requests as units (CPU in millicores); limits stand in for missing requests, as the API server defaults them. */
function containerRequests(c: Json): Record<string, bigint> {
  const res = isObject(c.resources) ? c.resources : {};
  const all = { ...((res.limits ?? {}) as Record<string, string>), ...((res.requests ?? {}) as Record<string, string>) };
  return Object.fromEntries(Object.entries(all).filter(([k]) => !NOT_COUNTED.has(k)).map(([k, v]) => [k, k === "cpu" ? millicores(v) : quantityUnits(v)]));
}

const add = (a: Record<string, bigint>, b: Record<string, bigint>) => {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0n) + v;
  return out;
};
const max = (a: Record<string, bigint>, b: Record<string, bigint>) => {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0n) > v ? out[k]! : v;
  return out;
};

/**
 * A pod's effective requests (kubernetes.io/docs/concepts/workloads/pods/init-containers, "Resource
 * sharing within containers", with sidecar init containers, restartPolicy Always, running beside the
 * app containers): the larger of the app containers plus sidecars, and of each init container plus
 * the sidecars started before it. `injected` are containers an admission webhook adds (the mesh's
 * proxy); they run beside the app containers. Every pod also takes one of the node's `pods`.
 */
export function podRequests(spec: Json, injected: readonly Record<string, bigint>[] = []): Record<string, bigint> {
  let sidecars: Record<string, bigint> = {};
  let init: Record<string, bigint> = {};
  for (const c of (spec.initContainers ?? []) as Json[]) {
    const r = containerRequests(c);
    if (c.restartPolicy === "Always") sidecars = add(sidecars, r);
    else init = max(init, add(sidecars, r));
  }
  let app = sidecars;
  for (const c of (spec.containers ?? []) as Json[]) app = add(app, containerRequests(c));
  for (const r of injected) app = add(app, r);
  return add(max(app, init), { pods: 1n });
}

/** Whether a toleration list tolerates a taint (kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration). */
export function tolerates(tolerations: readonly Json[], taint: NodeTaint): boolean {
  return tolerations.some((t) => {
    if (t.effect !== undefined && t.effect !== "" && t.effect !== taint.effect) return false;
    if (t.key === undefined || t.key === "") return t.operator === "Exists";
    if (t.key !== taint.key) return false;
    return t.operator === "Exists" || (t.value ?? "") === (taint.value ?? "");
  });
}

/** Whether one node selector requirement holds on these labels (In, NotIn, Exists, DoesNotExist, Gt, Lt). */
function requirementHolds(r: Json, labels: Readonly<Record<string, string>>): boolean {
  const v = labels[String(r.key)];
  const values = (r.values ?? []) as string[];
  switch (r.operator) {
    case "In": return v !== undefined && values.includes(v);
    case "NotIn": return v === undefined || !values.includes(v);
    case "Exists": return v !== undefined;
    case "DoesNotExist": return v === undefined;
    case "Gt": return v !== undefined && Number(v) > Number(values[0]);
    case "Lt": return v !== undefined && Number(v) < Number(values[0]);
    default: return false;
  }
}

/**
 * Whether a pod can land on nodes with these labels and taints. Zone, region and hostname keys are
 * not judged here: every node type has nodes in each of the stage's zones, and each node its own name.
 */
export function landsOn(spec: Json, node: Pick<NodeType, "labels" | "taints">, ignoredKeys: ReadonlySet<string>): boolean {
  const ignored = (key: string) => ignoredKeys.has(key);
  const selector = (spec.nodeSelector ?? {}) as Record<string, string>;
  if (!Object.entries(selector).every(([k, v]) => ignored(k) || node.labels[k] === v)) return false;
  const required = ((((spec.affinity as Json | undefined)?.nodeAffinity as Json | undefined)?.requiredDuringSchedulingIgnoredDuringExecution as Json | undefined)?.nodeSelectorTerms ?? []) as Json[];
  if (required.length > 0 && !required.some((term) => ((term.matchExpressions ?? []) as Json[]).every((r) => ignored(String(r.key)) || requirementHolds(r, node.labels)))) return false;
  const tolerations = (spec.tolerations ?? []) as Json[];
  return node.taints.filter((t) => t.effect !== "PreferNoSchedule").every((t) => tolerates(tolerations, t));
}

/** A resource a pod asks more of than a node type has left. */
export interface Shortfall {
  readonly resource: string;
  readonly asked: bigint;
  /** What the node type leaves for this pod: allocatable less its DaemonSets. */
  readonly left: bigint;
  readonly allocatable: bigint;
}

export interface Misfit {
  readonly path: string;
  readonly object: { readonly kind: string; readonly name: string; readonly namespace?: string; readonly labels: Readonly<Record<string, string>> };
  readonly at: string;
  /** The node type it does not fit; absent when it can land on no node type of the stage. */
  readonly nodeType?: NodeType;
  readonly shortfalls: readonly Shortfall[];
  /** The pod's requests (for a DaemonSet: the node type's DaemonSets together). */
  readonly asked: Readonly<Record<string, bigint>>;
  /** True when the shortfall is the node type's DaemonSets together (judged on a DaemonSet). */
  readonly daemonSets?: boolean;
}

/** The objects of one stage with what the fit needs to know about its cluster. */
export interface StageFitInput {
  readonly objects: readonly { readonly path: string; readonly object: { kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: unknown } }[];
  readonly nodeTypes: readonly NodeType[];
  /** DaemonSet pods the managed service runs on every node (not in the rendered tree). */
  readonly serviceDaemonSets: readonly Record<string, bigint>[];
  /** Containers an admission webhook adds to a pod of this namespace with these annotations (the mesh's proxy). */
  readonly injected: (namespace: string | undefined, annotations: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>) => Record<string, bigint>[];
  /** Node label keys every node type carries with every value the pod could want (zones, hostnames). */
  readonly ignoredKeys: ReadonlySet<string>;
}

/** Every pod template of the stage that does not fit a node type it can land on, or lands on none. */
export function stageMisfits(s: StageFitInput): Misfit[] {
  const pods = s.objects.flatMap(({ path, object }) =>
    podTemplatesOf(object).map((t) => ({
      path,
      object: { kind: object.kind, name: object.metadata.name, ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}), labels: object.metadata.labels ?? {} },
      template: t,
      asked: podRequests(t.spec, s.injected(object.metadata.namespace, t.annotations, t.labels)),
    })),
  );
  const daemons = pods.filter((p) => p.object.kind === "DaemonSet");
  const out: Misfit[] = [];
  for (const node of s.nodeTypes) {
    // What every node of this type runs before any workload: the service's DaemonSets and ours that land here.
    const load = [...s.serviceDaemonSets, ...daemons.filter((d) => landsOn(d.template.spec, node, s.ignoredKeys)).map((d) => d.asked)].reduce(add, {});
    for (const p of pods) {
      if (!landsOn(p.template.spec, node, s.ignoredKeys)) continue;
      // A DaemonSet's own pod is in `load` already: it fits when all of them together do.
      const daemon = p.object.kind === "DaemonSet";
      const asked = daemon ? load : p.asked;
      const shortfalls: Shortfall[] = [];
      for (const [resource, v] of Object.entries(asked)) {
        const allocatable = node.allocatable[resource] ?? 0n;
        const left = daemon ? allocatable : allocatable - (load[resource] ?? 0n);
        if (v > 0n && v > left) shortfalls.push({ resource, asked: v, left, allocatable });
      }
      if (shortfalls.length > 0) out.push({ path: p.path, object: p.object, at: p.template.at, nodeType: node, shortfalls, asked, daemonSets: daemon });
    }
  }
  for (const p of pods) {
    if (!s.nodeTypes.some((n) => landsOn(p.template.spec, n, s.ignoredKeys))) out.push({ path: p.path, object: p.object, at: p.template.at, shortfalls: [], asked: p.asked });
  }
  return out;
}

/** One line per misfit: the object, the node type and asked vs left (allocatable less DaemonSets) per resource. */
export function describeMisfit(m: Misfit): string {
  const who = `${m.object.kind} ${m.object.namespace ? `${m.object.namespace}/` : ""}${m.object.name}`;
  if (!m.nodeType) return `${who} (${m.path}${m.at}) can land on no node type of its stage: no pool's labels match its nodeSelector and affinity, or it does not tolerate their taints`;
  const n = m.nodeType;
  const parts = m.shortfalls.map((s) => `${s.resource} asks ${showQuantity(s.resource, s.asked)}, ${m.daemonSets ? "" : `${showQuantity(s.resource, s.left)} left after the node's DaemonSets, of `}${showQuantity(s.resource, s.allocatable)} allocatable`);
  return `${who}${m.daemonSets ? " with the other DaemonSets of its nodes" : ""} does not fit ${n.instanceType} (${n.cloud}, pool ${n.pool}): ${parts.join("; ")}`;
}

/** A pod that must run at the same time as the others of its group, and its requests. */
export interface ConcurrentPod {
  readonly name: string;
  readonly asked: Readonly<Record<string, bigint>>;
}

/**
 * Can these pods all run at once on `count` nodes each leaving `left`? First-fit decreasing by CPU
 * (a bin-packing heuristic: when it places them all they fit; when it does not, no placement the
 * scheduler is likely to find does either). Returns the pods left over, in the order they failed.
 */
export function unplaced(pods: readonly ConcurrentPod[], left: Readonly<Record<string, bigint>>, count: number): ConcurrentPod[] {
  const nodes = Array.from({ length: count }, () => ({ ...left }) as Record<string, bigint>);
  const out: ConcurrentPod[] = [];
  for (const p of [...pods].sort((a, b) => (b.asked.cpu ?? 0n) > (a.asked.cpu ?? 0n) ? 1 : (b.asked.cpu ?? 0n) < (a.asked.cpu ?? 0n) ? -1 : a.name < b.name ? -1 : 1)) {
    const node = nodes.find((n) => Object.entries(p.asked).every(([r, v]) => v <= (n[r] ?? 0n)));
    if (!node) {
      out.push(p);
      continue;
    }
    for (const [r, v] of Object.entries(p.asked)) node[r] = (node[r] ?? 0n) - v;
  }
  return out;
}
