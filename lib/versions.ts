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
  readonly crdSources: readonly CrdSource[];
  /** npm package name -> the exact version package.json pins and the upstream it was generated from. */
  readonly models: { readonly [pkg: string]: { readonly version: string; readonly generatedFrom: string } | string };
}

export function toolVersions(): ToolVersions {
  return JSON.parse(readFileSync(join(REPO, "tools", "versions.json"), "utf8")) as ToolVersions;
}
