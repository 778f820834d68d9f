import type { ReleasePlan } from "../generators/inputs/types.ts";
import { OPERATOR_RELEASE, pinPath } from "../generators/inputs/pins.ts";

/**
 * The release order, enforced on the git history without any cluster: a digest reaches a wave of
 * `environments/waves.yaml` only after every stage of the wave before it has pinned it (in an
 * earlier commit), unless the pin carries a reviewed `hotfix` naming that digest. Pure: the history
 * is read by scripts/lib/history.ts.
 *
 * What is judged: each change of a pin (a stage's digest of a component that differs from the
 * previous snapshot, or a new one), against the plan of its own commit. Unchanged pins are never
 * judged again, so moving a stage between waves or a later release in an earlier wave does not
 * turn old commits red. "Has pinned" is any earlier snapshot: a wave may keep a digest its previous
 * wave has since moved past (that is what a wave behind looks like).
 *
 * Before the plan existed nothing could be enforced: the first snapshot with a plan is the
 * baseline, and every digest pinned anywhere at the baseline counts as run by every stage (those
 * versions were in production before the order was written down).
 */

export interface PinAt {
  readonly digest: string;
  readonly version: string;
  readonly hotfix?: { readonly digest: string; readonly reason: string };
  /** The region file and the line of the digest, in this snapshot. */
  readonly file: string;
  readonly line: number;
}

export interface Snapshot {
  /** Commit sha, or "working tree" for uncommitted files. */
  readonly commit: string;
  readonly subject: string;
  /** The plan as of this snapshot; undefined when the file is absent or unreadable. */
  readonly plan?: ReleasePlan & { readonly acknowledged?: readonly { readonly commit: string; readonly reason: string }[] };
  /** Stage id → component → pin. */
  readonly pins: ReadonlyMap<string, ReadonlyMap<string, PinAt>>;
}

export interface OrderViolation {
  readonly commit: string;
  readonly file: string;
  readonly line: number;
  readonly field: string;
  readonly message: string;
}

/** A pin that skipped the order: through its hotfix field, or a commit the plan acknowledges. */
export interface OrderException {
  readonly commit: string;
  readonly stage: string;
  readonly component: string;
  readonly digest: string;
  readonly file: string;
  readonly line: number;
  readonly how: "hotfix" | "acknowledged";
  readonly reason: string;
}

export interface OrderReport {
  /** The baseline snapshot's commit (undefined: no snapshot has a plan). */
  readonly baseline?: string;
  /** Pin changes judged after the baseline. */
  readonly judged: number;
  readonly violations: readonly OrderViolation[];
  readonly exceptions: readonly OrderException[];
}

export const short = (commit: string): string => (/^[0-9a-f]{40}$/.test(commit) ? commit.slice(0, 12) : commit);
export const shortDigest = (digest: string): string => `${digest.slice(0, 19)}…`;

/**
 * The waves that matter for one component: the plan's waves restricted to the stages `runs` (those running it),
 * empty ones dropped (a wave where nothing runs the component does not hold it back).
 */
export function wavesOf(plan: ReleasePlan, runs: (stage: string) => boolean): { name: string; stages: string[]; soak?: string }[] {
  return plan.waves.map((w) => ({ name: w.name, stages: w.stages.filter(runs), ...(w.soak ? { soak: w.soak } : {}) })).filter((w) => w.stages.length > 0);
}

export function checkReleaseOrder(history: readonly Snapshot[]): OrderReport {
  const violations: OrderViolation[] = [];
  const exceptions: OrderException[] = [];
  // component → stage → digests pinned in snapshots already passed.
  const ran = new Map<string, Map<string, Set<string>>>();
  const hasRun = (component: string, stage: string, digest: string) => ran.get(component)?.get(stage)?.has(digest) ?? false;
  const baseIndex = history.findIndex((s) => s.plan !== undefined);
  const baselineDigests = new Map<string, Set<string>>();
  if (baseIndex >= 0) {
    for (const comps of history[baseIndex]!.pins.values()) {
      for (const [c, p] of comps) (baselineDigests.get(c) ?? baselineDigests.set(c, new Set()).get(c)!).add(p.digest);
    }
  }
  let judged = 0;
  history.forEach((snap, i) => {
    if (baseIndex >= 0 && i > baseIndex) {
      const before = history[i - 1]!.pins;
      if (!snap.plan) {
        violations.push({ commit: snap.commit, file: "environments/waves.yaml", line: 1, field: "", message: `${short(snap.commit)} "${snap.subject}": the release plan is missing or unreadable, so its pins cannot be judged` });
      } else {
        const plan = snap.plan;
        const acknowledged = plan.acknowledged?.find((a) => a.commit === snap.commit);
        for (const [stage, comps] of [...snap.pins].sort(([a], [b]) => (a < b ? -1 : 1))) {
          for (const [component, pin] of [...comps].sort(([a], [b]) => (a < b ? -1 : 1))) {
            if (before.get(stage)?.get(component)?.digest === pin.digest) continue;
            judged++;
            // A component is held back by the waves that run it; the operator, which belongs in every stage, by every wave.
            const waves = wavesOf(plan, (s) => snap.pins.has(s) && (component === OPERATOR_RELEASE || (snap.pins.get(s)?.has(component) ?? false)));
            const k = waves.findIndex((w) => w.stages.includes(stage));
            if (k <= 0) continue; // the first wave takes any version; a stage in no wave is the render's error
            const previous = waves[k - 1]!;
            const missing = previous.stages.filter((p) => !(baselineDigests.get(component)?.has(pin.digest) || hasRun(component, p, pin.digest)));
            if (missing.length === 0) continue;
            const exception = { commit: snap.commit, stage, component, digest: pin.digest, file: pin.file, line: pin.line };
            if (pin.hotfix?.digest === pin.digest) exceptions.push({ ...exception, how: "hotfix", reason: pin.hotfix.reason });
            else if (acknowledged) exceptions.push({ ...exception, how: "acknowledged", reason: acknowledged.reason });
            else {
              violations.push({
                commit: snap.commit,
                file: pin.file,
                line: pin.line,
                field: `/${pinPath(component).join("/")}/digest`,
                message: `${short(snap.commit)} "${snap.subject}": ${stage} (${waves[k]!.name}) pins ${component} ${pin.version} (${shortDigest(pin.digest)}) before ${previous.name} ran it: ${missing.join(", ")} never pinned it. Release it with npm run release and move it with npm run promote, or give this pin a reviewed hotfix: { digest, reason }`,
              });
            }
          }
        }
      }
    }
    for (const [stage, comps] of snap.pins) {
      for (const [component, pin] of comps) {
        const stages = ran.get(component) ?? ran.set(component, new Map()).get(component)!;
        (stages.get(stage) ?? stages.set(stage, new Set()).get(stage)!).add(pin.digest);
      }
    }
  });
  return { ...(baseIndex >= 0 ? { baseline: history[baseIndex]!.commit } : {}), judged, violations, exceptions };
}
