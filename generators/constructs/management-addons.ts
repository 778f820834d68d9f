import { Construct } from "constructs";
import { Application } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import { AppProject } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject";
import type { EnvironmentSettings } from "../inputs/types.ts";
import type { AddonCatalog, AddonVersions } from "../inputs/addons.ts";
import { fillPlaceholders } from "../inputs/addon-semantics.ts";
import { emit } from "../argo.ts";
import { SYNC_WAVE, WAVE, names } from "../naming.ts";
import { IN_CLUSTER } from "./environment-projects.ts";
import { ADDON_LABEL, DESCRIPTION, addonClusterKinds, addonSource, addonSyncSpec, releasePlaceholders, type AddonPin } from "./addon-applications.ts";

export interface ManagementAddonsProps {
  /** The environment whose root carries Argo CD's own Application (engine/addons.yaml argocd.environment). */
  readonly environment: EnvironmentSettings;
  readonly addons: AddonCatalog;
  readonly versions: AddonVersions;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * The add-ons Argo CD's own cluster runs beside it (engine/addons.yaml `argocd.addons`): the
 * AppProject `management-addons` and one Application `management-<id>` each, from the same entry
 * and the same release as the stages' `<stage>-<id>`, so one edit of tools/versions.json moves both.
 * - Rendered beside Argo CD's own Application (`apps/<env>/`), in the same wave: the README's
 *   bootstrap applies them by hand before any root, because the repository credential they decrypt
 *   is what lets Argo CD read the roots' repository at all.
 * - The add-on safety of the stages' (addon-applications.ts): no cascading finalizer, no automatic
 *   prune where the add-on owns CRDs (the SealedSecret CRD: its removal would delete every
 *   credential), server-side apply.
 * The project admits only those add-ons' sources, their namespaces on this cluster, and the
 * cluster-scoped kinds engine/addons.yaml lists for them.
 */
export class ManagementAddons extends Construct {
  constructor(scope: Construct, id: string, props: ManagementAddonsProps) {
    super(scope, id);
    const ids = [...props.addons.argocd.addons].sort();
    if (ids.length === 0) return;
    const s = props.environment;
    const pinOf = (addon: string): AddonPin => {
      const pin = props.versions[addon];
      if (pin === undefined || typeof pin === "string") throw new Error(`tools/versions.json addons.${addon}: no release pinned (inputs/addon-semantics.ts checks it)`);
      return pin;
    };
    const kinds = ids.flatMap((a) => props.addons.addons[a]!.clusterKinds);
    emit(this, "project", new AppProject({
      metadata: { name: names.managementAddonsProject, namespace: s.argocd.namespace, labels: props.labels, annotations: { [SYNC_WAVE]: WAVE.projects } },
      spec: {
        description: "The add-ons Argo CD's own cluster runs beside it, each from its upstream's release",
        sourceRepos: [...new Set(ids.map((a) => pinOf(a).source.repoURL))].sort(),
        destinations: [...new Set(ids.map((a) => props.addons.addons[a]!.namespace))].sort().map((namespace) => ({ server: IN_CLUSTER, namespace })),
        clusterResourceWhitelist: addonClusterKinds(kinds),
      },
    }));
    for (const addon of ids) {
      const spec = props.addons.addons[addon]!;
      const pin = pinOf(addon);
      // Only the release placeholders (addon-semantics.ts refuses the stage ones here).
      const fill = <T>(v: T): T => fillPlaceholders(v, {
        ...releasePlaceholders(pin),
        cluster: undefined, stage: undefined, region: undefined, environment: undefined, account: undefined, backupIdentity: undefined,
      });
      emit(this, addon, new Application({
        metadata: {
          name: names.managementAddon(addon),
          namespace: s.argocd.namespace,
          labels: { ...props.labels, [ADDON_LABEL]: addon },
          annotations: { [SYNC_WAVE]: "0", [DESCRIPTION]: spec.description },
        },
        spec: {
          project: names.managementAddonsProject,
          source: addonSource(spec, pin, fill, spec.helm?.values ? { ...spec.helm.values } : undefined),
          destination: { server: IN_CLUSTER, namespace: spec.namespace },
          ...addonSyncSpec(spec),
        },
      }));
    }
  }
}
