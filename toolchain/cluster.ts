import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO } from "../lib/repo.ts";
import { toolVersions } from "../lib/versions.ts";
import { goBuild, goInstall } from "./build.ts";

/**
 * The cluster programs: what the throw-away API servers, the e2e clusters and the GitOps e2e run
 * (Kubernetes' own, etcd, kwok, Argo Rollouts, Argo CD, Prometheus), and the programs that speak to a
 * cluster's objects (argo-eval, otelcol, kubeseal). Each pinned in tools/versions.json and tools/.
 */

/**
 * The version stamps Kubernetes' own release build sets (hack/lib/version.sh). Without them the
 * programs report major/minor "" and clients that parse /version fail (Argo Rollouts' controller
 * exits with `strconv.Atoi: parsing ""`).
 */
function kubernetesVersionFlags(): string[] {
  const v = toolVersions().kubernetes.version;
  const [major, minor] = v.replace(/^v/, "").split(".");
  return ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"].flatMap((pkg) => [
    `-X ${pkg}.gitVersion=${v}`,
    `-X ${pkg}.gitMajor=${major}`,
    `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitTreeState=clean`,
  ]);
}

function kubernetesCommand(name: string): string {
  return goBuild(name, join(REPO, "tools", "kube"), `k8s.io/kubernetes/cmd/${name}`, ["go.mod", "go.sum"], kubernetesVersionFlags());
}

/** kube-apiserver at the Kubernetes version pinned by tools/kube/go.mod. */
export function kubeApiserver(): string {
  return kubernetesCommand("kube-apiserver");
}

/** kube-controller-manager (ReplicaSets, Jobs, service accounts, garbage collection) for npm run e2e. */
export function kubeControllerManager(): string {
  return kubernetesCommand("kube-controller-manager");
}

/** kube-scheduler: places the e2e's pods on kwok's fake nodes by the rendered nodeSelector and tolerations. */
export function kubeScheduler(): string {
  return kubernetesCommand("kube-scheduler");
}

/** kubectl of the same release: npm run e2e:gitops runs the README's bootstrap commands with it. */
export function kubectl(): string {
  return kubernetesCommand("kubectl");
}

/** The Argo Rollouts controller at the version we target, pinned by tools/rollouts/go.mod. */
export function rolloutsController(): string {
  const v = toolVersions().crdSources.find((c) => c.module === "github.com/argoproj/argo-rollouts")!.version;
  // The stamp Argo's Makefile sets; the controller logs it at start-up.
  return goBuild("rollouts-controller", join(REPO, "tools", "rollouts"), "github.com/argoproj/argo-rollouts/cmd/rollouts-controller", ["go.mod", "go.sum"], [
    `-X github.com/argoproj/argo-rollouts/utils/version.version=${v}`,
  ]);
}

/**
 * prometheus-operator at the add-on release the stages sync (tools/versions.json addons), pinned by
 * tools/prometheus-operator/go.mod: the e2e runs it so the gate's Prometheus is configured from the
 * rendered Prometheus, PodMonitors and PrometheusRules by the operator itself. The stamp is its Makefile's.
 */
export function prometheusOperator(): string {
  const pin = toolVersions().addons["prometheus-operator"];
  if (typeof pin !== "object") throw new Error("tools/versions.json: addons has no prometheus-operator pin");
  const v = pin.version;
  return goBuild("prometheus-operator", join(REPO, "tools", "prometheus-operator"), "github.com/prometheus-operator/prometheus-operator/cmd/operator", ["go.mod", "go.sum"], [
    `-X github.com/prometheus/common/version.Version=${v.replace(/^v/, "")}`,
  ]);
}

/**
 * Argo CD at the version of its CRDs in tools/versions.json (tools/argocd): one multi-call binary
 * that runs as the application controller, the repo-server, the applicationset controller or the
 * argocd CLI depending on the name it is started under (cmd/main.go). The stamps are its Makefile's.
 */
export function argocd(): string {
  const v = toolVersions().crdSources.find((c) => c.module === "github.com/argoproj/argo-cd/v3")!.version;
  return goBuild("argocd", join(REPO, "tools", "argocd"), "github.com/argoproj/argo-cd/v3/cmd", ["go.mod", "go.sum"], [
    `-X github.com/argoproj/argo-cd/v3/common.version=${v.replace(/^v/, "")}`,
    `-X github.com/argoproj/argo-cd/v3/common.gitTag=${v}`,
    "-X github.com/argoproj/argo-cd/v3/common.gitTreeState=clean",
  ]);
}

/** The kubectl plugin of the same Argo Rollouts (`kubectl argo rollouts promote ...`), pinned by tools/rollouts/go.mod. */
export function rolloutsPlugin(): string {
  const v = toolVersions().crdSources.find((c) => c.module === "github.com/argoproj/argo-rollouts")!.version;
  return goBuild("kubectl-argo-rollouts", join(REPO, "tools", "rollouts"), "github.com/argoproj/argo-rollouts/cmd/kubectl-argo-rollouts", ["go.mod", "go.sum"], [
    `-X github.com/argoproj/argo-rollouts/utils/version.version=${v}`,
  ]);
}

/** kubeseal at the version in tools/versions.json: seals a value for one region's sealed-secrets controller. */
export function kubeseal(): string {
  // Built in a wrapper module (tools/kubeseal): v0.40.0 renamed its module path, see its go.mod. The stamp is its Makefile's.
  return goBuild("kubeseal", join(REPO, "tools", "kubeseal"), "github.com/bitnami/sealed-secrets/cmd/kubeseal", ["go.mod", "go.sum"], [`-X main.VERSION=${toolVersions().kubeseal.version}`]);
}

/**
 * One value sealed by kubeseal with strict scope for `namespace/name` (`--raw`): what `npm run seal`
 * writes and what the GitOps e2e seals its credential with. kubeseal --raw reads a file (Node's child
 * stdin is a socket, which /dev/stdin cannot open), so the value goes to a file only this user can
 * read, in a fresh directory removed right after.
 */
export function sealValue(certFile: string, namespace: string, name: string, value: string): string {
  const dir = mkdtempSync(join(tmpdir(), "bitactor-seal-"));
  try {
    const file = join(dir, "value");
    writeFileSync(file, value, { mode: 0o600 });
    return execFileSync(kubeseal(), ["--raw", "--scope", "strict", "--namespace", namespace, "--name", name, "--cert", certFile, `--from-file=${file}`], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The sealed-secrets controller of the same release as kubeseal (the add-on `sealed-secrets` pins it
 * too; test/versions.test.ts holds the three together), from the same wrapper module. The GitOps e2e
 * runs it for the management cluster's Deployment, which Argo CD syncs from the add-on's chart.
 */
export function sealedSecretsController(): string {
  return goBuild("sealed-secrets-controller", join(REPO, "tools", "kubeseal"), "github.com/bitnami/sealed-secrets/cmd/controller", ["go.mod", "go.sum"], [`-X main.VERSION=${toolVersions().kubeseal.version}`]);
}

/** kwok at the version in tools/versions.json: fake nodes, and a kubelet-like pod lifecycle driven by stages. */
export function kwok(): string {
  return goInstall("kwok", "sigs.k8s.io/kwok/cmd/kwok", toolVersions().kwok.version);
}

/** Our OpenTelemetry Collector distribution (tools/otelcol): validates and runs the rendered collector configurations. */
export function otelcol(): string {
  return goBuild("otelcol", join(REPO, "tools", "otelcol"), ".", ["go.mod", "go.sum", "main.go"]);
}

/** argo-eval: Argo Rollouts' own analysis code, pinned by tools/argo-eval/go.mod. */
export function argoEval(): string {
  return goBuild("argo-eval", join(REPO, "tools", "argo-eval"), ".", ["go.mod", "go.sum", "main.go"]);
}

/**
 * etcd at the version tools/versions.json pins, built from the Go module proxy (tools/etcd): the store
 * of every throw-away API server. Kubernetes pins the etcd line it is tested with
 * (build/dependencies.yaml of k8s.io/kubernetes); test/versions.test.ts keeps ours on that line.
 */
export function etcd(): string {
  return goBuild("etcd", join(REPO, "tools", "etcd"), toolVersions().etcd.module, ["go.mod", "go.sum"]);
}

/**
 * The version stamps Prometheus' release build sets (.promu.yml): without them `prometheus --version`
 * says nothing useful. The Go module v0.3xx.y is Prometheus 3.xx.y.
 */
export function prometheusRelease(): string {
  const m = /^v0\.(\d)(\d\d)\.(\d+)$/.exec(toolVersions().prometheus.version);
  if (!m) throw new Error(`tools/versions.json: prometheus ${toolVersions().prometheus.version} is not a v0.3xx.y module version`);
  return `${m[1]}.${Number(m[2])}.${m[3]}`;
}

function prometheusCommand(name: string): string {
  const v = toolVersions().prometheus.version;
  return goInstall(name, `github.com/prometheus/prometheus/cmd/${name}`, v, [
    `-X github.com/prometheus/common/version.Version=${prometheusRelease()}`,
    `-X github.com/prometheus/common/version.Branch=${v}`,
  ]);
}

/** Prometheus 3 (the e2e's and the dashboard tests' server), pinned in tools/versions.json. */
export function prometheus(): string {
  return prometheusCommand("prometheus");
}

/** promtool of the same release (rule checks and rule unit tests). */
export function promtool(): string {
  return prometheusCommand("promtool");
}

/**
 * Helm at the version the pinned Argo CD's image ships (tools/versions.json helm): the GitOps e2e's
 * repo-server renders the add-ons' charts with it (`helm template`). Stamped as helm's Makefile does.
 */
export function helm(): string {
  const v = toolVersions().helm.version;
  return goInstall("helm", "helm.sh/helm/v4/cmd/helm", v, [`-X helm.sh/helm/v4/internal/version.version=${v}`]);
}

/** kustomize at the version the pinned Argo CD's image ships (tools/versions.json kustomize), for the repo-server. */
export function kustomize(): string {
  const v = toolVersions().kustomize.version;
  return goInstall("kustomize", "sigs.k8s.io/kustomize/kustomize/v5", v, [`-X sigs.k8s.io/kustomize/api/provenance.version=kustomize/${v}`]);
}
