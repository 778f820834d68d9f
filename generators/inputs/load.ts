import { InputValidationError, type InputError } from "./errors.ts";
import { checkSchema } from "./schema-check.ts";
import { YamlSource } from "./yaml-source.ts";
import { checkCatalog, checkEnvironment } from "./semantics.ts";
import { checkMachines, checkRegionMachines } from "./machine-semantics.ts";
import type { MachineCatalog } from "./machines.ts";
import type { AddonCatalog, AddonVersions } from "./addons.ts";
import { checkAddons, checkDrillScrape, checkGrafanaAdmin, checkRegionAddons } from "./addon-semantics.ts";
import { checkPlan, planOf, PLAN_FILE } from "./plan.ts";
import { STAGE_FOLDERS, stageId } from "../naming.ts";
import type { Catalog, Environment, EnvironmentSettings, InputFile, RegionSettings, ReleasePlanInput, RepositoryModel } from "./types.ts";

/** Where each kind of input lives. Anything else under `engine/` or `environments/` is refused. */
export const INPUT_LAYOUT = {
  catalog: "engine/catalog.yaml",
  machines: "engine/machines.yaml",
  addons: "engine/addons.yaml",
  /** The one version file: the render reads its add-on releases (lib/versions.ts reads the rest). */
  versions: "tools/versions.json",
  plan: PLAN_FILE,
  environment: /^environments\/([^/]+)\/environment\.yaml$/,
  region: /^environments\/([^/]+)\/regions\/([^/]+)\.yaml$/,
} as const;

const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Parses and validates every input file and returns the model the generators render.
 * Pure: the caller (a script) reads the files. Throws `InputValidationError` with every error found.
 */
export function loadRepository(files: readonly InputFile[]): RepositoryModel {
  const errors: InputError[] = [];
  let catalog: Catalog | undefined;
  let catalogSource: YamlSource | undefined;
  let machines: MachineCatalog | undefined;
  let machinesSource: YamlSource | undefined;
  let addons: AddonCatalog | undefined;
  let addonsSource: YamlSource | undefined;
  let versions: AddonVersions | undefined;
  let versionsSource: YamlSource | undefined;
  let prometheusVersion: string | undefined;
  const sources = new Map<string, YamlSource>();
  let plan: { value: ReleasePlanInput; source: YamlSource } | undefined;
  let planSource: YamlSource | undefined;
  const envs = new Map<string, { settings?: { value: EnvironmentSettings; source: YamlSource }; regions: { value: RegionSettings; source: YamlSource; stem: string }[]; regionFiles: number }>();
  const envOf = (name: string) => envs.get(name) ?? envs.set(name, { regions: [], regionFiles: 0 }).get(name)!;

  for (const file of [...files].sort((a, b) => byId(a.path, b.path))) {
    const source = YamlSource.parse(file.path, file.text);
    const envMatch = INPUT_LAYOUT.environment.exec(file.path);
    const regionMatch = INPUT_LAYOUT.region.exec(file.path);
    sources.set(file.path, source);
    const kind = file.path === INPUT_LAYOUT.catalog ? "catalog" : file.path === INPUT_LAYOUT.machines ? "machines" : file.path === INPUT_LAYOUT.addons ? "addons" : file.path === INPUT_LAYOUT.versions ? "versions" : file.path === INPUT_LAYOUT.plan ? "waves" : envMatch ? "environment" : regionMatch ? "region" : undefined;
    if (!kind) {
      errors.push({ file: file.path, line: 1, column: 1, field: "", message: `unexpected input file; inputs are ${INPUT_LAYOUT.catalog}, ${INPUT_LAYOUT.machines}, ${INPUT_LAYOUT.addons}, ${INPUT_LAYOUT.plan}, environments/<env>/environment.yaml and environments/<env>/regions/<region>.yaml (and ${INPUT_LAYOUT.versions}'s add-on releases)` });
      continue;
    }
    if (kind === "region") envOf(regionMatch![1]!).regionFiles++;
    if (kind === "waves") planSource = source;
    if (source.errors.length > 0) {
      errors.push(...source.errors);
      // Register the environment anyway, so its other files are still checked.
      if (kind === "environment") envOf(envMatch![1]!);
      continue;
    }
    const schemaErrors = checkSchema(source, kind);
    errors.push(...schemaErrors);
    if (kind === "catalog") {
      catalogSource = source;
      if (schemaErrors.length === 0) catalog = source.value as Catalog;
    } else if (kind === "machines") {
      machinesSource = source;
      if (schemaErrors.length === 0) machines = source.value as MachineCatalog;
    } else if (kind === "addons") {
      addonsSource = source;
      if (schemaErrors.length === 0) addons = source.value as AddonCatalog;
    } else if (kind === "versions") {
      versionsSource = source;
      if (schemaErrors.length === 0) versions = (source.value as { addons: AddonVersions }).addons;
      // A versions file cut to nothing parses as null: it gets the same located error, not a crash.
      const release = prometheusRelease((source.value as { prometheus?: { version?: unknown } } | null)?.prometheus?.version);
      if (release) prometheusVersion = release;
      else errors.push(source.error(["prometheus", "version"], "prometheus.version must be the Prometheus Go module's v0.3xx.y (Prometheus 3.xx.y): the stages' Prometheus runs that release"));
    } else if (kind === "waves") {
      if (schemaErrors.length === 0) plan = { value: source.value as ReleasePlanInput, source };
    } else if (kind === "environment") {
      const env = envOf(envMatch![1]!);
      if (schemaErrors.length === 0) env.settings = { value: source.value as EnvironmentSettings, source };
    } else {
      const env = envOf(regionMatch![1]!);
      if (schemaErrors.length === 0) env.regions.push({ value: source.value as RegionSettings, source, stem: regionMatch![2]! });
    }
  }

  if (!catalogSource) errors.push({ file: INPUT_LAYOUT.catalog, line: 1, column: 1, field: "", message: "missing: the component catalog is required" });
  if (catalog && catalogSource) errors.push(...checkCatalog(catalog, catalogSource));
  if (!machinesSource) errors.push({ file: INPUT_LAYOUT.machines, line: 1, column: 1, field: "", message: "missing: the node catalog (the machine types the node pools use, docs/nodes.md) is required" });
  if (catalog && catalogSource && machines && machinesSource) errors.push(...checkMachines(catalog, catalogSource, machines, machinesSource));

  if (!addonsSource) errors.push({ file: INPUT_LAYOUT.addons, line: 1, column: 1, field: "", message: "missing: the platform's add-ons (what every cluster runs beneath the engine, docs/gitops.md) are required" });
  if (!versionsSource) errors.push({ file: INPUT_LAYOUT.versions, line: 1, column: 1, field: "", message: "missing: the one version file (the add-ons' releases) is required" });
  if (addons && addonsSource && versions && versionsSource) errors.push(...checkAddons(addons, addonsSource, versions, versionsSource, [...envs.keys()].sort(byId)));
  // `<stage>-<id>` names an add-on's Application as it names a component's: one id, one Application.
  for (const id of Object.keys(addons?.addons ?? {})) {
    if (catalog?.components[id] || STAGE_FOLDERS[id]) errors.push(addonsSource!.error(["addons", id], `add-on id ${id} is taken by ${catalog?.components[id] ? "a component" : "a stage folder"}: both would be the Application <stage>-${id}; rename the add-on`, id));
  }

  const environments: Environment[] = [];
  for (const [name, env] of [...envs].sort(([a], [b]) => byId(a, b))) {
    const file = `environments/${name}/environment.yaml`;
    if (!env.settings) {
      if (!errors.some((e) => e.file === file)) errors.push({ file, line: 1, column: 1, field: "", message: `missing: every environment folder needs environment.yaml` });
      continue;
    }
    if (catalog) errors.push(...checkEnvironment(name, env.settings, env.regions, env.regionFiles, catalog));
    if (catalog && machines) errors.push(...checkRegionMachines(catalog, machines, env.regions));
    if (catalog && addons) for (const r of env.regions) errors.push(...checkRegionAddons(addons, name, r.value, r.source, catalog), ...checkGrafanaAdmin(addons, name, r.value, r.source, catalog));
    if (catalog && addons) errors.push(...checkDrillScrape(addons, name, env.settings.value, env.regions.map((r) => r.value), env.settings.source, catalog));
    environments.push({ settings: env.settings.value, regions: env.regions.map((r) => r.value).sort((a, b) => byId(a.region, b.region)) });
  }
  if (!planSource) errors.push({ file: INPUT_LAYOUT.plan, line: 1, column: 1, field: "", message: "missing: the release plan (the waves every new version goes through, docs/releases.md) is required" });
  const stages = [...envs].flatMap(([name, env]) => env.regions.map((r) => ({ id: stageId(name, r.value.region), wave: r.value.wave, source: r.source, components: Object.keys(r.value.components) })));
  if (plan && catalog) errors.push(...checkPlan(plan.value, plan.source, stages, catalog));
  errors.push(...digestVersions([...envs.values()].flatMap((e) => e.regions)));
  if (envs.size === 0) errors.push({ file: "environments/", line: 1, column: 1, field: "", message: "no environment found: add environments/<env>/environment.yaml" });

  if (errors.length > 0) {
    errors.sort((a, b) => byId(a.file, b.file) || a.line - b.line || a.column - b.column);
    throw new InputValidationError(errors);
  }
  return { catalog: catalog!, machines: machines!, addons: addons!, addonVersions: versions!, prometheusVersion: prometheusVersion!, environments, plan: planOf(plan!.value, stages), sources };
}

/**
 * One digest is one build, so it carries one version wherever it is pinned: a release summary and
 * `npm run status` show versions, and two names for the same image would mislead a reviewer.
 */
function digestVersions(regions: readonly { value: RegionSettings; source: YamlSource }[]): InputError[] {
  const errors: InputError[] = [];
  const first = new Map<string, { version: string; file: string }>();
  for (const { value: r, source } of [...regions].sort((a, b) => byId(a.source.file, b.source.file))) {
    for (const [name, pin] of Object.entries(r.components)) {
      const seen = first.get(pin.digest);
      if (!seen) first.set(pin.digest, { version: pin.version, file: source.file });
      else if (seen.version !== pin.version) errors.push(source.error(["components", name, "version"], `${pin.digest.slice(0, 19)}… is ${seen.version} in ${seen.file}: one digest, one version`));
    }
  }
  return errors;
}

/**
 * The Prometheus release of its Go module version: the module github.com/prometheus/prometheus tags
 * Prometheus 3.xx.y as v0.3xx.y (its RELEASE.md), and prometheus-operator's `spec.version` wants
 * the release (v3.xx.y).
 */
export function prometheusRelease(module: unknown): string | undefined {
  const m = typeof module === "string" ? /^v0\.3(\d{2})\.(\d+)$/.exec(module) : null;
  return m ? `v3.${Number(m[1])}.${m[2]}` : undefined;
}
