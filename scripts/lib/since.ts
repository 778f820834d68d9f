import type { Snapshot } from "../../checks/release-order.ts";

/** Stage → component → the snapshot since which the stage pins its current digest (pure). */
export function pinsSince(snapshots: readonly Snapshot[]): Map<string, Map<string, { commit: string; subject: string }>> {
  const out = new Map<string, Map<string, { commit: string; subject: string; digest: string }>>();
  for (const snap of snapshots) {
    for (const [stage, comps] of snap.pins) {
      const m = out.get(stage) ?? out.set(stage, new Map()).get(stage)!;
      for (const [component, pin] of comps) {
        if (m.get(component)?.digest !== pin.digest) m.set(component, { commit: snap.commit, subject: snap.subject, digest: pin.digest });
      }
      // A component no longer pinned here starts afresh if it comes back.
      for (const c of [...m.keys()]) if (!comps.has(c)) m.delete(c);
    }
    for (const stage of [...out.keys()]) if (!snap.pins.has(stage)) out.delete(stage);
  }
  return out;
}
