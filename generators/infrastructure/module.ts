import { tmpdir } from "node:os";
import type { MachineCatalog } from "../inputs/machines.ts";
import type { TerraformElement } from "cdktn";
import { App, TerraformStack } from "./cdktn.ts";
import { Node, type Construct } from "constructs";
import type { Catalog, Cloud, EnvironmentSettings, RepositoryModel, RegionSettings } from "../inputs/types.ts";
import { stageId } from "../naming.ts";
import versions from "../../tools/versions.json" with { type: "json" };

// cdktn records a stack trace for every token and resource it creates (for its own error messages;
// cdktn lib/tokens/private/stack-trace.js): under tsx's source maps that was most of a module's
// build time. Nothing we render reads them; a user who debugs cdktn itself can set the variable to 0.
process.env.CDKTN_DISABLE_CREATION_STACK ??= "true";

/** The folder of the rendered OpenTofu root modules: `infrastructure/<env>/<region>/main.tf.json`. */
export const INFRASTRUCTURE_DIR = "infrastructure";

/**
 * The rendered-file marker of a JSON file, where a `#` comment cannot be: the root `"//"` key, which
 * OpenTofu, Terraform and checkov read as a comment (HCL JSON syntax: "//" properties are ignored).
 */
export const JSON_HEADER = "Rendered by `npm run render` from engine/ and environments/. Do not edit: change the inputs and render.";

/** The managed clusters' Kubernetes minor: the release the harness proves (tools/versions.json kubernetes). */
export const KUBERNETES_MINOR = /^v([0-9]+\.[0-9]+)\./.exec(versions.kubernetes.version)![1]!;

/** OpenTofu release the modules are written for (tools/versions.json opentofu): S3-native locking needs >= 1.10. */
export const OPENTOFU_CONSTRAINT = ">= 1.10.0";

/** What every cloud's stage module gets. */
export interface StageModuleProps {
  readonly catalog: Catalog;
  /** The node catalog: what each machine type carries (GPUs a node pool must name). */
  readonly machines: MachineCatalog;
  readonly environment: EnvironmentSettings;
  readonly region: RegionSettings;
  /** `<environment>-<region>`: names, tags and the state key. */
  readonly stage: string;
  /** The Kubernetes minor the managed cluster runs (`1.36`), from tools/versions.json. */
  readonly kubernetesMinor: string;
}

/** A reviewed checkov exception, carried in the resource it concerns (checks/infrastructure.ts reads it). */
export interface CheckovSkip {
  readonly id: string;
  /** Why the finding does not apply or is accepted; at least a sentence. */
  readonly reason: string;
}

/** Records reviewed checkov exceptions on a resource, under its `"//"` comment key. */
export function skipChecks(resource: { addOverride(path: string, value: unknown): void }, skips: readonly CheckovSkip[]): void {
  resource.addOverride("//", { checkov: { skip: skips.map((s) => ({ id: s.id, reason: s.reason })) } });
}

/** The construct that builds one stage's module on a cloud: a table, so a cloud is one entry. */
export type StageModuleConstructor = new (scope: Construct, id: string, props: StageModuleProps) => Construct;

/** Removes cdktn's own `"//"` metadata (construct paths, versions) and keeps ours (checkov skips). */
function withoutCdktnMetadata(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutCdktnMetadata);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === "//") {
      const own = (v as Record<string, unknown>).checkov;
      if (own !== undefined) out[k] = { checkov: own };
      continue;
    }
    out[k] = withoutCdktnMetadata(v);
  }
  return out;
}

/** Sorted keys at every level, `"//"` first: a byte-stable file whose diff shows only what changed. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const keys = Object.keys(value).sort((a, b) => (a === "//" ? -1 : b === "//" ? 1 : a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(keys.map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
}

/**
 * Resource names are the constructs' own ids, not cdktn's path-and-hash names: a plan and a review
 * read `aws_s3_bucket.velero-bucket`. Ids are unique within a stage module, across resource types
 * too (checkov names some resources without their type: checks/infrastructure.ts); a repeated id is
 * a render error.
 */
class StageStack extends TerraformStack {
  private readonly names = new Map<string, unknown>();
  override allocateLogicalId(element: TerraformElement | Node): string {
    const node = element instanceof Node ? element : element.node;
    const owner = this.names.get(node.id);
    if (owner !== undefined && owner !== element) throw new Error(`two elements named "${node.id}" in stage ${this.node.id}: construct ids must be unique in a stage module`);
    this.names.set(node.id, element);
    return node.id;
  }
}

/** One stage's root module as OpenTofu JSON, in memory. */
export function stageModule(modules: Readonly<Record<Cloud, StageModuleConstructor>>, catalog: Catalog, machines: MachineCatalog, environment: EnvironmentSettings, region: RegionSettings, kubernetesMinor: string): Record<string, unknown> {
  const stage = stageId(environment.environment, region.region);
  // cdktn's App creates its output folder when it does not exist; the system's temporary folder
  // always does, and nothing is written there: the module is taken with toTerraform().
  const app = new App({ outdir: tmpdir(), stackTraces: false, context: { targetVersions: { opentofu: OPENTOFU_CONSTRAINT } } });
  const stack = new StageStack(app, stage);
  new modules[region.cloud](stack, "stage", { catalog, machines, environment, region, stage, kubernetesMinor });
  stack.addOverride("terraform.required_version", OPENTOFU_CONSTRAINT);
  stack.prepareStack();
  // cdktn's own checks (a backend feature the target OpenTofu lacks, for one): throws with each construct's path.
  stack.runAllValidations();
  const module = withoutCdktnMetadata(stack.toTerraform()) as Record<string, unknown>;
  return sortKeys({ "//": JSON_HEADER, ...module }) as Record<string, unknown>;
}

/** Every stage's module: `infrastructure/<env>/<region>/main.tf.json` → object. Pure: no I/O. */
export function infrastructureModules(modules: Readonly<Record<Cloud, StageModuleConstructor>>, model: RepositoryModel, kubernetesMinor: string = KUBERNETES_MINOR): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const env of model.environments) {
    for (const region of env.regions) {
      out.set(`${INFRASTRUCTURE_DIR}/${env.settings.environment}/${region.region}/main.tf.json`, stageModule(modules, model.catalog, model.machines, env.settings, region, kubernetesMinor));
    }
  }
  return out;
}

/** The file text of a module: two-space JSON and a final newline. */
export const toTfJson = (module: Record<string, unknown>): string => `${JSON.stringify(module, null, 2)}\n`;
