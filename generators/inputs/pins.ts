import type { RegionSettings } from "./types.ts";

/**
 * What the release train moves (npm run release, promote, status; the release-order check): each
 * engine component's pin under `components.<id>` of a region file, and the BitActor operator's under
 * `operator`, which it knows by one name. One place, so a command, the history reader and the file
 * editor cannot disagree on where a pin lives.
 */

/** The name the release train knows the operator by: `npm run release -- bitactor-operator <version> <digest>`. */
export const OPERATOR_RELEASE = "bitactor-operator";

/** A pin as the release train moves it. */
export interface ReleasePin {
  readonly version: string;
  readonly digest: string;
  /** The reviewed way past the waves; components only (docs/releases.md#hotfix). */
  readonly hotfix?: { readonly digest: string; readonly reason: string };
}

/** Where `name`'s pin is in a region file. */
export function pinPath(name: string): readonly string[] {
  return name === OPERATOR_RELEASE ? ["operator"] : ["components", name];
}

/** Every pin of a region: its components', then the operator's where it has reached the region. */
export function regionPins(region: RegionSettings): Readonly<Record<string, ReleasePin>> {
  return { ...region.components, ...(region.operator ? { [OPERATOR_RELEASE]: region.operator } : {}) };
}

/**
 * The stages a releasable belongs in: a component where a region file deploys it (adding one to a
 * region is a reviewed data edit), the operator in every stage (promote brings it to a wave that
 * does not run it yet).
 */
export function belongsIn(name: string, pins: Readonly<Record<string, ReleasePin>> | undefined): boolean {
  return name === OPERATOR_RELEASE || pins?.[name] !== undefined;
}
