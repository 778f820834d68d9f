/**
 * Argo CD neither watches nor syncs a kind its `resource.exclusions` lists: an Application holding
 * such an object shows it as excluded and never applies it (operator-manual/declarative-setup.md
 * "Resource Exclusion/Inclusion"). So an exclusion that matches an object the render makes would
 * drop that object from the cluster without an error at sync; the render refuses it instead, at
 * the exclusion's line in engine/addons.yaml.
 */
import type { InputError } from "./inputs/errors.ts";
import type { RepositoryModel } from "./inputs/types.ts";
import type { ResourceExclusion } from "./inputs/addons.ts";
import { INPUT_LAYOUT } from "./inputs/load.ts";

interface KindedObject {
  readonly path: string;
  readonly object: { readonly apiVersion: string; readonly kind: string };
}

/** The API group of an apiVersion ("" for the core group's `v1`). */
const groupOf = (apiVersion: string): string => (apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.lastIndexOf("/")) : "");

/**
 * Whether an exclusion matches a group and kind. Our entries always name both (the schema refuses
 * an empty list, which Argo CD reads as "every"), and neither holds a wildcard, so Argo CD's match
 * (util/settings/filtered_resource.go: glob on groups, equality on kinds) is equality here.
 */
export const excludes = (e: ResourceExclusion, group: string, kind: string): boolean => e.apiGroups.includes(group) && e.kinds.includes(kind);

/** One error per exclusion that matches a rendered object, naming up to three of those files. */
export function excludedKindErrors(model: RepositoryModel, objects: readonly KindedObject[]): InputError[] {
  const errors: InputError[] = [];
  const file = INPUT_LAYOUT.addons;
  const source = model.sources?.get(file);
  model.addons.argocd.resourceExclusions.forEach((e, i) => {
    const hit = objects.filter((o) => excludes(e, groupOf(o.object.apiVersion), o.object.kind));
    if (hit.length === 0) return;
    const kinds = [...new Set(hit.map((o) => `${groupOf(o.object.apiVersion) || "core"}/${o.object.kind}`))].sort();
    const files = hit.slice(0, 3).map((o) => o.path).join(", ") + (hit.length > 3 ? ` and ${hit.length - 3} more` : "");
    const message = `excludes ${kinds.join(", ")}, which the render makes (${files}): Argo CD would never sync those objects; remove the kind from the exclusion or stop rendering it`;
    errors.push(source ? source.error(["argocd", "resourceExclusions", i], message) : { file, line: 1, column: 1, field: `/argocd/resourceExclusions/${i}`, message });
  });
  return errors;
}
