import type { ToolVersions } from "../lib/versions.ts";

/**
 * Where tools/versions.json and the files that build from it disagree. The sources are passed in
 * (`repo` returns a repository file) so the rules can be tested on edited copies. Each problem names
 * the file and what it should say.
 */
export interface VersionSources {
  /** A repository file, relative to the root. */
  readonly repo: (path: string) => string;
  /** k8s.io/kubernetes' build/dependencies.yaml at the pinned version. */
  readonly kubernetesDependencies: string;
  /** hack/tool-versions.sh of the pinned Argo CD: the Helm and kustomize its image ships. */
  readonly argocdToolVersions: string;
}

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** "go 1.26.10" → [1, 26, 10]; "go1.27.3" → [1, 27, 3]. */
function goVersion(text: string): number[] {
  return text.replace(/^go/, "").split(".").map(Number);
}

function atMost(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
  return true;
}

const WRAPPERS = ["tools/kube/go.mod", "tools/etcd/go.mod", "tools/kubeseal/go.mod", "tools/rollouts/go.mod", "tools/argo-eval/go.mod", "tools/otelcol/go.mod", "tools/argocd/go.mod", "tools/prometheus-operator/go.mod"];

export function versionDrift(v: ToolVersions, src: VersionSources): string[] {
  const problems: string[] = [];
  const expect = (file: string, re: RegExp, what: string) => {
    if (!re.test(src.repo(file))) problems.push(`${file}: should ${what}`);
  };

  // Kubernetes: the wrapper requires the pinned version and points every staging module at its v0.x twin.
  const kube = v.kubernetes.version;
  expect("tools/kube/go.mod", new RegExp(`^require k8s\\.io/kubernetes ${esc(kube)}$`, "m"), `require k8s.io/kubernetes ${kube} (tools/versions.json kubernetes)`);
  const staging = kube.replace(/^v1\./, "v0.");
  const replaces = [...src.repo("tools/kube/go.mod").matchAll(/^\t(k8s\.io\/\S+) => \1 (v\S+)$/gm)];
  if (replaces.length < 20) problems.push(`tools/kube/go.mod: should replace each k8s.io staging module with its published ${staging} (found ${replaces.length})`);
  for (const [, mod, ver] of replaces) if (ver !== staging) problems.push(`tools/kube/go.mod: ${mod} is replaced by ${ver}, should be ${staging} (the staging twin of Kubernetes ${kube})`);
  expect("tools/kube/tools.go", /"k8s\.io\/kubernetes\/cmd\/kube-controller-manager"[\s\S]*"k8s\.io\/kubernetes\/cmd\/kube-scheduler"/, "import the scheduler and the controller manager from the same module as the API server");

  // etcd: the wrapper builds the pinned release, its siblings at the same release, on the line Kubernetes pins.
  const etcd = v.etcd.version;
  expect("tools/etcd/go.mod", new RegExp(`^require ${esc(v.etcd.module)} ${esc(etcd)}$`, "m"), `require ${v.etcd.module} ${etcd} (tools/versions.json etcd)`);
  for (const [, mod, ver] of src.repo("tools/etcd/go.mod").matchAll(/^\t(go\.etcd\.io\/etcd\/\S+) => \1 (v\S+)$/gm)) {
    if (ver !== etcd) problems.push(`tools/etcd/go.mod: ${mod} is replaced by ${ver}, should be ${etcd}`);
  }
  const k8sEtcd = /name: "etcd"\s+version: (\d+)\.(\d+)\.(\d+)/.exec(src.kubernetesDependencies);
  if (!k8sEtcd) problems.push(`k8s.io/kubernetes ${kube} build/dependencies.yaml: no etcd version found`);
  else {
    const [, major, minor, patch] = k8sEtcd.map(Number) as [number, number, number, number];
    const ours = etcd.replace(/^v/, "").split(".").map(Number);
    if (ours[0] !== major || ours[1] !== minor || (ours[2] ?? 0) < patch) {
      problems.push(`tools/versions.json: etcd ${etcd} is not on the line Kubernetes ${kube} pins (${major}.${minor}.x, at least ${major}.${minor}.${patch}, build/dependencies.yaml)`);
    }
  }

  // Argo Rollouts: the evaluator of the gate tests and the e2e's controller are the release whose CRDs we validate against.
  const rollouts = v.crdSources.find((s) => s.module === "github.com/argoproj/argo-rollouts");
  if (!rollouts) problems.push("tools/versions.json: crdSources has no github.com/argoproj/argo-rollouts");
  else for (const f of ["tools/argo-eval/go.mod", "tools/rollouts/go.mod"]) {
    expect(f, new RegExp(`github\\.com/argoproj/argo-rollouts ${esc(rollouts.version)}$`, "m"), `require github.com/argoproj/argo-rollouts ${rollouts.version}`);
  }

  // Argo CD: the GitOps e2e runs the release whose CRDs we validate Applications and AppProjects against.
  const argocd = v.crdSources.find((s) => s.module === "github.com/argoproj/argo-cd/v3");
  if (!argocd) problems.push("tools/versions.json: crdSources has no github.com/argoproj/argo-cd/v3");
  else expect("tools/argocd/go.mod", new RegExp(`^require github\\.com/argoproj/argo-cd/v3 ${esc(argocd.version)}$`, "m"), `require github.com/argoproj/argo-cd/v3 ${argocd.version}`);

  // prometheus-operator: the e2e's operator, which writes the gate's Prometheus configuration, is the add-on release the stages sync.
  const pin = v.addons["prometheus-operator"];
  const operator = typeof pin === "object" ? pin.version : undefined;
  if (!operator) problems.push("tools/versions.json: addons has no prometheus-operator");
  else expect("tools/prometheus-operator/go.mod", new RegExp(`^require github\\.com/prometheus-operator/prometheus-operator ${esc(operator)}$`, "m"), `require github.com/prometheus-operator/prometheus-operator ${operator} (tools/versions.json addons)`);

  // The repo-server's Helm and kustomize are the ones the pinned Argo CD's image ships: charts and
  // kustomizations render in the e2e as they do in a real install.
  for (const [tool, key] of [["helm", "helm4_version"], ["kustomize", "kustomize5_version"]] as const) {
    const shipped = new RegExp(`^${key}=(\\S+)$`, "m").exec(src.argocdToolVersions)?.[1];
    if (!shipped) problems.push(`argo-cd ${argocd?.version ?? ""} hack/tool-versions.sh: no ${key}`);
    else if (v[tool].version !== `v${shipped}`) problems.push(`tools/versions.json: ${tool} ${v[tool].version} should be v${shipped}, the one Argo CD ${argocd?.version ?? ""} ships (hack/tool-versions.sh ${key})`);
  }

  // The collector that validates and runs the rendered configurations is the version the catalog's image names.
  for (const mod of ["go.opentelemetry.io/collector/otelcol", "github.com/open-telemetry/opentelemetry-collector-contrib/processor/tailsamplingprocessor"]) {
    expect("tools/otelcol/go.mod", new RegExp(`${esc(mod)} ${esc(v.otelcol.version)}$`, "m"), `require ${mod} ${v.otelcol.version}`);
  }
  expect("engine/catalog.yaml", new RegExp(`OpenTelemetry Collector ${esc(v.otelcol.version)}\\b`), `name OpenTelemetry Collector ${v.otelcol.version}`);

  // kubeseal seals for the controller whose CRD we validate SealedSecrets against.
  const sealed = v.crdSources.find((s) => s.module === "github.com/bitnami-labs/sealed-secrets");
  if (sealed?.version !== v.kubeseal.version) problems.push(`tools/versions.json: kubeseal ${v.kubeseal.version} should equal the sealed-secrets CRD version ${sealed?.version ?? "(none)"}`);
  expect("tools/kubeseal/go.mod", new RegExp(`^replace ${esc("github.com/bitnami/sealed-secrets => github.com/bitnami-labs/sealed-secrets")} ${esc(v.kubeseal.version)}$`, "m"), `build kubeseal ${v.kubeseal.version} (its replace)`);

  // The pinned toolchain can build every wrapper (its go line is not newer), and every entry point exports it.
  const toolchain = goVersion(v.goToolchain.version);
  for (const f of WRAPPERS) {
    const line = /^go (\S+)$/m.exec(src.repo(f))?.[1];
    if (!line) problems.push(`${f}: has no go line`);
    else if (!atMost(goVersion(line), toolchain)) problems.push(`${f}: go ${line} is newer than the pinned toolchain ${v.goToolchain.version}`);
  }
  for (const f of [".ci/run", "scripts/setup.sh"]) {
    expect(f, /^GOTOOLCHAIN="\$\(node -p 'require\("\.\/tools\/versions\.json"\)\.goToolchain\.version'\)"\nexport GOTOOLCHAIN$/m, "export GOTOOLCHAIN from tools/versions.json");
  }

  // The typed models: package.json pins exactly the versions named here, and names no model the file does not.
  const pkg = JSON.parse(src.repo("package.json")) as { dependencies: Record<string, string> };
  const models = Object.entries(v.models).filter(([, m]) => typeof m !== "string") as [string, { version: string }][];
  for (const [name, m] of models) {
    if (pkg.dependencies[name] !== m.version) problems.push(`package.json: ${name} is ${pkg.dependencies[name] ?? "missing"}, tools/versions.json says ${m.version}`);
  }
  for (const name of Object.keys(pkg.dependencies)) {
    if ((name === "kubernetes-models" || name.startsWith("@kubernetes-models/") || name.startsWith("cdk8s-plus-") || name === "cdktn" || name.startsWith("@cdktn/")) && !models.some(([n]) => n === name)) {
      problems.push(`package.json: ${name} is not in tools/versions.json models`);
    }
  }
  return problems;
}
