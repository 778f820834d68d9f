import { postPromotionSeconds } from "../gate-math.ts";
import type { InputError } from "./errors.ts";
import type { Catalog, ReleasePlan, ReleasePlanInput } from "./types.ts";
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

/** A stage as the plan sees it: its id, the wave its region file names, and what it runs. */
export interface PlanStage {
  readonly id: string;
  readonly wave: string;
  /** The region file, to locate an error at its `wave`. */
  readonly source: YamlSource;
  /** Components the stage runs. */
  readonly components: readonly string[];
}

/** The plan with each wave's stages (those whose region file names it), sorted by id. */
export function planOf(input: ReleasePlanInput, stages: readonly { id: string; wave: string }[]): ReleasePlan {
  return {
    waves: input.waves.map((w) => ({ ...w, stages: stages.filter((s) => s.wave === w.name).map((s) => s.id).sort() })),
    ...(input.acknowledged ? { acknowledged: input.acknowledged } : {}),
  };
}

/**
 * The plan's rules, each located where it is fixed: a region file names a wave that exists; in
 * `environments/waves.yaml` wave names are unique, every wave but the last has a soak and the last
 * none, and a soak is no shorter than the longest post-promotion analysis of a component its wave
 * runs: until that analysis ends the gate can still roll the version back, so a shorter soak would
 * mean nothing. A wave no stage names is allowed (a region removed, one to come): it holds nothing back.
 */
export function checkPlan(plan: ReleasePlanInput, source: YamlSource, stages: readonly PlanStage[], catalog: Catalog): InputError[] {
  const errors: InputError[] = [];
  const names = plan.waves.map((w) => w.name);
  plan.waves.forEach((wave, i) => {
    if (names.indexOf(wave.name) !== i) errors.push(source.error(["waves", i, "name"], `duplicate wave name "${wave.name}"`));
    const last = i === plan.waves.length - 1;
    if (last && wave.soak !== undefined) errors.push(source.error(["waves", i], `the last wave has no next wave to wait for: remove its soak`, "soak"));
    if (!last && wave.soak === undefined) errors.push(source.error(["waves", i], `missing soak: how long this wave runs a version before ${plan.waves[i + 1]!.name} may receive it (e.g. 24h)`));
    if (!last && wave.soak !== undefined) {
      const runs = new Set(stages.filter((s) => s.wave === wave.name).flatMap((s) => s.components).filter((c) => catalog.components[c]));
      const slowest = [...runs].sort().map((c) => ({ c, s: postPromotionSeconds(catalog.components[c]!) })).sort((a, b) => b.s - a.s)[0];
      if (slowest && soakSeconds(wave.soak) < slowest.s) {
        errors.push(source.error(["waves", i, "soak"], `must be ≥ ${slowest.s}s: ${slowest.c}'s post-promotion analysis runs ${slowest.s} s after the switch and may still roll the version back`));
      }
    }
  });
  for (const s of stages) {
    if (!names.includes(s.wave)) errors.push(s.source.error(["wave"], `unknown wave "${s.wave}": the waves of ${PLAN_FILE} are ${names.join(", ")}`));
  }
  return errors;
}
