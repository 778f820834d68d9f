import { postPromotionSeconds } from "../gate-math.ts";
import type { InputError } from "./errors.ts";
import type { Catalog, ReleasePlan } from "./types.ts";
import type { YamlSource } from "./yaml-source.ts";

/** Where the release plan lives. */
export const PLAN_FILE = "environments/waves.yaml";

const UNIT_SECONDS = { s: 1, m: 60, h: 3600 } as const;

/** Seconds of a soak written as `90m`, `24h`, `300s` (the schema's pattern). */
export function soakSeconds(soak: string): number {
  const m = /^([1-9][0-9]*)(s|m|h)$/.exec(soak);
  if (!m) throw new Error(`not a soak: "${soak}" (whole seconds, minutes or hours: 300s, 90m, 24h)`);
  return Number(m[1]) * UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS];
}

/** A stage the plan may name: its id and the region file that defines it. */
export interface PlanStage {
  readonly id: string;
  readonly file: string;
  /** Components the stage runs. */
  readonly components: readonly string[];
}

/**
 * The plan's own rules, located in `environments/waves.yaml`: every stage in exactly one wave, no
 * unknown stage, unique wave names, a soak on every wave but the last and none on the last, and a
 * soak no shorter than the longest post-promotion analysis of a component the wave runs: until that
 * analysis ends, a version can still be rolled back by its gate, so a shorter soak would mean nothing.
 */
export function checkPlan(plan: ReleasePlan, source: YamlSource, stages: readonly PlanStage[], catalog: Catalog): InputError[] {
  const errors: InputError[] = [];
  const known = new Map(stages.map((s) => [s.id, s]));
  const waveOf = new Map<string, string>();
  const names = new Set<string>();
  plan.waves.forEach((wave, i) => {
    if (names.has(wave.name)) errors.push(source.error(["waves", i, "name"], `duplicate wave name "${wave.name}"`));
    names.add(wave.name);
    wave.stages.forEach((id, j) => {
      const earlier = waveOf.get(id);
      if (earlier) errors.push(source.error(["waves", i, "stages", j], `${id} is already in wave ${earlier}: a stage receives a version in exactly one wave`));
      else waveOf.set(id, wave.name);
      if (!known.has(id)) errors.push(source.error(["waves", i, "stages", j], `unknown stage "${id}": stages are <environment>-<region> of a region file; known: ${[...known.keys()].sort().join(", ")}`));
    });
    const last = i === plan.waves.length - 1;
    if (last && wave.soak !== undefined) errors.push(source.error(["waves", i], `the last wave has no next wave to wait for: remove its soak`, "soak"));
    if (!last && wave.soak === undefined) errors.push(source.error(["waves", i], `missing soak: how long this wave runs a version before ${plan.waves[i + 1]!.name} may receive it (e.g. 24h)`));
    if (!last && wave.soak !== undefined) {
      const runs = new Set(wave.stages.flatMap((id) => known.get(id)?.components ?? []).filter((c) => catalog.components[c]));
      const slowest = [...runs].sort().map((c) => ({ c, s: postPromotionSeconds(catalog.components[c]!) })).sort((a, b) => b.s - a.s)[0];
      if (slowest && soakSeconds(wave.soak) < slowest.s) {
        errors.push(source.error(["waves", i, "soak"], `must be ≥ ${slowest.s}s: ${slowest.c}'s post-promotion analysis runs ${slowest.s} s after the switch and may still roll the version back`));
      }
    }
  });
  for (const s of [...known.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    if (!waveOf.has(s.id)) errors.push(source.error(["waves"], `${s.id} (${s.file}) is in no wave: add it to the wave that should receive versions with it`));
  }
  return errors;
}
