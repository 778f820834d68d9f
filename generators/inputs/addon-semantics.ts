import type { InputError } from "./errors.ts";
import type { YamlSource } from "./yaml-source.ts";
import { ARGOCD_ADDON, EXACT_VERSION, type AddonCatalog, type AddonVersions } from "./addons.ts";

/** The placeholders an add-on's templated text may use (inputs/addons.ts `Templated`). */
export const PLACEHOLDERS = ["version", "versionNumber", "cluster", "stage", "region", "environment"] as const;

const exact = new RegExp(EXACT_VERSION);

/** Every string inside a value, with its path. */
function strings(value: unknown, path: (string | number)[]): { path: (string | number)[]; text: string }[] {
  if (typeof value === "string") return [{ path, text: value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, [...path, i]));
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => strings(v, [...path, k]));
  return [];
}

/**
 * What the schemas cannot say about the add-ons: every add-on has exactly one pinned release in
 * tools/versions.json and every pinned release an add-on; each release is exact (a range or a moving
 * tag would change a cluster without a commit); a git source names the path inside it and a Helm
 * repository source has none; a kustomize setting only on a git source; only known placeholders.
 * `environments` are the environment folders, for `when.environments`.
 */
export function checkAddons(addons: AddonCatalog, src: YamlSource, versions: AddonVersions, versionsSrc: YamlSource, environments: readonly string[]): InputError[] {
  const errors: InputError[] = [];
  const pinned = Object.keys(versions).filter((k) => !k.startsWith("$"));
  for (const id of pinned) {
    const pin = versions[id]!;
    if (typeof pin === "string") continue;
    if (!exact.test(pin.version)) {
      errors.push(versionsSrc.error(["addons", id, "version"], `${JSON.stringify(pin.version)} is not an exact release: give the tag or chart version itself (e.g. v1.10.2 or 1.15.1), never a range, wildcard, branch or "latest", which Argo CD would follow without a commit`));
    }
    if (id !== ARGOCD_ADDON && !addons.addons[id]) {
      errors.push(versionsSrc.error(["addons"], `add-on ${id} is pinned here but engine/addons.yaml does not deliver it (addons: ${Object.keys(addons.addons).sort().join(", ")}); add it there or remove the pin`, id));
    }
  }
  if (!pinned.includes(ARGOCD_ADDON)) errors.push(versionsSrc.error(["addons"], `Argo CD's own install (engine/addons.yaml argocd) needs its release pinned as addons.${ARGOCD_ADDON}`));
  else {
    const pin = versions[ARGOCD_ADDON]!;
    if (typeof pin !== "string" && pin.source.type !== "git") errors.push(versionsSrc.error(["addons", ARGOCD_ADDON, "source", "type"], `Argo CD's own install is kustomize over its repository's ${addons.argocd.path} or ${addons.argocd.haPath}: the source must be git`));
  }
  if (!environments.includes(addons.argocd.environment)) errors.push(src.error(["argocd", "environment"], `environment ${addons.argocd.environment} does not exist (environments: ${environments.join(", ")}); its root carries Argo CD's own Application`));
  for (const [id, spec] of Object.entries(addons.addons)) {
    const pin = versions[id];
    if (pin === undefined || typeof pin === "string") {
      errors.push(src.error(["addons"], `add-on ${id} has no release pinned in tools/versions.json addons.${id} (version, why, support, source): the one version file says which release every add-on runs`, id));
      continue;
    }
    if (pin.source.type === "git" && spec.path === undefined) errors.push(src.error(["addons"], `its source is the git repository ${pin.source.repoURL}: say which kustomization or chart inside it with path`, id));
    if (pin.source.type !== "git" && spec.path !== undefined) errors.push(src.error(["addons", id, "path"], `its source is the Helm chart ${pin.source.repoURL}${pin.source.type === "helm" ? ` ${pin.source.chart}` : ""}: a chart has no path; remove it`));
    if (pin.source.type !== "git" && spec.helm === undefined) errors.push(src.error(["addons"], `its source is a Helm chart: give helm.releaseName (and values)`, id));
    if (pin.source.type !== "git" && spec.kustomize !== undefined) errors.push(src.error(["addons", id, "kustomize"], `its source is a Helm chart: kustomize settings apply only to a kustomization in a git source`));
    if (spec.helm !== undefined && spec.kustomize !== undefined) errors.push(src.error(["addons", id, "kustomize"], `an add-on is rendered by kustomize or by Helm, not both`));
    for (const env of spec.when?.environments ?? []) {
      if (!environments.includes(env)) errors.push(src.error(["addons", id, "when", "environments"], `environment ${env} does not exist (environments: ${environments.join(", ")})`));
    }
    for (const { path, text } of strings({ kustomize: spec.kustomize, helm: spec.helm }, ["addons", id])) {
      for (const m of text.matchAll(/\$\{([^}]*)\}/g)) {
        if (!(PLACEHOLDERS as readonly string[]).includes(m[1]!)) errors.push(src.error(path, `unknown placeholder \${${m[1]}}; allowed: ${PLACEHOLDERS.map((p) => `\${${p}}`).join(", ")}`));
      }
    }
  }
  return errors;
}

/** Replaces the placeholders of every string in `value` (checked by checkAddons). */
export function fillPlaceholders<T>(value: T, values: Readonly<Record<(typeof PLACEHOLDERS)[number], string>>): T {
  if (typeof value === "string") return value.replace(/\$\{([^}]*)\}/g, (_, k: string) => values[k as (typeof PLACEHOLDERS)[number]]) as T;
  if (Array.isArray(value)) return value.map((v) => fillPlaceholders(v, values)) as T;
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillPlaceholders(v, values)])) as T;
  return value;
}
