import { toolVersions } from "../lib/versions.ts";
import { goInstall } from "./build.ts";
import { pypiProgram } from "./python.ts";

/** The scanners and linters npm test runs over the rendered tree and the repository, each pinned in tools/versions.json. */

/** kubeconform at the version in tools/versions.json. */
export function kubeconform(): string {
  return goInstall("kubeconform", "github.com/yannh/kubeconform/cmd/kubeconform", toolVersions().kubeconform.version);
}

/**
 * kube-score at the version in tools/versions.json (npm run kube-score). Stamped as its goreleaser
 * build stamps it, so `kube-score version` names the pinned release instead of "development".
 */
export function kubeScore(): string {
  const v = toolVersions().kubeScore.version;
  return goInstall("kube-score", "github.com/zegl/kube-score/cmd/kube-score", v, [`-X main.version=${v.replace(/^v/, "")}`]);
}

/** actionlint at the version in tools/versions.json: lints .github/workflows/ (shellcheck, from Debian, checks their run: scripts). */
export function actionlint(): string {
  // No stamp needed: a `go install`ed actionlint reads its version from the module's build info.
  return goInstall("actionlint", "github.com/rhysd/actionlint/cmd/actionlint", toolVersions().actionlint.version);
}

/**
 * Trivy at the version in tools/versions.json, built from the Go module proxy (never a downloaded
 * binary: see its `why`) with the toolchain and GOEXPERIMENT its release build uses; the stamp is its
 * goreleaser.yml's. Its configuration checks are compiled in (trivy-checks), so it scans offline.
 */
export function trivy(): string {
  const t = toolVersions().trivy;
  return goInstall("trivy", "github.com/aquasecurity/trivy/cmd/trivy", t.version, [`-X github.com/aquasecurity/trivy/pkg/version/app.ver=${t.version.replace(/^v/, "")}`], {
    GOTOOLCHAIN: t.goToolchain,
    GOEXPERIMENT: t.goExperiment,
    CGO_ENABLED: "0",
  });
}

/** Semgrep at the version in tools/versions.json (npm run scan). */
export function semgrep(): string {
  return pypiProgram("semgrep", toolVersions().semgrep.version);
}

/** checkov at the version in tools/versions.json (npm run infra:check). */
export function checkov(): string {
  return pypiProgram("checkov", toolVersions().checkov.version);
}
