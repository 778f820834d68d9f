/**
 * `engine/addons.yaml`: the platform beneath the engine. Which add-on each cluster runs, where, in
 * which order and with which of our settings; `tools/versions.json` `addons` says which release of
 * each, from which upstream source (the one version file). The render makes one Argo CD Application
 * per add-on per stage (constructs/addon-applications.ts) and Argo CD's own Application on the
 * management cluster (constructs/argocd-self.ts).
 */
import type { Cloud } from "./cloud.ts";

/** The id of Argo CD's own release in tools/versions.json addons (engine/addons.yaml `argocd` delivers it). */
export const ARGOCD_ADDON = "argo-cd";

/** A Kubernetes kind by API group ("" for the core group). */
export interface GroupKind {
  readonly group: string;
  readonly kind: string;
}

/**
 * Text that may name the stage's own values, replaced when rendered: `${version}` (the pinned
 * release as the source spells it), `${versionNumber}` (without a leading `v`), `${appVersion}` (the
 * program's release a chart installs: the pin's `appVersion`, else `${version}`), `${cluster}` (the
 * region's `cluster.name`), `${stage}`, `${region}`, `${environment}`, `${account}` (the region's
 * `infrastructure.account`: AWS account, GCP project, Azure subscription), `${backupIdentity}` (the
 * region's `backup.identity`; a region without one cannot take an add-on whose values use it). Any
 * other `${...}` is refused.
 */
export type Templated = string;

/** How Argo CD renders the add-on's source: kustomize over the upstream's own kustomization, or its Helm chart. */
export interface AddonKustomize {
  /** The namespace every namespaced object goes to (kustomize `namespace`). @default the upstream's own */
  readonly namespace?: string;
  /** Image overrides, `name:tag` or `name:tag@sha256:...` (kustomize `images`): every image the upstream leaves at a moving tag. @default none */
  readonly images?: readonly Templated[];
}

export interface AddonHelm {
  readonly releaseName: string;
  /** Our values (Argo CD `helm.valuesObject`); strings may hold the placeholders above. @default the chart's */
  readonly values?: Readonly<Record<string, unknown>>;
  /**
   * Values of one cloud's stages, merged over `values` (objects key by key, anything else replaced):
   * what differs by cloud (a plugin, an identity) stays data. @default none
   */
  readonly valuesByCloud?: Readonly<Partial<Record<Cloud, Readonly<Record<string, unknown>>>>>;
}

/** Where an add-on goes: every stage, or only stages of these clouds or environments. */
export interface AddonWhen {
  /** @default every cloud */
  readonly clouds?: readonly Cloud[];
  /** @default every environment */
  readonly environments?: readonly string[];
  /**
   * true: only stages that run a component asking for a secondary network of SR-IOV virtual
   * functions (engine/catalog.yaml `acceleratedNetworks` of a component the region file lists).
   * @default any stage
   */
  readonly acceleratedNetworks?: boolean;
}

export interface AddonSpec {
  /** What it does for us, shown as the Application's description annotation. */
  readonly description: string;
  /** The namespace the add-on runs in (the Application's destination namespace, created by the sync). */
  readonly namespace: string;
  /** Path of the kustomization or chart inside a git source. @default none (a Helm repository source has none) */
  readonly path?: string;
  readonly when?: AddonWhen;
  /**
   * false: delivered to no stage, the release still pinned (a site that runs this add-on some other
   * way, or the GitOps e2e for an add-on whose source it cannot serve offline). @default true
   */
  readonly enabled?: boolean;
  /**
   * Sync wave among the stage's add-ons (lower first). CRD owners go before the add-ons whose
   * objects use those CRDs. Argo CD waits on an Application only with the Application health check
   * in argocd-cm, which Argo CD's own Application sets (constructs/argocd-self.ts).
   */
  readonly wave: number;
  /**
   * Whether the add-on installs CRDs: then its Application never prunes automatically (a CRD's
   * removal deletes every object of it) and it applies server-side (large CRDs exceed the
   * client-side apply annotation's 256 KiB).
   */
  readonly crds: boolean;
  /** The cluster-scoped kinds it installs: its AppProject admits these and no other. */
  readonly clusterKinds: readonly GroupKind[];
  readonly kustomize?: AddonKustomize;
  readonly helm?: AddonHelm;
  /**
   * Fields its own controllers rewrite (Argo CD `ignoreDifferences`, kept by RespectIgnoreDifferences):
   * by JSON pointer, or by jq path where the list's length is not ours (a webhook configuration's
   * webhooks; Argo CD user-guide/diffing.md). @default none
   */
  readonly ignoreDifferences?: readonly { readonly group: string; readonly kind: string; readonly jsonPointers?: readonly string[]; readonly jqPathExpressions?: readonly string[] }[];
  /**
   * The stage's Prometheus scrapes the add-on's pods: for an add-on whose metrics our rules read
   * (constructs/addon-scrapes.ts). @default not scraped
   */
  readonly scrape?: AddonScrape;
}

/** How the stage's Prometheus finds and scrapes an add-on's pods (a prometheus-operator PodMonitor). */
export interface AddonScrape {
  /** Labels every pod of the add-on carries and no other pod of its namespace does (the chart's selector labels). */
  readonly pods: Readonly<Record<string, string>>;
  /** The name of the container port that serves the metrics. */
  readonly port: string;
  /** @default "/metrics" */
  readonly path?: string;
  /**
   * Keep the labels a scraped series already carries over the target's (Prometheus `honor_labels`):
   * what a Pushgateway holds is labelled by whoever pushed it. @default false
   */
  readonly honorLabels?: boolean;
}

/**
 * Argo CD's own install on the management cluster. One Argo CD serves every environment (the
 * README's bootstrap applies both roots to one `management` context), so one Application manages it,
 * carried by one environment's root.
 */
export interface ArgoCdSelf {
  readonly description: string;
  /** The environment whose root (`apps/<env>/`) carries Argo CD's own Application. */
  readonly environment: string;
  /** Whether to run the HA install (several replicas, Redis HA; operator-manual/high_availability.md). */
  readonly highAvailability: boolean;
  /** The kustomization of the non-HA install inside Argo CD's repository. */
  readonly path: string;
  /** The kustomization of the HA install. */
  readonly haPath: string;
  readonly clusterKinds: readonly GroupKind[];
  /**
   * Keys of argocd-cm we set (health checks), merged key by key over the release's own argocd-cm,
   * whose other keys (its `resource.customizations.ignoreResourceUpdates.*`) stay.
   * `resource.exclusions` is not one of them: see `resourceExclusions`.
   */
  readonly config: Readonly<Record<string, string>>;
  /**
   * What Argo CD never watches nor syncs, on any cluster (argocd-cm `resource.exclusions`; Argo CD
   * operator-manual/declarative-setup.md "Resource Exclusion/Inclusion"). That key is one text the
   * patch replaces whole, so this list holds the release's own defaults (its
   * manifests/base/config/argocd-cm.yaml; test/addons.test.ts holds the list to the pinned
   * release's) and ours. Every entry names its groups and kinds: an empty list would match every
   * group or kind. The render refuses a list that excludes a kind it renders (Argo CD would skip
   * that object without syncing it).
   */
  readonly resourceExclusions: readonly ResourceExclusion[];
  /** Keys of argocd-rbac-cm we set. */
  readonly rbac: Readonly<Record<string, string>>;
  /**
   * Add-ons Argo CD's own cluster runs beside it, each from its entry in `addons` and its release in
   * tools/versions.json, as the stages get it (one version for both): the sealed-secrets controller
   * that decrypts the environments' repository credentials (`repository.credential`). Their values
   * may use only the release placeholders (`${version}`, `${versionNumber}`, `${appVersion}`): the
   * management cluster is no stage, so it has no region, cluster name or cloud to fill in.
   */
  readonly addons: readonly string[];
}

/** The argocd-cm key Argo CD reads its exclusions from (util/settings/settings.go resourceExclusionsKey). */
export const RESOURCE_EXCLUSIONS = "resource.exclusions";

/** Kinds Argo CD ignores (one entry of argocd-cm `resource.exclusions`): every kind listed, in every group listed. */
export interface ResourceExclusion {
  /** API groups, "" for the core group. */
  readonly apiGroups: readonly string[];
  readonly kinds: readonly string[];
}

export interface AddonCatalog {
  readonly argocd: ArgoCdSelf;
  readonly addons: Readonly<Record<string, AddonSpec>>;
}

const groupKind = {
  type: "object",
  additionalProperties: false,
  required: ["group", "kind"],
  properties: { group: { type: "string", pattern: "^([a-z0-9-]+(\\.[a-z0-9-]+)*)?$" }, kind: { type: "string", pattern: "^[A-Z][A-Za-z0-9]*$" } },
} as const;
const k8sName = { type: "string", pattern: "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$" } as const;
const relPath = { type: "string", pattern: "^(\\.|[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*)$" } as const;

export const addonsSchema = {
  type: "object",
  additionalProperties: false,
  required: ["argocd", "addons"],
  properties: {
    argocd: {
      type: "object",
      additionalProperties: false,
      required: ["description", "environment", "highAvailability", "path", "haPath", "clusterKinds", "config", "resourceExclusions", "rbac", "addons"],
      properties: {
        description: { type: "string", minLength: 1 },
        environment: k8sName,
        highAvailability: { type: "boolean" },
        path: relPath,
        haPath: relPath,
        clusterKinds: { type: "array", items: groupKind, minItems: 1 },
        config: { type: "object", additionalProperties: { type: "string" } },
        resourceExclusions: {
          type: "array",
          minItems: 1,
          items: {
            type: "object",
            additionalProperties: false,
            required: ["apiGroups", "kinds"],
            properties: {
              apiGroups: { type: "array", minItems: 1, uniqueItems: true, items: groupKind.properties.group },
              kinds: { type: "array", minItems: 1, uniqueItems: true, items: groupKind.properties.kind },
            },
          },
        },
        rbac: { type: "object", additionalProperties: { type: "string" } },
        addons: { type: "array", uniqueItems: true, items: { type: "string", pattern: "^[a-z][a-z0-9-]{0,30}[a-z0-9]$" } },
      },
    },
    addons: {
      type: "object",
      minProperties: 1,
      propertyNames: { pattern: "^[a-z][a-z0-9-]{0,30}[a-z0-9]$" },
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        required: ["description", "namespace", "wave", "crds", "clusterKinds"],
        properties: {
          description: { type: "string", minLength: 1 },
          namespace: k8sName,
          path: relPath,
          when: {
            type: "object",
            additionalProperties: false,
            properties: {
              clouds: { type: "array", minItems: 1, uniqueItems: true, items: { enum: ["aws", "gcp", "azure"] } },
              environments: { type: "array", minItems: 1, uniqueItems: true, items: k8sName },
              acceleratedNetworks: { const: true },
            },
          },
          enabled: { type: "boolean" },
          wave: { type: "integer", minimum: 0, maximum: 9 },
          crds: { type: "boolean" },
          clusterKinds: { type: "array", items: groupKind },
          kustomize: {
            type: "object",
            additionalProperties: false,
            properties: {
              namespace: k8sName,
              images: { type: "array", minItems: 1, items: { type: "string", pattern: "^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)+:[A-Za-z0-9${}._-]+(@sha256:[a-f0-9]{64})?$" } },
            },
          },
          helm: {
            type: "object",
            additionalProperties: false,
            required: ["releaseName"],
            properties: {
              releaseName: k8sName,
              values: { type: "object" },
              valuesByCloud: { type: "object", additionalProperties: false, minProperties: 1, properties: { aws: { type: "object" }, gcp: { type: "object" }, azure: { type: "object" } } },
            },
          },
          ignoreDifferences: {
            type: "array",
            items: {
              type: "object",
              additionalProperties: false,
              required: ["group", "kind"],
              anyOf: [
                { properties: { jsonPointers: { type: "array" } }, required: ["jsonPointers"] },
                { properties: { jqPathExpressions: { type: "array" } }, required: ["jqPathExpressions"] },
              ],
              properties: {
                group: { type: "string" },
                kind: { type: "string" },
                jsonPointers: { type: "array", minItems: 1, items: { type: "string", pattern: "^/" } },
                jqPathExpressions: { type: "array", minItems: 1, items: { type: "string", pattern: "^\\." } },
              },
            },
          },
          scrape: {
            type: "object",
            additionalProperties: false,
            required: ["pods", "port"],
            properties: {
              pods: { type: "object", minProperties: 1, additionalProperties: { type: "string", pattern: "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$", maxLength: 63 } },
              // A container port's name (IANA_SVC_NAME: at most 15 characters, a letter among them).
              port: { type: "string", pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", maxLength: 15 },
              path: { type: "string", pattern: "^/" },
              honorLabels: { type: "boolean" },
            },
          },
        },
      },
    },
  },
} as const;

/**
 * Where an add-on's release is published: a git repository (the release is a tag), a Helm chart
 * repository (a chart version), or an OCI artifact holding a Helm chart (a tag; Argo CD >= 3.1's OCI
 * source, user-guide/oci.md, whose path inside a Helm chart artifact is always ".").
 */
export type AddonSourcePin =
  | { readonly type: "git"; readonly repoURL: string }
  | { readonly type: "helm"; readonly repoURL: string; readonly chart: string }
  | { readonly type: "oci"; readonly repoURL: string };

/** The versions file's add-on section (tools/versions.json `addons`), as the render reads it. */
export interface AddonVersions {
  readonly [id: string]: {
    readonly name: string;
    readonly version: string;
    readonly why: string;
    readonly support: string;
    readonly source: AddonSourcePin;
    readonly module?: string;
    /**
     * The release of the program the chart installs, where the chart versions apart from it (Velero's
     * chart 12.x installs Velero 1.18): its images' tags (`${appVersion}`) and the CRDs the checks
     * validate against follow it. @default `version`
     */
    readonly appVersion?: string;
  } | string;
}

/**
 * An exact release: `v1.2.3` or `1.2.3`, optionally with a pre-release or build suffix. No range,
 * wildcard, `latest` or branch: Argo CD would follow it, and what a cluster runs would change without a commit.
 */
export const EXACT_VERSION = "^v?(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?$";

/** The schema of tools/versions.json as the render reads it: only `addons` (the rest is the test platform's, lib/versions.ts). */
/** The source shape of one `type`: its URL pattern, and whether it names a chart (and only then). */
function sourceShape(type: string, repoURL: string, chart: boolean) {
  return {
    if: { type: "object", required: ["type"], properties: { type: { const: type } } },
    then: chart
      ? { type: "object", required: ["chart"], properties: { repoURL: { type: "string", pattern: repoURL }, chart: k8sName } }
      : { type: "object", properties: { repoURL: { type: "string", pattern: repoURL }, chart: { not: {} } } },
  };
}

export const versionsSchema = {
  type: "object",
  required: ["addons"],
  properties: {
    addons: {
      type: "object",
      properties: { $comment: { type: "string" } },
      propertyNames: { pattern: "^(\\$comment|[a-z][a-z0-9-]{0,30}[a-z0-9])$" },
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        required: ["name", "version", "why", "support", "source"],
        properties: {
          name: { type: "string", minLength: 1 },
          // Exactness is checked with a located, explained error (addon-semantics.ts), not by a bare pattern.
          version: { type: "string", minLength: 1 },
          why: { type: "string", minLength: 1 },
          support: { type: "string", minLength: 1 },
          module: { type: "string", pattern: "^[a-z0-9.-]+(/[A-Za-z0-9._-]+)+$" },
          appVersion: { type: "string", minLength: 1 },
          // One shape per source type, chosen by `type` (if/then rather than oneOf: a bad URL then
          // gets one error naming what its type allows, not one per shape it does not have).
          source: {
            type: "object",
            additionalProperties: false,
            required: ["type", "repoURL"],
            properties: { type: { enum: ["git", "helm", "oci"] }, repoURL: { type: "string" }, chart: k8sName },
            allOf: [
              sourceShape("git", "^(https://[a-z0-9.-]+/[A-Za-z0-9._/-]+\\.git|file:///\\S+)$", false),
              sourceShape("helm", "^https://[a-z0-9.-]+(/[A-Za-z0-9._-]+)*$", true),
              sourceShape("oci", "^oci://[a-z0-9.-]+(/[A-Za-z0-9._-]+)+$", false),
            ],
          },
        },
      },
    },
  },
} as const;
