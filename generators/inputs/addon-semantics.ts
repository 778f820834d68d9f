import type { InputError } from "./errors.ts";
import type { YamlSource } from "./yaml-source.ts";
import { ARGOCD_ADDON, EXACT_VERSION, RESOURCE_EXCLUSIONS, type AddonCatalog, type AddonSpec, type AddonVersions } from "./addons.ts";
import type { Catalog, EnvironmentSettings, RegionSettings } from "./types.ts";
import { pushgatewayNamespace, stageId } from "../naming.ts";

/** The placeholders an add-on's templated text may use (inputs/addons.ts `Templated`). */
export const PLACEHOLDERS = ["version", "versionNumber", "appVersion", "cluster", "stage", "region", "environment", "account", "backupIdentity"] as const;

/** The placeholders a release fills, with no stage: all a management cluster's add-on may use. */
export const RELEASE_PLACEHOLDERS = ["version", "versionNumber", "appVersion"] as const satisfies readonly (typeof PLACEHOLDERS)[number][];

/** The placeholders a region fills only where its file says so (RegionSettings fields). */
export const OPTIONAL_PLACEHOLDERS = { backupIdentity: "backup.identity" } as const;

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
    if (pin.appVersion !== undefined && !exact.test(pin.appVersion)) {
      errors.push(versionsSrc.error(["addons", id, "appVersion"], `${JSON.stringify(pin.appVersion)} is not an exact release of the program the chart installs (e.g. v1.18.3): its images' tags and CRDs follow it`));
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
  // One text replaced whole by the patch: set twice, one would silently win.
  if (RESOURCE_EXCLUSIONS in addons.argocd.config) errors.push(src.error(["argocd", "config"], `argocd-cm's ${RESOURCE_EXCLUSIONS} is argocd.resourceExclusions (a typed list, checked against what the render makes); move the entries there`, RESOURCE_EXCLUSIONS));
  if (!environments.includes(addons.argocd.environment)) errors.push(src.error(["argocd", "environment"], `environment ${addons.argocd.environment} does not exist (environments: ${environments.join(", ")}); its root carries Argo CD's own Application`));
  addons.argocd.addons.forEach((id, i) => {
    const spec = addons.addons[id];
    if (spec === undefined) {
      errors.push(src.error(["argocd", "addons", i], `add-on ${id} is not in addons (${Object.keys(addons.addons).sort().join(", ")}): the management cluster runs an add-on from its entry there`));
      return;
    }
    // The management cluster is no stage: it has no region, cluster name, account or cloud to fill in.
    const staged = placeholdersIn({ kustomize: spec.kustomize, values: spec.helm?.values }).filter((p) => !(RELEASE_PLACEHOLDERS as readonly string[]).includes(p));
    if (staged.length) errors.push(src.error(["argocd", "addons", i], `add-on ${id} uses ${staged.map((p) => `\${${p}}`).join(", ")}, which only a stage fills; the management cluster's add-ons may use ${RELEASE_PLACEHOLDERS.map((p) => `\${${p}}`).join(", ")}`));
    if (spec.helm?.valuesByCloud) errors.push(src.error(["argocd", "addons", i], `add-on ${id} has helm.valuesByCloud: the management cluster has no cloud of its own here; give the values in helm.values`));
  });
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
    for (const cloud of Object.keys(spec.helm?.valuesByCloud ?? {})) {
      if (spec.when?.clouds && !spec.when.clouds.includes(cloud as never)) errors.push(src.error(["addons", id, "helm", "valuesByCloud", cloud], `the add-on goes to no ${cloud} stage (when.clouds: ${spec.when.clouds.join(", ")}); remove these values or add the cloud there`));
    }
    for (const { path, text } of strings({ kustomize: spec.kustomize, helm: spec.helm }, ["addons", id])) {
      for (const m of text.matchAll(/\$\{([^}]*)\}/g)) {
        if (!(PLACEHOLDERS as readonly string[]).includes(m[1]!)) errors.push(src.error(path, `unknown placeholder \${${m[1]}}; allowed: ${PLACEHOLDERS.map((p) => `\${${p}}`).join(", ")}`));
      }
    }
  }
  return errors;
}

/** The placeholders of every string in `value`. */
export function placeholdersIn(value: unknown): string[] {
  return [...new Set(strings(value, []).flatMap(({ text }) => [...text.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]!)))];
}

/** Replaces the placeholders of every string in `value` (checked by checkAddons; one a region lacks is checked by the caller). */
export function fillPlaceholders<T>(value: T, values: Readonly<Record<(typeof PLACEHOLDERS)[number], string | undefined>>): T {
  if (typeof value === "string") return value.replace(/\$\{([^}]*)\}/g, (_, k: string) => values[k as (typeof PLACEHOLDERS)[number]] ?? "") as T;
  if (Array.isArray(value)) return value.map((v) => fillPlaceholders(v, values)) as T;
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillPlaceholders(v, values)])) as T;
  return value;
}

/**
 * Whether an add-on goes to a stage: its `when`, read as data (no cloud or environment named in
 * code). `acceleratedNetworks` asks the catalog whether a component the region runs takes a VF.
 */
export function addonApplies(spec: AddonSpec, environment: string, region: RegionSettings, catalog: Catalog): boolean {
  const needsVfs = Object.keys(region.components).some((c) => (catalog.components[c]?.acceleratedNetworks ?? []).length > 0);
  return (spec.enabled ?? true)
    && (spec.when?.clouds ?? [region.cloud]).includes(region.cloud)
    && (spec.when?.environments ?? [environment]).includes(environment)
    && (spec.when?.acceleratedNetworks === undefined || needsVfs);
}

/**
 * Whether the stage has the add-on at all: delivered by us, or (`enabled: false`) run by the site its
 * own way. What reads the add-on in the cluster (our Prometheus scraping it) goes by this.
 */
export function addonPresent(spec: AddonSpec, environment: string, region: RegionSettings, catalog: Catalog): boolean {
  return addonApplies({ ...spec, enabled: true }, environment, region, catalog);
}

/** The add-ons a stage runs, by id, sorted. */
export function stageAddons(addons: AddonCatalog, environment: string, region: RegionSettings, catalog: Catalog): string[] {
  return Object.keys(addons.addons).filter((id) => addonApplies(addons.addons[id]!, environment, region, catalog)).sort();
}

/** An add-on's Helm values for one cloud: `valuesByCloud[cloud]` merged over `values` (objects key by key). */
export function addonValues(spec: AddonSpec, cloud: RegionSettings["cloud"]): Record<string, unknown> | undefined {
  const base = spec.helm?.values;
  const over = spec.helm?.valuesByCloud?.[cloud];
  if (!over) return base ? { ...base } : undefined;
  return merge(base ?? {}, over) as Record<string, unknown>;
}

function merge(a: unknown, b: unknown): unknown {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObject(a) || !isObject(b)) return b;
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = k in a ? merge(a[k], v) : v;
  return out;
}

/**
 * A region that takes an add-on whose values use a placeholder only some regions fill
 * (`${backupIdentity}`): the region file must hold that field, or the add-on would run with an empty
 * identity. Located at the region file; says where the value comes from.
 */
export function checkRegionAddons(addons: AddonCatalog, environment: string, region: RegionSettings, src: YamlSource, catalog: Catalog): InputError[] {
  const errors: InputError[] = [];
  for (const id of stageAddons(addons, environment, region, catalog)) {
    const spec = addons.addons[id]!;
    const used = placeholdersIn({ kustomize: spec.kustomize, values: addonValues(spec, region.cloud) });
    for (const [name, field] of Object.entries(OPTIONAL_PLACEHOLDERS)) {
      const value = field.split(".").reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], region);
      if (used.includes(name) && value === undefined) {
        errors.push(src.error(field.split(".").slice(0, -1), `add-on ${id} (engine/addons.yaml) runs here with \${${name}} in its ${region.cloud} values, but this region has no ${field}: write it (its infrastructure module's output, npm run infra:outputs -- ${environment}-${region.region}, after tofu apply)`));
      }
    }
  }
  return errors;
}

/**
 * A stage with a restore drill must run the Pushgateway it pushes to as an add-on its Prometheus
 * scrapes with `honorLabels` (engine/addons.yaml `scrape`): the stage's `dr-drill` rules are evaluated
 * by that Prometheus alone and select the drill's result by the namespace it pushed, so without such
 * a scrape `BitActorDrDrillNotRun` fires for the stage from the first hour (an add-on `enabled: false`
 * counts: the site runs it its own way, and the stage's Prometheus still scrapes it). One error per environment,
 * at its `backup.drill.pushgateway`, naming every stage it misses.
 */
export function checkDrillScrape(addons: AddonCatalog, environment: string, settings: EnvironmentSettings, regions: readonly RegionSettings[], src: YamlSource, catalog: Catalog): InputError[] {
  const drill = settings.backup.drill;
  if (!drill) return [];
  const namespace = pushgatewayNamespace(new URL(drill.pushgateway));
  // An add-on switched off (`enabled: false`) is one the site runs some other way, and our
  // Prometheus still scrapes it (addonPresent): it counts. What this catches is a stage with no such add-on at all.
  const scraped = (id: string, r: RegionSettings) => {
    const spec = addons.addons[id]!;
    return spec.namespace === namespace && spec.scrape?.honorLabels === true && addonPresent(spec, environment, r, catalog);
  };
  const missed = regions.filter((r) => !Object.keys(addons.addons).some((id) => scraped(id, r)));
  if (missed.length === 0) return [];
  return [src.error(["backup", "drill", "pushgateway"], `${missed.map((r) => `${environment}-${r.region}`).sort().join(", ")} ${missed.length === 1 ? "runs" : "run"} no add-on in namespace ${namespace} that ${missed.length === 1 ? "its" : "their"} Prometheus scrapes with honorLabels: true (engine/addons.yaml scrape): the dr-drill rules would see no result and BitActorDrDrillNotRun would fire; point the drill at such an add-on's Service, or give the add-on that runs there scrape with honorLabels: true`)];
}

/** The Grafana add-on's id in engine/addons.yaml: a region's sealed admin login (grafana.admin) rides its Application. */
export const GRAFANA_ADDON = "grafana";

/** The Secret a stage's Grafana reads its admin login from, as the add-on's values name it. */
export interface GrafanaAdminSecret {
  /** The add-on's namespace: the Secret must be beside Grafana's pod. */
  readonly namespace: string;
  readonly name: string;
  readonly userKey: string;
  readonly passwordKey: string;
}

/**
 * Where the Grafana add-on reads its admin login on one cloud's stages: the chart's
 * `admin.existingSecret`, `admin.userKey`, `admin.passwordKey` (grafana chart values.yaml), read
 * from our values so the sealed Secret and the chart can never name different things. undefined
 * when the add-on is missing or its values name no existing Secret.
 */
export function grafanaAdminSecret(addons: AddonCatalog, cloud: RegionSettings["cloud"]): GrafanaAdminSecret | undefined {
  const spec = addons.addons[GRAFANA_ADDON];
  const admin = spec ? addonValues(spec, cloud)?.["admin"] as Record<string, unknown> | undefined : undefined;
  const [name, userKey, passwordKey] = [admin?.["existingSecret"], admin?.["userKey"], admin?.["passwordKey"]];
  if (typeof name !== "string" || typeof userKey !== "string" || typeof passwordKey !== "string") return undefined;
  return { namespace: spec!.namespace, name, userKey, passwordKey };
}

/**
 * A region that seals Grafana's admin login (grafana.admin) must have the Grafana add-on delivered
 * by us, reading it from an existing Secret: the SealedSecret rides the add-on's own Application (so
 * it is there when Grafana's pod starts, in the same wave), and is named after what its values read.
 * Located at the region's `grafana.admin`.
 */
export function checkGrafanaAdmin(addons: AddonCatalog, environment: string, region: RegionSettings, src: YamlSource, catalog: Catalog): InputError[] {
  if (!region.grafana.admin) return [];
  const spec = addons.addons[GRAFANA_ADDON];
  const stage = stageId(environment, region.region);
  if (!spec || !addonApplies(spec, environment, region, catalog)) {
    return [src.error(["grafana", "admin"], `the Grafana admin login is sealed here, but engine/addons.yaml delivers no ${GRAFANA_ADDON} add-on to ${stage} (the login rides its Application): deliver the add-on, or remove grafana.admin and create the Secret some other way`)];
  }
  if (!grafanaAdminSecret(addons, region.cloud)) {
    return [src.error(["grafana", "admin"], `the Grafana admin login is sealed here, but the ${GRAFANA_ADDON} add-on's ${region.cloud} values name no admin.existingSecret, admin.userKey and admin.passwordKey (engine/addons.yaml): Grafana would not read it`)];
  }
  return [];
}

/**
 * The add-ons of a stage to which this repository adds objects of its own (the region's sealed
 * Grafana admin login): their Applications get a second source, the folder paths.addon renders.
 */
export function addonsWithOurObjects(addons: AddonCatalog, region: RegionSettings): string[] {
  return region.grafana.admin && grafanaAdminSecret(addons, region.cloud) ? [GRAFANA_ADDON] : [];
}
