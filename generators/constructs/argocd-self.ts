import { Construct } from "constructs";
import { stringify } from "yaml";
import { Application } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import { AppProject } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject";
import type { EnvironmentSettings } from "../inputs/types.ts";
import { ARGOCD_ADDON, RESOURCE_EXCLUSIONS, type AddonCatalog, type AddonVersions, type ResourceExclusion } from "../inputs/addons.ts";
import { emit } from "../argo.ts";
import { SYNC_WAVE, WAVE, names } from "../naming.ts";
import { IN_CLUSTER } from "./environment-projects.ts";
import { SYNC_RETRY } from "./region-application-set.ts";
import { DESCRIPTION, SERVER_SIDE } from "./addon-applications.ts";

export interface ArgoCdSelfProps {
  /** The environment whose root carries Argo CD's own Application (engine/addons.yaml argocd.environment). */
  readonly environment: EnvironmentSettings;
  readonly addons: AddonCatalog;
  readonly versions: AddonVersions;
  readonly labels: Readonly<Record<string, string>>;
}

/** A strategic-merge patch of one of the install's ConfigMaps: our keys over its data, each key replaced whole, the others kept. */
const configMapPatch = (name: string, data: Readonly<Record<string, string>>) =>
  stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { ...data } }, { lineWidth: 0 });

/** argocd-cm `resource.exclusions`: a YAML list of Argo CD's FilteredResource (apiGroups, kinds). */
const exclusionsText = (exclusions: readonly ResourceExclusion[]): string =>
  stringify(exclusions.map((e) => ({ apiGroups: [...e.apiGroups], kinds: [...e.kinds] })), { lineWidth: 0 });

/**
 * Argo CD manages its own install (as argocd-autopilot does): the Application `argocd` syncs the
 * upstream kustomization at the pinned tag (HA or not, engine/addons.yaml) into Argo CD's namespace
 * of its own cluster, with our argocd-cm keys (health checks, the resource exclusions) and
 * argocd-rbac-cm keys as kustomize patches (merged key by key over the release's), and its
 * AppProject admits only Argo CD's repository, that namespace and the install's cluster-scoped kinds.
 * - No cascading finalizer: deleting this Application must never delete Argo CD.
 * - No automatic prune: the install holds Argo CD's CRDs, whose removal would delete every
 *   Application; an object the new release drops shows OutOfSync for a person to prune.
 * - Server-side apply: the ApplicationSet CRD is larger than client-side apply's 256 KiB annotation.
 * - Wave 0 of the root, before `<env>-applicationsets`: the Application health check it sets is
 *   what makes the add-ons' waves wait for each other.
 */
export class ArgoCdSelf extends Construct {
  constructor(scope: Construct, id: string, props: ArgoCdSelfProps) {
    super(scope, id);
    const s = props.environment;
    const self = props.addons.argocd;
    const pin = props.versions[ARGOCD_ADDON];
    if (pin === undefined || typeof pin === "string" || pin.source.type !== "git") throw new Error(`tools/versions.json addons.${ARGOCD_ADDON}: a git source is required (inputs/addon-semantics.ts checks it)`);
    emit(this, "project", new AppProject({
      metadata: { name: names.argocdSelf, namespace: s.argocd.namespace, labels: props.labels, annotations: { [SYNC_WAVE]: WAVE.projects } },
      spec: {
        description: "Argo CD's own install, from its release",
        sourceRepos: [pin.source.repoURL],
        destinations: [{ server: IN_CLUSTER, namespace: s.argocd.namespace }],
        clusterResourceWhitelist: self.clusterKinds.map((k) => ({ ...k })),
      },
    }));
    emit(this, "application", new Application({
      metadata: { name: names.argocdSelf, namespace: s.argocd.namespace, labels: props.labels, annotations: { [SYNC_WAVE]: "0", [DESCRIPTION]: self.description } },
      spec: {
        project: names.argocdSelf,
        source: {
          repoURL: pin.source.repoURL,
          targetRevision: pin.version,
          path: self.highAvailability ? self.haPath : self.path,
          kustomize: {
            patches: [
              { target: { kind: "ConfigMap", name: "argocd-cm" }, patch: configMapPatch("argocd-cm", { ...self.config, [RESOURCE_EXCLUSIONS]: exclusionsText(self.resourceExclusions) }) },
              { target: { kind: "ConfigMap", name: "argocd-rbac-cm" }, patch: configMapPatch("argocd-rbac-cm", self.rbac) },
            ],
          },
        },
        destination: { server: IN_CLUSTER, namespace: s.argocd.namespace },
        revisionHistoryLimit: 10,
        syncPolicy: { automated: { prune: false, selfHeal: true }, syncOptions: [SERVER_SIDE], retry: SYNC_RETRY },
      },
    }));
  }
}
