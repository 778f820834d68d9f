import { wavesOf, shortDigest } from "../../checks/release-order.ts";
import { stageId } from "../../generators/naming.ts";
import type { RepositoryModel } from "../../generators/inputs/types.ts";
import { belongsIn, OPERATOR_RELEASE, regionPins, type ReleasePin } from "../../generators/inputs/pins.ts";

/**
 * What `npm run release` and `npm run promote` change, decided from the validated inputs alone
 * (pure; the commands read, write and ask the clusters).
 */

/** A stage as the release commands see it. */
export interface StageInfo {
  readonly id: string;
  readonly environment: string;
  readonly region: string;
  /** The region file. */
  readonly file: string;
  /** The cluster's name: Argo CD's destination and the kubeconfig context (README, "Bootstrap a region"). */
  readonly cluster: string;
  /** Each component's pin and the operator's (`bitactor-operator`): what the release train moves. */
  readonly pins: Readonly<Record<string, ReleasePin>>;
}

export function stagesOf(model: RepositoryModel): Map<string, StageInfo> {
  const out = new Map<string, StageInfo>();
  for (const env of model.environments) {
    const e = env.settings.environment;
    for (const r of env.regions) {
      out.set(stageId(e, r.region), { id: stageId(e, r.region), environment: e, region: r.region, file: `environments/${e}/regions/${r.region}.yaml`, cluster: r.cluster.name, pins: regionPins(r) });
    }
  }
  return out;
}

/** One stage's pin change. */
export interface PinChange {
  readonly stage: StageInfo;
  /** undefined: the stage runs none yet (the operator, reaching a wave for the first time). */
  readonly from: ReleasePin | undefined;
  readonly to: { readonly version: string; readonly digest: string };
}

export class ReleaseRefused extends Error {}

const pinText = (p: { version: string; digest: string } | undefined) => (p ? `${p.version} (${shortDigest(p.digest)})` : "none");

/** Review lines: `stage  from → to  file`. */
export function summary(changes: readonly PinChange[]): string[] {
  const w = Math.max(0, ...changes.map((c) => c.stage.id.length));
  return changes.map((c) => `  ${c.stage.id.padEnd(w)}  ${pinText(c.from)} → ${pinText(c.to)}  ${c.stage.file}`);
}

function componentWaves(model: RepositoryModel, component: string) {
  const stages = stagesOf(model);
  if (!model.catalog.components[component] && component !== OPERATOR_RELEASE) throw new ReleaseRefused(`unknown component "${component}"; components: ${Object.keys(model.catalog.components).sort().join(", ")}, and the operator: ${OPERATOR_RELEASE}`);
  const waves = wavesOf(model.plan, (s) => stages.has(s) && belongsIn(component, stages.get(s)?.pins));
  if (waves.length === 0) throw new ReleaseRefused(`no stage runs ${component}`);
  return { stages, waves };
}

/** `npm run release`: the first wave's stages that run `component` get the new pin. */
export function releaseChanges(model: RepositoryModel, component: string, version: string, digest: string): { wave: string; changes: PinChange[] } {
  if (!/^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$/.test(version)) throw new ReleaseRefused(`version "${version}" is not a semantic version (1.2.3, 1.2.3-rc.1)`);
  if (!/^sha256:[a-f0-9]{64}$/.test(digest)) throw new ReleaseRefused(`digest "${digest}" is not sha256:<64 hex digits> (what runs is the digest, never a tag)`);
  const { stages, waves } = componentWaves(model, component);
  const first = waves[0]!;
  const changes = first.stages.map((id) => ({ stage: stages.get(id)!, from: stages.get(id)!.pins[component], to: { version, digest } })).filter((c) => c.from?.digest !== digest || c.from?.version !== version);
  if (changes.length === 0) throw new ReleaseRefused(`${first.name} already pins ${component} ${pinText({ version, digest })}: nothing to release`);
  return { wave: first.name, changes };
}

/** What `npm run promote` would move: from the wave before `to` into `to`. */
export interface Promotion {
  readonly component: string;
  readonly from: { readonly name: string; readonly stages: readonly StageInfo[]; readonly soak: string };
  readonly to: { readonly name: string; readonly stages: readonly StageInfo[] };
  readonly pin: { readonly version: string; readonly digest: string };
  /** Target stages whose pin changes (the others already run it). */
  readonly changes: readonly PinChange[];
}

/**
 * The next promotion of `component`: the version its source wave runs, into the first wave that
 * does not run it everywhere (or into `to`). Refuses when the source wave does not run one version.
 */
export function nextPromotion(model: RepositoryModel, component: string, to?: string): Promotion | { readonly upToDate: string } {
  const { stages, waves } = componentWaves(model, component);
  const pinOf = (id: string) => stages.get(id)!.pins[component];
  let k: number;
  if (to !== undefined) {
    k = waves.findIndex((w) => w.name === to);
    if (k < 0) {
      const all = model.plan.waves.map((w) => w.name);
      throw new ReleaseRefused(all.includes(to) ? `no stage of ${to} runs ${component}` : `unknown wave "${to}"; waves: ${all.join(", ")}`);
    }
    if (k === 0) throw new ReleaseRefused(`${to} is the first wave: it receives versions from npm run release, not from a promotion`);
  } else {
    if (!pinOf(waves[0]!.stages[0]!)) throw new ReleaseRefused(`${waves[0]!.name} runs no ${component} yet: npm run release -- ${component} <version> <digest> first`);
    k = waves.findIndex((w, i) => i > 0 && w.stages.some((id) => pinOf(id)?.digest !== pinOf(waves[i - 1]!.stages[0]!)?.digest));
    if (k < 0) return { upToDate: `every wave runs ${component} ${pinText(pinOf(waves.at(-1)!.stages[0]!))}: nothing to promote` };
  }
  const from = waves[k - 1]!;
  const target = waves[k]!;
  const pins = from.stages.map((id) => [id, pinOf(id)] as const);
  const distinct = [...new Set(pins.map(([, p]) => p?.digest))];
  if (distinct.length > 1 || !pins[0]![1]) {
    throw new ReleaseRefused(`${from.name} does not run one version of ${component}: ${pins.map(([id, p]) => `${id} ${pinText(p)}`).join(", ")}; promote ${from.name} itself first`);
  }
  const pin = { version: pins[0]![1].version, digest: pins[0]![1].digest };
  // A wave may only move to what its previous wave runs; skipping a wave is a hotfix, by hand.
  const changes = target.stages.map((id) => ({ stage: stages.get(id)!, from: pinOf(id), to: pin })).filter((c) => c.from?.digest !== pin.digest);
  const soak = model.plan.waves.find((w) => w.name === from.name)!.soak!;
  return { component, from: { name: from.name, stages: from.stages.map((id) => stages.get(id)!), soak }, to: { name: target.name, stages: target.stages.map((id) => stages.get(id)!) }, pin, changes };
}
