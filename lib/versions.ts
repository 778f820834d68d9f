import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "./repo.ts";

/**
 * tools/versions.json, typed: every pinned program, source and model, with why and its support
 * window. Read by the toolchain (what to build), the checks (what must agree with it) and the docs'
 * tables (scripts/lib/versions-table.ts).
 */

/** A pinned program or source: its version, why this one, and its support window with the source. */
export interface Pinned {
  /** What it is, as docs/versions.md names it. */
  readonly name: string;
  readonly version: string;
  /** Why this version (docs/versions.md shows it). */
  readonly why: string;
  /** Its support window, with the source. */
  readonly support: string;
}

export interface CrdSource extends Pinned {
  /** Go module that ships the CRD manifests. */
  readonly module: string;
  /** CRD manifest paths inside the module. */
  readonly files: readonly string[];
  /**
   * The add-on (`addons.<id>`) whose version this is, when the clusters run it: the file then gives
   * no version of its own here, and `toolVersions` fills it in from the add-on, so the CRDs the checks
   * validate against cannot drift from the ones the clusters install. @default none: `version` given
   */
  readonly addon?: string;
}

/** Where an add-on's release is published: a git tag, or a Helm chart version of a chart repository. */
export type AddonSource =
  | { readonly type: "git"; readonly repoURL: string }
  | { readonly type: "helm"; readonly repoURL: string; readonly chart: string }
  | { readonly type: "oci"; readonly repoURL: string };

/** A platform add-on (engine/addons.yaml says where it goes and how; this says which release). */
export interface AddonPin extends Pinned {
  readonly source: AddonSource;
  /** The Go module that ships the same tree at `version` (the GitOps e2e's offline mirror). @default none */
  readonly module?: string;
  /** The release of the program a chart installs, where the chart versions apart from it. @default `version` */
  readonly appVersion?: string;
}

/** cdktn provider bindings taken from a PyPI wheel: the wheel, and the npm tarball inside it, each by sha256. */
export interface PypiBindings extends Pinned {
  /** The wheel's PyPI project. */
  readonly pypi: string;
  readonly wheelSha256: string;
  /** The npm tarball's path inside the wheel. */
  readonly tarball: string;
  readonly tarballSha256: string;
}

export interface ToolVersions {
  /** The Go toolchain every Go build runs under (exported as GOTOOLCHAIN). */
  readonly goToolchain: Pinned;
  readonly kubernetes: Pinned;
  readonly etcd: Pinned & { readonly module: string };
  readonly kubeconform: Pinned;
  readonly kubeScore: Pinned;
  readonly kwok: Pinned;
  readonly prometheus: Pinned;
  readonly otelcol: Pinned;
  readonly actionlint: Pinned;
  /** Built with its own Go toolchain and GOEXPERIMENT (see its `why`). */
  readonly trivy: Pinned & { readonly goToolchain: string; readonly goExperiment: string };
  readonly semgrep: Pinned;
  readonly checkov: Pinned;
  /** Built inside its module with its own Go toolchain (see its `why`). */
  readonly opentofu: Pinned & { readonly module: string; readonly goToolchain: string };
  /** Built inside its module; `version` is the release it is installed as, `moduleVersion` what the proxy serves. */
  readonly azurermProvider: Pinned & { readonly module: string; readonly moduleVersion: string; readonly goToolchain: string };
  /** cdktn bindings from the PyPI wheels that carry their npm tarballs (scripts/pypi-bindings.ts). */
  readonly googleBindings: PypiBindings;
  readonly azurermBindings: PypiBindings;
  readonly kubeseal: Pinned;
  /** What the GitOps e2e's repo-server runs: the versions Argo CD's own image ships. */
  readonly helm: Pinned;
  readonly kustomize: Pinned;
  readonly crdSources: readonly CrdSource[];
  /** The platform's add-ons by id, plus the section's `$comment`. */
  readonly addons: { readonly [id: string]: AddonPin | string };
  /** npm package name -> the exact version package.json pins and the upstream it was generated from. */
  readonly models: { readonly [pkg: string]: { readonly version: string; readonly generatedFrom: string } | string };
}

/** A Go module version for an add-on's release (Go's are always `v`-prefixed; Helm charts' and some tags are not). */
export const moduleVersion = (version: string): string => (version.startsWith("v") ? version : `v${version}`);

/** tools/versions.json's text, resolved: a CRD source that names an add-on takes that add-on's version (its program's, `appVersion`, where the chart versions apart). */
export function parseToolVersions(text: string): ToolVersions {
  const raw = JSON.parse(text) as ToolVersions;
  const crdSources = raw.crdSources.map((c) => {
    if (c.addon === undefined) return c;
    const pin = raw.addons[c.addon];
    if (pin === undefined || typeof pin === "string") throw new Error(`tools/versions.json: crdSources ${c.module} names add-on ${c.addon}, which addons does not have`);
    // A chart that versions apart from its program (Velero's): the CRDs are the program's.
    return { ...c, version: moduleVersion(pin.appVersion ?? pin.version) };
  });
  return { ...raw, crdSources };
}

export function toolVersions(): ToolVersions {
  return parseToolVersions(readFileSync(join(REPO, "tools", "versions.json"), "utf8"));
}
