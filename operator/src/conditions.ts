import { milliUnits } from "./quantity.ts";
import type { ClusterStatus, Condition, ConditionType, LatencyReading, NodeView, Observation, Status, Target } from "./model.ts";
import { CONDITION_TYPES } from "./model.ts";

/**
 * The operator's verdicts, level-based: each is a function of one Observation and nothing else
 * (no memory of earlier reconciles beyond the previous status, which only carries transition times
 * and the order flow's state). Running them twice on the same observation gives the same status.
 */

interface Verdict {
  readonly status: Status;
  readonly reason: string;
  readonly message: string;
}

const ok = (reason: string, message: string): Verdict => ({ status: "True", reason, message });

/** Problems of a target the operator cannot act on, before anything is measured; empty when usable. */
export function targetProblems(id: string, t: Partial<Target> | undefined): string[] {
  if (t === undefined || t === null || typeof t !== "object") return [`${id}: no target in spec.targets`];
  const problems: string[] = [];
  if (typeof t.rollout !== "string" || t.rollout === "") problems.push(`${id}: targets.${id}.rollout is empty`);
  if (typeof t.image !== "string" || t.image === "") problems.push(`${id}: targets.${id}.image is empty`);
  if (!(typeof t.budgetNs === "number" && t.budgetNs > 0)) problems.push(`${id}: targets.${id}.budgetNs must be a positive number of nanoseconds`);
  if (!(typeof t.quantile === "number" && t.quantile > 0 && t.quantile < 1)) problems.push(`${id}: targets.${id}.quantile must lie strictly between 0 and 1`);
  if (!(typeof t.windowSeconds === "number" && Number.isInteger(t.windowSeconds) && t.windowSeconds > 0)) problems.push(`${id}: targets.${id}.windowSeconds must be a positive whole number`);
  if (!(typeof t.minSamples === "number" && Number.isInteger(t.minSamples) && t.minSamples > 0)) problems.push(`${id}: targets.${id}.minSamples must be a positive whole number`);
  if (typeof t.query?.share !== "string" || typeof t.query?.samples !== "string" || !t.query.share.trim() || !t.query.samples.trim()) problems.push(`${id}: targets.${id}.query needs share and samples`);
  if (typeof t.firstReleaseRun !== "string" || t.firstReleaseRun === "") problems.push(`${id}: targets.${id}.firstReleaseRun is empty`);
  const stringMap = (x: unknown) => typeof x === "object" && x !== null && !Array.isArray(x) && Object.values(x).every((v) => typeof v === "string");
  for (const field of ["selector", "perPod", "labels"] as const) {
    if (!stringMap(t.nodes?.[field])) problems.push(`${id}: targets.${id}.nodes.${field} must map names to strings`);
  }
  for (const [resource, q] of Object.entries(stringMap(t.nodes?.perPod) ? t.nodes!.perPod : {})) {
    try {
      if (milliUnits(q) <= 0n) problems.push(`${id}: targets.${id}.nodes.perPod.${resource} must be positive`);
    } catch {
      problems.push(`${id}: targets.${id}.nodes.perPod.${resource} "${q}" is not a Kubernetes quantity`);
    }
  }
  return problems;
}

/** The components the operator judges: those the CR pins, each with its target. */
export function components(o: Observation): string[] {
  return Object.keys(o.cluster.spec.components ?? {}).sort();
}

function firstFailing(parts: readonly { id: string; verdict: Verdict }[], okReason: string, okMessage: string): Verdict {
  const failing = parts.filter((p) => p.verdict.status !== "True");
  if (failing.length === 0) return ok(okReason, okMessage);
  const status: Status = failing.some((p) => p.verdict.status === "False") ? "False" : "Unknown";
  const first = failing.find((p) => p.verdict.status === status)!;
  return { status, reason: first.verdict.reason, message: failing.map((p) => p.verdict.message).join("; ") };
}

function unusable(o: Observation): { id: string; verdict: Verdict }[] {
  return components(o).flatMap((id) => {
    const problems = targetProblems(id, o.cluster.spec.targets?.[id]);
    return problems.length ? [{ id, verdict: { status: "False" as const, reason: "InvalidTarget", message: problems.join("; ") } }] : [];
  });
}

/** Per component, whether its Rollout runs the pin (callers check the targets are usable first). */
function versionParts(o: Observation): { id: string; verdict: Verdict }[] {
  return components(o).map((id) => {
    const target = o.cluster.spec.targets![id]!;
    const pinned = `${target.image}@${o.cluster.spec.components[id]!.digest}`;
    const r = o.rollouts.get(target.rollout);
    const v = (reason: string, message: string): Verdict => ({ status: "False", reason, message: `${id}: ${message}` });
    let verdict: Verdict;
    if (!r) verdict = v("RolloutMissing", `no Rollout ${target.rollout} in ${o.namespace}`);
    else if (r.observedGeneration < r.generation) verdict = v("RolloutNotObserved", `Rollout ${r.name} generation ${r.generation} not yet observed by Argo Rollouts (${r.observedGeneration})`);
    else if (!r.images.includes(pinned)) verdict = v("DigestNotPinned", `Rollout ${r.name} runs ${r.images.join(", ")}, the pin is ${pinned}`);
    else if (!r.currentPodHash || r.currentPodHash !== r.stableRS) verdict = v(RELEASE_IN_PROGRESS, `the pinned digest runs as preview ${r.currentPodHash ?? "(none yet)"}, stable is ${r.stableRS ?? "(none yet)"}`);
    else verdict = ok("Pinned", "");
    return { id, verdict };
  });
}

const RELEASE_IN_PROGRESS = "ReleaseInProgress";

export function versionsConverged(o: Observation): Verdict {
  const bad = unusable(o);
  if (bad.length) return firstFailing(bad, "", "");
  return firstFailing(versionParts(o), "AllPinned", `every component's stable pods run the pinned digest (${components(o).length} components)`);
}

/**
 * True when the versions differ from the pins only because releases are under way behind the gate:
 * each such Rollout's template runs the pin as preview while its stable ReplicaSet, the one taking
 * the traffic, is a version that already went through the gate. That does not make a region unfit to
 * trade (else every release would close its order flow); a release with no stable yet (a first
 * release) or an unpinned digest does.
 */
export function onlyReleasesInProgress(o: Observation): boolean {
  if (unusable(o).length) return false;
  const failing = versionParts(o).filter((p) => p.verdict.status !== "True");
  return failing.length > 0 && failing.every((p) => p.verdict.reason === RELEASE_IN_PROGRESS && !!o.rollouts.get(o.cluster.spec.targets![p.id]!.rollout)?.stableRS);
}

const percent = (x: number): string => `${(Math.floor(x * 10000) / 100).toFixed(2)} %`;

/** One target's latency verdict from its reading, the gate's rule: share ≥ quantile with enough samples. */
export function latencyVerdict(id: string, t: Target, reading: LatencyReading | undefined): Verdict {
  const over = `within ${t.budgetNs} ns over ${t.windowSeconds} s`;
  if (!reading) return { status: "Unknown", reason: "NotMeasured", message: `${id}: not measured yet` };
  switch (reading.kind) {
    case "measured":
      return reading.share >= t.quantile
        ? ok("WithinTarget", "")
        : { status: "False", reason: "OverBudget", message: `${id}: ${percent(reading.share)} of ${reading.samples} observations ${over}, needs ${percent(t.quantile)}` };
    case "too-few-samples":
      return { status: "False", reason: "TooFewSamples", message: `${id}: ${reading.samples} observations over ${t.windowSeconds} s, fewer than the ${t.minSamples} a measurement needs` };
    case "no-data":
      return { status: "False", reason: "NoData", message: `${id}: Prometheus holds no observations of the active pods over ${t.windowSeconds} s` };
    case "rejected":
      return { status: "False", reason: "TargetNotMeasurable", message: `${id}: Prometheus rejected the target's query: ${reading.message}` };
    case "unreachable":
      return { status: "Unknown", reason: "PrometheusUnreachable", message: `${id}: ${reading.message}` };
  }
}

export function latencyWithinTargets(o: Observation): Verdict {
  const bad = unusable(o);
  if (bad.length) return firstFailing(bad, "", "");
  const parts = components(o).map((id) => ({ id, verdict: latencyVerdict(id, o.cluster.spec.targets![id]!, o.latency.get(id)) }));
  return firstFailing(parts, "WithinTargets", `every component's active pods meet their budget (${components(o).length} components)`);
}

/** How many of one component's pods the node can hold, counting only the extended resources asked for. */
function podsPerNode(n: NodeView, perPod: Readonly<Record<string, string>>): number {
  let fits = Number.POSITIVE_INFINITY;
  for (const [resource, q] of Object.entries(perPod)) {
    const have = n.allocatable[resource];
    const count = have === undefined ? 0n : milliUnits(have) / milliUnits(q);
    fits = Math.min(fits, Number(count));
  }
  return fits;
}

const matches = (labels: Readonly<Record<string, string>>, want: Readonly<Record<string, string>>): boolean => Object.entries(want).every(([k, v]) => labels[k] === v);

export function nodesReady(o: Observation): Verdict {
  const bad = unusable(o);
  if (bad.length) return firstFailing(bad, "", "");
  const parts = components(o).map((id) => {
    const t = o.cluster.spec.targets![id]!;
    const replicas = o.cluster.spec.components[id]!.replicas;
    const selected = o.nodes.filter((n) => matches(n.labels, t.nodes.selector));
    const usable = selected.filter((n) => n.ready && !n.unschedulable && matches(n.labels, t.nodes.labels));
    const asked = Object.entries(t.nodes.perPod).map(([k, v]) => `${k} ${v}`).join(", ") || "no extended resources";
    const selector = Object.entries(t.nodes.selector).map(([k, v]) => `${k}=${v}`).join(",");
    if (usable.length === 0) {
      const why = selected.length === 0 ? `no node carries ${selector}` : `${selected.length} node(s) carry ${selector}, none Ready, schedulable and labelled ${Object.entries(t.nodes.labels).map(([k, v]) => `${k}=${v}`).join(",")}`;
      return { id, verdict: { status: "False" as const, reason: "NoMatchingNodes", message: `${id}: ${why}` } };
    }
    const room = usable.reduce((sum, n) => sum + podsPerNode(n, t.nodes.perPod), 0);
    if (room < replicas) return { id, verdict: { status: "False" as const, reason: "InsufficientCapacity", message: `${id}: ${usable.length} node(s) have room for ${room} pod(s) asking ${asked}; ${replicas} replicas` } };
    return { id, verdict: ok("Offered", "") };
  });
  return firstFailing(parts, "AllOffered", `every component's node pool offers its pods' resources (${components(o).length} components)`);
}

export function firstReleases(o: Observation): Verdict {
  const parts = components(o).map((id) => {
    const name = o.cluster.spec.targets![id]!.firstReleaseRun;
    const run = o.analysisRuns.get(name);
    if (!run) return { id, verdict: { status: "False" as const, reason: "FirstReleaseMissing", message: `${id}: no AnalysisRun ${name} in ${o.namespace}` } };
    if (run.phase !== "Successful") return { id, verdict: { status: "False" as const, reason: "FirstReleaseNotSuccessful", message: `${id}: AnalysisRun ${name} is ${run.phase || "Pending"}${run.message ? `: ${run.message}` : ""}` } };
    return { id, verdict: ok("Successful", "") };
  });
  return firstFailing(parts, "Successful", "");
}

const NOT_READY_REASON = { VersionsConverged: "VersionsNotConverged", LatencyWithinTargets: "LatencyNotWithinTargets", NodesReady: "NodesNotReady" } as const;

/** All four verdicts for one observation. */
export function verdicts(o: Observation): Record<ConditionType, Verdict> {
  const versions = versionsConverged(o);
  const latency = latencyWithinTargets(o);
  const nodes = nodesReady(o);
  const first = unusable(o).length ? undefined : firstReleases(o);
  const waiting = [
    ["VersionsConverged", versions],
    ["LatencyWithinTargets", latency],
    ["NodesReady", nodes],
  ] as const;
  const behindGate = onlyReleasesInProgress(o);
  const notTrue = waiting.filter(([type, v]) => v.status !== "True" && !(type === "VersionsConverged" && behindGate));
  let trading: Verdict;
  // The message names everything that holds trading back: a first release that failed is the root
  // cause a reader needs even when the latency it left behind is what the reason reports.
  const held = [notTrue.map(([t, v]) => `${t} ${v.status} (${v.reason})`).join(", "), ...(notTrue.length && first && first.status !== "True" ? [first.message] : [])].join("; ");
  if (notTrue.length) trading = { status: notTrue.some(([, v]) => v.status === "False") ? "False" : "Unknown", reason: NOT_READY_REASON[notTrue[0]![0]], message: held };
  else if (first && first.status !== "True") trading = { status: "False", reason: first.reason, message: first.message };
  else if (behindGate) trading = ok("ReadyReleaseInProgress", `the stable pods run proven versions while releases are judged by the gate (${versions.message}); latency within targets, nodes ready, every first release Successful`);
  else trading = ok("Ready", "versions converged, latency within targets, nodes ready and every first release Successful");
  return { VersionsConverged: versions, LatencyWithinTargets: latency, NodesReady: nodes, TradingReady: trading };
}

/** New conditions: a condition keeps its lastTransitionTime while its status stays the same (metav1.Condition). */
export function nextConditions(previous: readonly Condition[] | undefined, v: Record<ConditionType, Verdict>, generation: number, now: Date): { conditions: Condition[]; transitions: Condition[] } {
  const transitions: Condition[] = [];
  const conditions = CONDITION_TYPES.map((type) => {
    const before = previous?.find((c) => c.type === type);
    const changed = !before || before.status !== v[type].status;
    const c: Condition = {
      type,
      status: v[type].status,
      observedGeneration: generation,
      lastTransitionTime: changed ? now.toISOString() : before.lastTransitionTime,
      reason: v[type].reason,
      message: v[type].message,
    };
    if (changed || before.reason !== c.reason) transitions.push(c);
    return c;
  });
  return { conditions, transitions };
}

export type OrderFlow = ClusterStatus["orderFlow"];

/**
 * The order flow's state: open exactly while TradingReady is True, and for at most `graceSeconds`
 * after it turned False (a blip must not cut live orders; a real fault must). Closed on a new region.
 * `reopenAt` is when a grace period ends, so the caller requeues then.
 */
export function nextOrderFlow(previous: OrderFlow | undefined, trading: Condition, graceSeconds: number, now: Date): { flow: OrderFlow; closesAt?: Date } {
  if (trading.status === "True") return { flow: { state: "Open", since: previous?.state === "Open" ? previous.since : now.toISOString(), reason: "TradingReady" } };
  const wasOpen = previous?.state === "Open";
  const closesAt = new Date(Date.parse(trading.lastTransitionTime) + graceSeconds * 1000);
  if (wasOpen && now < closesAt) return { flow: { state: "Open", since: previous.since, reason: `TradingReady ${trading.status} since ${trading.lastTransitionTime} (${trading.reason}); closes at ${closesAt.toISOString()} unless it recovers` }, closesAt };
  return { flow: { state: "Closed", since: previous?.state === "Closed" ? previous.since : now.toISOString(), reason: `TradingReady ${trading.status} (${trading.reason})` } };
}
