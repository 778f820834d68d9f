import { YamlSource } from "../generators/inputs/yaml-source.ts";
import { moduleVersion } from "../lib/versions.ts";

/**
 * Whether each add-on's pinned release exists where the repository can ask without the internet: an
 * add-on whose git tag ships as a Go module is looked up in the Go module proxy (a module at vX is
 * the repository at tag vX), so a release that was never tagged is refused before Argo CD would fail
 * to fetch it. Helm chart repositories and OCI registries are not reachable here: those releases are
 * listed as not looked up (the render still refuses anything but an exact version).
 */

/** Looks a module version up: undefined when it is published, else the proxy's answer. */
export type ReleaseLookup = (module: string, version: string) => string | undefined;

export interface AddonReleaseReport {
  /** file:line: field: message, one per release that does not exist. */
  readonly problems: readonly string[];
  /** Add-ons whose release could not be looked up here, and why. */
  readonly notLookedUp: readonly string[];
  /** How many releases were found published. */
  readonly published: number;
}

export function addonReleaseReport(versionsText: string, lookup: ReleaseLookup, file = "tools/versions.json"): AddonReleaseReport {
  const src = YamlSource.parse(file, versionsText);
  const addons = (src.value as { addons?: Record<string, unknown> }).addons ?? {};
  const problems: string[] = [];
  const notLookedUp: string[] = [];
  let published = 0;
  for (const [id, pin] of Object.entries(addons)) {
    if (typeof pin !== "object" || pin === null) continue;
    const { version, module, source } = pin as { version: string; module?: string; source: { type: string; repoURL: string } };
    if (source.type !== "git" || !module) {
      notLookedUp.push(`${id} ${version} (${source.repoURL}: ${source.type === "git" ? "no Go module ships its tree" : "a chart registry, not reachable here"})`);
      continue;
    }
    const why = lookup(module, moduleVersion(version));
    if (why === undefined) published++;
    else {
      const e = src.error(["addons", id, "version"], `${version} is not a published release of ${source.repoURL}: the Go module proxy has no ${module}@${moduleVersion(version)} (${why.trim().split("\n")[0]})`);
      problems.push(`${e.file}:${e.line}:${e.column}: ${e.field}: ${e.message}`);
    }
  }
  return { problems, notLookedUp, published };
}
