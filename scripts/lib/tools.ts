import { createHash } from "node:crypto";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The real programs that check what we render. Go programs are built from the Go module proxy at the
 * versions pinned in tools/ and cached outside the repository, keyed by version and source, so a warm
 * run builds nothing. Debian programs are found on PATH; `npm run setup` (scripts/setup.sh) installs them.
 */

export const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface CrdSource {
  /** Go module that ships the CRD manifests. */
  readonly module: string;
  /** Module version: the version of the controller we target. */
  readonly version: string;
  /** CRD manifest paths inside the module. */
  readonly files: readonly string[];
}

export interface ToolVersions {
  readonly kubernetes: string;
  readonly kubeconform: string;
  readonly kwok: string;
  readonly otelcol: string;
  readonly kubeseal: string;
  readonly etcd: { readonly debianPackage: string; readonly minimum: string };
  readonly crdSources: readonly CrdSource[];
}

export function toolVersions(): ToolVersions {
  return JSON.parse(readFileSync(join(REPO, "tools", "versions.json"), "utf8")) as ToolVersions;
}

export function cacheDir(): string {
  const dir = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "bitactor-gitops");
  mkdirSync(dir, { recursive: true });
  return dir;
}

function goVersion(): string {
  const r = spawnSync("go", ["env", "GOVERSION"], { encoding: "utf8" });
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
  try {
    build(tmp);
    renameSync(tmp, out);
  } finally {
    rmSync(tmp, { force: true });
  }
  return out;
}

function goBuild(name: string, moduleDir: string, pkg: string, sources: readonly string[], ldflags: readonly string[] = []): string {
  const key = hashOf(goVersion(), pkg, ...ldflags, ...sources.map((f) => readFileSync(join(moduleDir, f), "utf8")));
  return cached(name, key, (out) => {
    execFileSync("go", ["build", "-trimpath", `-ldflags=-s -w ${ldflags.join(" ")}`, "-o", out, pkg], { cwd: moduleDir, stdio: ["ignore", "inherit", "inherit"] });
  });
}

/**
 * The version stamps Kubernetes' own release build sets (hack/lib/version.sh). Without them the
 * programs report major/minor "" and clients that parse /version fail (Argo Rollouts' controller
 * exits with `strconv.Atoi: parsing ""`).
 */
function kubernetesVersionFlags(): string[] {
  const v = toolVersions().kubernetes;
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

/** The Argo Rollouts controller at the version we target, pinned by tools/rollouts/go.mod. */
export function rolloutsController(): string {
  const v = toolVersions().crdSources.find((c) => c.module === "github.com/argoproj/argo-rollouts")!.version;
  // The stamp Argo's Makefile sets; the controller logs it at start-up.
  return goBuild("rollouts-controller", join(REPO, "tools", "rollouts"), "github.com/argoproj/argo-rollouts/cmd/rollouts-controller", ["go.mod", "go.sum"], [
    `-X github.com/argoproj/argo-rollouts/utils/version.version=${v}`,
  ]);
}

/** `go install module/cmd@version` into the cache: for commands whose own go.mod builds as is. */
function goInstall(name: string, pkg: string, version: string): string {
  return cached(name, hashOf(goVersion(), pkg, version), (out) => {
    const bin = `${out}.d`;
    try {
      execFileSync("go", ["install", `${pkg}@${version}`], { env: { ...process.env, GOBIN: bin }, stdio: ["ignore", "inherit", "inherit"] });
      renameSync(join(bin, name), out);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
}

/** kubeseal at the version in tools/versions.json: seals a value for one region's sealed-secrets controller. */
export function kubeseal(): string {
  return goInstall("kubeseal", "github.com/bitnami-labs/sealed-secrets/cmd/kubeseal", toolVersions().kubeseal);
}

/** kubeconform at the version in tools/versions.json. */
export function kubeconform(): string {
  return goInstall("kubeconform", "github.com/yannh/kubeconform/cmd/kubeconform", toolVersions().kubeconform);
}

/** kwok at the version in tools/versions.json: fake nodes, and a kubelet-like pod lifecycle driven by stages. */
export function kwok(): string {
  return goInstall("kwok", "sigs.k8s.io/kwok/cmd/kwok", toolVersions().kwok);
}

/** argo-eval: Argo Rollouts' own analysis code, pinned by tools/argo-eval/go.mod. */
/** Our OpenTelemetry Collector distribution (tools/otelcol): validates and runs the rendered collector configurations. */
export function otelcol(): string {
  return goBuild("otelcol", join(REPO, "tools", "otelcol"), ".", ["go.mod", "go.sum", "main.go"]);
}

export function argoEval(): string {
  return goBuild("argo-eval", join(REPO, "tools", "argo-eval"), ".", ["go.mod", "go.sum", "main.go"]);
}

function versionAtLeast(have: string, min: string): boolean {
  const a = have.split(".").map(Number);
  const b = min.split(".").map(Number);
  for (let i = 0; i < b.length; i++) if ((a[i] ?? 0) !== b[i]) return (a[i] ?? 0) > b[i]!;
  return true;
}

/** etcd from Debian's etcd-server package; refuses a version Kubernetes does not support. */
export function etcd(): string {
  const { etcd: want } = toolVersions();
  const r = spawnSync("etcd", ["--version"], { encoding: "utf8" });
  if (r.error) throw new Error(`etcd not found: install Debian's ${want.debianPackage} package (npm run setup does this)`);
  const have = /etcd Version: (\d+\.\d+\.\d+)/.exec(r.stdout)?.[1];
  if (!have || !versionAtLeast(have, want.minimum)) {
    throw new Error(`etcd ${have ?? "(unknown version)"} is older than ${want.minimum}, the minimum for Kubernetes ${toolVersions().kubernetes}`);
  }
  return "etcd";
}

/** Where the Go module proxy put a module version (downloaded once into the module cache). */
export function moduleDir(module: string, version: string): string {
  const r = spawnSync("go", ["mod", "download", "-json", `${module}@${version}`], { encoding: "utf8", cwd: cacheDir() });
  const info = r.stdout ? (JSON.parse(r.stdout) as { Dir?: string; Error?: string }) : {};
  if (r.error || r.status !== 0 || !info.Dir) {
    throw new Error(`cannot download ${module}@${version} from the Go module proxy: ${info.Error ?? r.error?.message ?? r.stderr}`);
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

/** The definitions of Kubernetes' own OpenAPI v2 document for the pinned version (k8s.io/kubernetes module). */
export function kubernetesDefinitions(): Record<string, never> {
  const v = toolVersions().kubernetes;
  const text = readFileSync(join(moduleDir("k8s.io/kubernetes", v), "api/openapi-spec/swagger.json"), "utf8");
  return (JSON.parse(text) as { definitions: Record<string, never> }).definitions;
}
