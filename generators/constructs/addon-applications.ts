import { Construct } from "constructs";
import { Application } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import { AppProject } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject";
import type { Catalog, EnvironmentSettings, RegionSettings } from "../inputs/types.ts";
import type { AddonCatalog, AddonSpec, AddonVersions } from "../inputs/addons.ts";

/** One add-on's release as tools/versions.json pins it (never the bare string form). */
export type AddonPin = Exclude<AddonVersions[string], string>;
import { addonValues, addonsWithOurObjects, fillPlaceholders, stageAddons } from "../inputs/addon-semantics.ts";
import { emit } from "../argo.ts";
import { SYNC_WAVE, WAVE, names, paths, stageId } from "../naming.ts";
import { SYNC_RETRY } from "./region-application-set.ts";

export interface AddonApplicationsProps {
  readonly environment: EnvironmentSettings;
  readonly region: RegionSettings;
  readonly addons: AddonCatalog;
  readonly versions: AddonVersions;
  /** The component catalog: which components take an SR-IOV VF (`when.acceleratedNetworks`). */
  readonly catalog: Catalog;
  readonly labels: Readonly<Record<string, string>>;
}

/** Keeps Argo CD from rewriting a field our controllers own (with ignoreDifferences). */
const RESPECT_IGNORE = "RespectIgnoreDifferences=true";
/**
 * CRDs are too large for client-side apply's last-applied annotation (256 KiB; Argo CD
 * user-guide/sync-options.md, "Server-Side Apply"), and server-side apply leaves fields other
 * managers own (a webhook's caBundle) alone.
 */
export const SERVER_SIDE = "ServerSideApply=true";

/**
 * One stage's platform: the AppProject `<stage>-addons` and one Application per add-on
 * (`<stage>-<id>`), each pointing at its upstream's source at the release tools/versions.json pins,
 * rendered next to the stage's ApplicationSet (`applicationsets/<env>/`). Safety:
 * - no `resources-finalizer.argocd.argoproj.io` finalizer: deleting an add-on's Application, or its
 *   prune when a region goes, leaves the add-on running (Argo CD deletes an Application's objects
 *   only with that finalizer, user-guide/app_deletion.md);
 * - an add-on that installs CRDs never prunes automatically (a pruned CRD deletes every object of
 *   its kind) and applies server-side;
 * - sync waves order the add-ons (CRD owners first) before the stage's ApplicationSet (WAVE.engine),
 *   which Argo CD honours across Applications with the Application health check argocd-self.ts sets.
 * The project admits only the add-ons' sources (and this repository, where it adds objects to an
 * add-on: a region's sealed Grafana login, paths.addon), the stage's cluster in the add-ons'
 * namespaces, and the cluster-scoped kinds engine/addons.yaml lists.
 */
export class AddonApplications extends Construct {
  constructor(scope: Construct, id: string, props: AddonApplicationsProps) {
    super(scope, id);
    const s = props.environment;
    const r = props.region;
    const stage = stageId(s.environment, r.region);
    const ids = stageAddons(props.addons, s.environment, r, props.catalog);
    if (ids.length === 0) return;
    const pins = Object.fromEntries(ids.map((a) => [a, props.versions[a]])) as Record<string, AddonPin>;
    const kinds = ids.flatMap((a) => props.addons.addons[a]!.clusterKinds);
    // Add-ons this repository adds objects to (a sealed login): their Applications read our folder too.
    const ours = addonsWithOurObjects(props.addons, r).filter((a) => ids.includes(a));
    const repository = { repoURL: s.repository.url, targetRevision: s.repository.targetRevision };
    emit(this, "project", new AppProject({
      metadata: { name: names.addonsProject(stage), namespace: s.argocd.namespace, labels: props.labels, annotations: { [SYNC_WAVE]: WAVE.projects } },
      spec: {
        description: `The platform add-ons of ${stage}, each from its upstream's release`,
        sourceRepos: [...new Set([...ids.map((a) => pins[a]!.source.repoURL), ...(ours.length > 0 ? [repository.repoURL] : [])])].sort(),
        destinations: [...new Set(ids.map((a) => props.addons.addons[a]!.namespace))].sort().map((namespace) => ({ name: r.cluster.name, namespace })),
        clusterResourceWhitelist: addonClusterKinds(kinds),
        // Namespaced kinds: the upstream installs' own (Deployments, Services, RBAC, ConfigMaps, ...),
        // which are theirs to choose; destinations keep them to the add-ons' namespaces. Left unset,
        // which Argo CD reads as every kind (app_project_types.go IsGroupKindNamePermitted: a nil
        // namespaceResourceWhitelist admits all; an empty one none).
      },
    }));
    for (const addon of ids) {
      const spec = props.addons.addons[addon]!;
      const pin = pins[addon]!;
      const fill = <T>(v: T): T => fillPlaceholders(v, {
        ...releasePlaceholders(pin),
        cluster: r.cluster.name,
        stage,
        region: r.region,
        environment: s.environment,
        account: r.infrastructure.account,
        backupIdentity: r.backup.identity,
      });
      const source = addonSource(spec, pin, fill, addonValues(spec, r.cloud));
      emit(this, addon, new Application({
        metadata: {
          name: names.addonApplication(stage, addon),
          namespace: s.argocd.namespace,
          labels: { ...props.labels, [ADDON_LABEL]: addon },
          annotations: { [SYNC_WAVE]: String(spec.wave), [DESCRIPTION]: spec.description },
        },
        spec: {
          project: names.addonsProject(stage),
          // A second source where we add objects (Argo CD user-guide/multiple_sources.md): one
          // Application, one sync wave, so the Secret is there when the pod that reads it starts.
          ...(ours.includes(addon) ? { sources: [source, { ...repository, path: paths.addon(s.environment, r.region, addon) }] } : { source }),
          destination: { name: r.cluster.name, namespace: spec.namespace },
          ...addonSyncSpec(spec),
        },
      }));
    }
  }
}

/** What a release fills in an add-on's values with no stage: `${version}`, `${versionNumber}` (no leading v), `${appVersion}`. */
export const releasePlaceholders = (pin: AddonPin) => ({ version: pin.version, versionNumber: pin.version.replace(/^v/, ""), appVersion: pin.appVersion ?? pin.version });

/**
 * The cluster-scoped kinds an add-on project admits: the add-ons' namespaces (each Application
 * creates its own, CreateNamespace, which Argo CD checks against the project like any object) and
 * the kinds engine/addons.yaml lists for them, each once, in order.
 */
export function addonClusterKinds(kinds: readonly { readonly group: string; readonly kind: string }[]): { group: string; kind: string }[] {
  return [{ group: "", kind: "Namespace" }, ...kinds.filter((k, i) => kinds.findIndex((x) => x.group === k.group && x.kind === k.kind) === i).map((k) => ({ ...k }))];
}

/** An add-on's Application source: its upstream at the pinned release, with our values or kustomize settings filled in. */
export function addonSource(spec: AddonSpec, pin: AddonPin, fill: <T>(v: T) => T, values: Record<string, unknown> | undefined) {
  const helm = spec.helm ? { helm: { releaseName: spec.helm.releaseName, ...(values ? { valuesObject: fill(values) } : {}) } } : {};
  const kustomize = spec.kustomize ? { kustomize: { ...(spec.kustomize.namespace ? { namespace: spec.kustomize.namespace } : {}), ...(spec.kustomize.images ? { images: fill([...spec.kustomize.images]) } : {}) } } : {};
  return pin.source.type === "helm"
    ? { repoURL: pin.source.repoURL, chart: pin.source.chart, targetRevision: pin.version, ...helm }
    // An OCI Helm chart's path is always "." (Argo CD user-guide/oci.md).
    : pin.source.type === "oci"
      ? { repoURL: pin.source.repoURL, targetRevision: pin.version, path: ".", ...helm }
      : { repoURL: pin.source.repoURL, targetRevision: pin.version, path: spec.path!, ...helm, ...kustomize };
}

/**
 * The part of an add-on Application's spec after its source and destination: what it ignores, and
 * how it syncs (an add-on that owns CRDs never prunes and applies server-side).
 */
export function addonSyncSpec(spec: AddonSpec) {
  return {
    ...(spec.ignoreDifferences ? { ignoreDifferences: spec.ignoreDifferences.map((d) => ({ group: d.group, kind: d.kind, ...(d.jsonPointers ? { jsonPointers: [...d.jsonPointers] } : {}), ...(d.jqPathExpressions ? { jqPathExpressions: [...d.jqPathExpressions] } : {}) })) } : {}),
    revisionHistoryLimit: 10,
    syncPolicy: {
      automated: { prune: !spec.crds, selfHeal: true },
      syncOptions: ["CreateNamespace=true", ...(spec.crds ? [SERVER_SIDE] : []), ...(spec.ignoreDifferences ? [RESPECT_IGNORE] : [])],
      retry: SYNC_RETRY,
    },
  };
}

/** Label naming the add-on an Application delivers (an operator selects a stage's platform by it). */
export const ADDON_LABEL = "bitactor.io/addon";
/** What the add-on does for us (engine/addons.yaml description), on its Application. */
export const DESCRIPTION = "bitactor.io/description";
