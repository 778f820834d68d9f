import { createHash } from "node:crypto";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The real programs that check what we render. Go programs are built from the Go module proxy at the
 * versions pinned in tools/ and cached outside the repository, keyed by version and source, so a warm
 * run builds nothing. The few Debian programs (openssl, shellcheck) are found on PATH; `npm run setup`
 * (scripts/setup.sh) installs them.
 */

export const REPO = join(dirname(fileURLToPath(import.meta.url)), "..");

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

/**
 * The environment of every go command: the toolchain tools/versions.json pins. Some modules we build
 * declare a newer Go than the machine's; the go command then fetches the pinned toolchain from the
 * Go module proxy once (it is served there as the module golang.org/toolchain).
 */
export function goEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GOTOOLCHAIN: toolVersions().goToolchain.version };
}

export function cacheDir(): string {
  const dir = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "bitactor-gitops");
  mkdirSync(dir, { recursive: true });
  return dir;
}

function goVersion(): string {
  const r = spawnSync("go", ["env", "GOVERSION"], { encoding: "utf8", env: goEnv() });
  if (r.error || r.status !== 0) throw new Error(`the go command is needed to build the validation tools: ${r.error?.message ?? r.stderr}`);
  return r.stdout.trim();
}

export function hashOf(...parts: readonly string[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p).update("\0");
  return h.digest("hex").slice(0, 16);
}

/** Builds once into the cache under a key; a failed build leaves nothing under the final name. */
function cached(name: string, key: string, build: (out: string) => void): string {
  const out = join(cacheDir(), `${name}-${key}`);
  if (existsSync(out)) return out;
  const tmp = `${out}.tmp-${process.pid}`;
  process.stderr.write(`building ${name} (once; cached in ${cacheDir()})...\n`);
  const started = Date.now();
  try {
    build(tmp);
    renameSync(tmp, out);
    // What a cold machine pays per program (the cold figures in docs/versions.md come from these lines).
    process.stderr.write(`built ${name} in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  } finally {
    rmSync(tmp, { force: true });
  }
  return out;
}

function goBuild(name: string, moduleDir: string, pkg: string, sources: readonly string[], ldflags: readonly string[] = []): string {
  const key = hashOf(goVersion(), pkg, ...ldflags, ...sources.map((f) => readFileSync(join(moduleDir, f), "utf8")));
  return cached(name, key, (out) => {
    execFileSync("go", ["build", "-trimpath", `-ldflags=-s -w ${ldflags.join(" ")}`, "-o", out, pkg], { cwd: moduleDir, env: goEnv(), stdio: ["ignore", "inherit", "inherit"] });
  });
}

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

/** `go install module/cmd@version` into the cache: for commands whose own go.mod builds as is. */
function goInstall(name: string, pkg: string, version: string, ldflags: readonly string[] = [], env: NodeJS.ProcessEnv = {}): string {
  return cached(name, hashOf(goVersion(), pkg, version, ...ldflags, JSON.stringify(env)), (out) => {
    const bin = `${out}.d`;
    try {
      execFileSync("go", ["install", "-trimpath", `-ldflags=-s -w ${ldflags.join(" ")}`, `${pkg}@${version}`], { env: { ...goEnv(), ...env, GOBIN: bin }, stdio: ["ignore", "inherit", "inherit"] });
      renameSync(join(bin, name), out);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
}

/**
 * Builds a command inside its downloaded module (a module whose go.mod has replace directives that
 * `go install` refuses, built with those replaces as its authors do), under the given toolchain.
 */
function inModuleBuild(name: string, module: string, version: string, pkg: string, ldflags: readonly string[], toolchain: string): string {
  return cached(name, hashOf(toolchain, module, version, pkg, ...ldflags), (out) => {
    execFileSync("go", ["build", "-trimpath", `-ldflags=-s -w ${ldflags.join(" ")}`, "-o", out, pkg], { cwd: moduleDir(module, version), env: { ...goEnv(), GOTOOLCHAIN: toolchain }, stdio: ["ignore", "inherit", "inherit"] });
  });
}

/** OpenTofu at the version in tools/versions.json (its `why` says why in its module, with Go 1.26). */
export function tofu(): string {
  const t = toolVersions().opentofu;
  return inModuleBuild("tofu", t.module, t.version, "./cmd/tofu", ["-X github.com/opentofu/opentofu/version.dev=no"], t.goToolchain);
}

/** The azurerm provider from the Go module proxy, stamped with the release it is installed as (tools/versions.json). */
export function azurermProvider(): string {
  const p = toolVersions().azurermProvider;
  return inModuleBuild("terraform-provider-azurerm", p.module, p.moduleVersion, ".", [`-X github.com/hashicorp/terraform-provider-azurerm/version.ProviderVersion=${p.version}`], p.goToolchain);
}

/** kubeseal at the version in tools/versions.json: seals a value for one region's sealed-secrets controller. */
export function kubeseal(): string {
  // Built in a wrapper module (tools/kubeseal): v0.40.0 renamed its module path, see its go.mod. The stamp is its Makefile's.
  return goBuild("kubeseal", join(REPO, "tools", "kubeseal"), "github.com/bitnami/sealed-secrets/cmd/kubeseal", ["go.mod", "go.sum"], [`-X main.VERSION=${toolVersions().kubeseal.version}`]);
}

/** kubeconform at the version in tools/versions.json. */
export function kubeconform(): string {
  return goInstall("kubeconform", "github.com/yannh/kubeconform/cmd/kubeconform", toolVersions().kubeconform.version);
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

/**
 * A program from PyPI at a pinned version, in its own virtual environment in the cache (python3
 * with venv, from Debian when missing: scripts/setup.sh). Returns the program's path.
 */
function pypiProgram(pkg: string, version: string, program: string = pkg): string {
  const dir = join(cacheDir(), `${pkg}-${hashOf(version)}`);
  const bin = join(dir, "bin", program);
  // A venv names its interpreter by absolute path, so it cannot be built elsewhere and renamed:
  // it is built in place and counts only once the marker is written.
  const done = join(dir, ".installed");
  if (existsSync(done)) return bin;
  rmSync(dir, { recursive: true, force: true });
  process.stderr.write(`installing ${pkg} ${version} from PyPI (once; cached in ${cacheDir()})...\n`);
  const started = Date.now();
  try {
    execFileSync("python3", ["-m", "venv", dir], { stdio: ["ignore", "inherit", "inherit"] });
    execFileSync(join(dir, "bin", "pip"), ["install", "--quiet", "--disable-pip-version-check", `${pkg}==${version}`], { stdio: ["ignore", "inherit", "inherit"] });
    writeFileSync(done, `${version}\n`);
    process.stderr.write(`installed ${pkg} in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return bin;
}

/** Semgrep at the version in tools/versions.json (npm run scan). */
export function semgrep(): string {
  return pypiProgram("semgrep", toolVersions().semgrep.version);
}

/** checkov at the version in tools/versions.json (npm run infra:check). */
export function checkov(): string {
  return pypiProgram("checkov", toolVersions().checkov.version);
}

/**
 * A wheel from PyPI (without its dependencies), cached by name and checked against its pinned
 * sha256 on every use: a changed file on the index is refused, never used.
 */
export function pypiWheel(pkg: string, version: string, sha256: string): string {
  const dir = join(cacheDir(), "wheels");
  const pattern = new RegExp(`^${pkg.replace(/-/g, "_")}-${version.replace(/\./g, "\\.")}-.*\\.whl$`);
  const find = () => (existsSync(dir) ? readdirSync(dir).find((f) => pattern.test(f)) : undefined);
  if (!find()) {
    // The pip that python3's venv brings (ensurepip) is enough to download a wheel.
    const venv = join(cacheDir(), "pip-venv");
    if (!existsSync(join(venv, "bin", "pip"))) execFileSync("python3", ["-m", "venv", venv], { stdio: ["ignore", "inherit", "inherit"] });
    const pip = join(venv, "bin", "pip");
    process.stderr.write(`downloading ${pkg} ${version} from PyPI (once; cached in ${dir})...\n`);
    execFileSync(pip, ["download", "--quiet", "--disable-pip-version-check", "--no-deps", "--only-binary=:all:", "-d", dir, `${pkg}==${version}`], { stdio: ["ignore", "inherit", "inherit"] });
  }
  const wheel = join(dir, find() ?? "");
  const actual = createHash("sha256").update(readFileSync(wheel)).digest("hex");
  if (actual !== sha256) throw new Error(`${wheel}: sha256 ${actual}, but tools/versions.json pins ${sha256}; delete it if the download was damaged, or review the new release and pin its hash`);
  return wheel;
}

/** kwok at the version in tools/versions.json: fake nodes, and a kubelet-like pod lifecycle driven by stages. */
export function kwok(): string {
  return goInstall("kwok", "sigs.k8s.io/kwok/cmd/kwok", toolVersions().kwok.version);
}

/** argo-eval: Argo Rollouts' own analysis code, pinned by tools/argo-eval/go.mod. */
/** Our OpenTelemetry Collector distribution (tools/otelcol): validates and runs the rendered collector configurations. */
export function otelcol(): string {
  return goBuild("otelcol", join(REPO, "tools", "otelcol"), ".", ["go.mod", "go.sum", "main.go"]);
}

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

/** Where the Go module proxy put a module version (downloaded once into the module cache). */
export function moduleDir(module: string, version: string): string {
  const r = spawnSync("go", ["mod", "download", "-json", `${module}@${version}`], { encoding: "utf8", cwd: cacheDir(), env: goEnv() });
  if (r.error) throw new Error(`the go command is needed to build the validation tools: ${r.error.message}`);
  const info = r.stdout ? (JSON.parse(r.stdout) as { Dir?: string; Error?: string }) : {};
  if (r.status !== 0 || !info.Dir) {
    throw new Error(`cannot download ${module}@${version} from the Go module proxy: ${info.Error ?? r.stderr}`);
  }
  return info.Dir;
}

/** The CRD manifests of every controller we target, read from their Go modules. */
export function crdManifests(): { source: string; text: string }[] {
  return toolVersions().crdSources.flatMap((s) => {
    const dir = moduleDir(s.module, s.version);
    return s.files.map((f) => ({ source: `${s.module}@${s.version}/${f}`, text: readFileSync(join(dir, f), "utf8") }));
  });
}

/**
 * The schema definitions a kube-apiserver of the pinned version serves as OpenAPI v3 (enums
 * included), read once from a throw-away control plane (harness/cluster/served-openapi.ts, in a
 * child process so this stays synchronous) and cached by the Kubernetes and etcd versions.
 */
export function kubernetesDefinitions(): Record<string, never> {
  const v = toolVersions();
  const file = join(cacheDir(), `openapi-v3-${hashOf(v.kubernetes.version, v.etcd.version, readFileSync(join(REPO, "harness", "cluster", "served-openapi.ts"), "utf8"))}.json`);
  if (!existsSync(file)) {
    process.stderr.write(`reading the OpenAPI v3 schemas kube-apiserver ${v.kubernetes.version} serves (once; cached in ${cacheDir()})...\n`);
    const r = spawnSync(process.execPath, ["--import", "tsx", join(REPO, "harness", "cluster", "served-openapi.ts")], { cwd: REPO, encoding: "utf8", maxBuffer: 256 << 20 });
    if (r.error || r.status !== 0) throw new Error(`could not read the served OpenAPI v3 document: ${r.error?.message ?? r.stderr.trim().split("\n").slice(-5).join("\n")}`);
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, r.stdout);
    renameSync(tmp, file);
  }
  return JSON.parse(readFileSync(file, "utf8")) as Record<string, never>;
}
