// One place for versions: tools/versions.json. The Go wrapper modules that build the platform, the
// typed models in package.json, the entry points that export the Go toolchain and the Versions
// tables of docs/versions.md must all say what it says; each rule is also shown failing on an edited copy.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./helpers/repo.ts";
import { versionDrift, type VersionSources } from "../checks/versions.ts";
import { modelsTable, pinnedAddons, pinnedPrograms, versionsTable } from "../scripts/lib/versions-table.ts";
import { etcd, helm, kubeseal, kustomize, prometheus, prometheusRelease, promtool } from "../toolchain/cluster.ts";
import { moduleDir } from "../toolchain/build.ts";
import { toolVersions, type ToolVersions } from "../lib/versions.ts";

const v = toolVersions();
const sources = (edits: Record<string, (text: string) => string> = {}): VersionSources => ({
  repo: (path) => (edits[path] ?? ((t) => t))(readFileSync(join(ROOT, path), "utf8")),
  kubernetesDependencies: readFileSync(join(moduleDir("k8s.io/kubernetes", v.kubernetes.version), "build", "dependencies.yaml"), "utf8"),
  argocdToolVersions: readFileSync(join(moduleDir("github.com/argoproj/argo-cd/v3", v.crdSources.find((c) => c.module === "github.com/argoproj/argo-cd/v3")!.version), "hack", "tool-versions.sh"), "utf8"),
});
const edited = (change: (x: any) => void): ToolVersions => {
  const copy = structuredClone(v) as any;
  change(copy);
  return copy as ToolVersions;
};

test("the Go wrapper modules, package.json and the entry points agree with tools/versions.json", () => {
  assert.deepEqual(versionDrift(v, sources()), []);
});

test("each disagreement is named with its file", () => {
  const cases: [string, ToolVersions, VersionSources, RegExp][] = [
    ["another Kubernetes patch", edited((x) => { x.kubernetes.version = "v1.36.2"; }), sources(), /^tools\/kube\/go\.mod: should require k8s\.io\/kubernetes v1\.36\.2/m],
    ["one staging module left behind", v, sources({ "tools/kube/go.mod": (t) => t.replace("k8s.io/api => k8s.io/api v0.36.3", "k8s.io/api => k8s.io/api v0.36.2") }), /^tools\/kube\/go\.mod: k8s\.io\/api is replaced by v0\.36\.2, should be v0\.36\.3/m],
    ["etcd off the line Kubernetes pins", edited((x) => { x.etcd.version = "v3.5.21"; }), sources(), /^tools\/versions\.json: etcd v3\.5\.21 is not on the line Kubernetes v1\.36\.3 pins \(3\.6\.x, at least 3\.6\.8/m],
    ["etcd older than Kubernetes' pin", edited((x) => { x.etcd.version = "v3.6.7"; }), sources(), /etcd v3\.6\.7 is not on the line/],
    ["an etcd sibling module at another release", v, sources({ "tools/etcd/go.mod": (t) => t.replace("go.etcd.io/etcd/api/v3 => go.etcd.io/etcd/api/v3 v3.6.16", "go.etcd.io/etcd/api/v3 => go.etcd.io/etcd/api/v3 v3.6.15") }), /^tools\/etcd\/go\.mod: go\.etcd\.io\/etcd\/api\/v3 is replaced by v3\.6\.15, should be v3\.6\.16/m],
    ["the gate evaluator on another Argo Rollouts", v, sources({ "tools/argo-eval/go.mod": (t) => t.replace(/argo-rollouts v1\.10\.2$/m, "argo-rollouts v1.9.1") }), /^tools\/argo-eval\/go\.mod: should require github\.com\/argoproj\/argo-rollouts v1\.10\.2/m],
    ["kubeseal for another controller", edited((x) => { x.kubeseal.version = "v0.27.1"; }), sources(), /kubeseal v0\.27\.1 should equal the sealed-secrets CRD version v0\.40\.0/],
    ["kubeseal built from another release", v, sources({ "tools/kubeseal/go.mod": (t) => t.replace("bitnami-labs/sealed-secrets v0.40.0", "bitnami-labs/sealed-secrets v0.39.0") }), /^tools\/kubeseal\/go\.mod: should build kubeseal v0\.40\.0/m],
    ["a wrapper that needs a newer Go than the pinned toolchain", v, sources({ "tools/rollouts/go.mod": (t) => t.replace(/^go \S+$/m, "go 1.28.0") }), /^tools\/rollouts\/go\.mod: go 1\.28\.0 is newer than the pinned toolchain go1\.27\.3/m],
    ["CI that does not export the toolchain", v, sources({ ".ci/run": (t) => t.replace("export GOTOOLCHAIN", "") }), /^\.ci\/run: should export GOTOOLCHAIN/m],
    ["a typed model at another version", v, sources({ "package.json": (t) => t.replace('"kubernetes-models": "5.1.0"', '"kubernetes-models": "4.5.1"') }), /^package\.json: kubernetes-models is 4\.5\.1, tools\/versions\.json says 5\.1\.0/m],
    ["a typed model the file does not know", v, sources({ "package.json": (t) => t.replace('"ajv":', '"@kubernetes-models/velero": "1.0.0",\n    "ajv":') }), /^package\.json: @kubernetes-models\/velero is not in tools\/versions\.json models/m],
    ["a Helm Argo CD does not ship", edited((x) => { x.helm.version = "v4.3.2"; }), sources(), /^tools\/versions\.json: helm v4\.3\.2 should be v4\.2\.1, the one Argo CD v3\.5\.7 ships \(hack\/tool-versions\.sh helm4_version\)/m],
    ["a kustomize Argo CD does not ship", edited((x) => { x.kustomize.version = "v5.8.3"; }), sources(), /^tools\/versions\.json: kustomize v5\.8\.3 should be v5\.8\.1/m],
    ["the catalog names another collector", edited((x) => { x.otelcol.version = "v0.165.0"; }), sources(), /^engine\/catalog\.yaml: should name OpenTelemetry Collector v0\.165\.0/m],
  ];
  for (const [name, versions, src, expected] of cases) {
    const problems = versionDrift(versions, src).join("\n");
    assert.match(problems, expected, name);
  }
});

test("the Versions tables of docs/versions.md are the ones tools/versions.json makes (npm run versions prints them)", () => {
  const doc = readFileSync(join(ROOT, "docs", "versions.md"), "utf8");
  assert.ok(doc.includes(versionsTable()), "docs/versions.md does not hold `npm run versions`' first table");
  assert.ok(doc.includes(modelsTable()), "docs/versions.md does not hold `npm run versions`' models table");
  // The table shows every entry, with its name and version: a new program or CRD source cannot be missing from it.
  const rows = versionsTable().split("\n").slice(2);
  for (const p of [...pinnedPrograms(v), ...v.crdSources, ...pinnedAddons(v)]) assert.ok(rows.some((r) => r.startsWith(`| ${p.name} | ${p.version} |`)), p.name);
  const addons = Object.keys(v.addons).filter((k) => !k.startsWith("$")).length;
  assert.equal(rows.length, Object.keys(v).filter((k) => !k.startsWith("$") && k !== "crdSources" && k !== "addons" && k !== "models").length + v.crdSources.length + addons);
  // An entry without its reason cannot slip out of the table unnoticed.
  assert.throws(() => versionsTable(edited((x) => { delete x.kwok.why; })), /tools\/versions\.json: kwok has no why/);
  // A changed why is a changed table.
  assert.notEqual(versionsTable(edited((x) => { x.kwok.why = "another reason"; })), versionsTable());
});

test("the built programs report the pinned releases", () => {
  assert.equal(prometheusRelease(), "3.16.0");
  for (const bin of [prometheus(), promtool()]) {
    const out = spawnSync(bin, ["--version"], { encoding: "utf8" });
    assert.match(out.stdout + out.stderr, new RegExp(`version ${prometheusRelease().replace(/\./g, "\\.")}\\b`), bin);
  }
  const e = spawnSync(etcd(), ["--version"], { encoding: "utf8" });
  assert.match(e.stdout, new RegExp(`^etcd Version: ${v.etcd.version.replace(/^v/, "").replace(/\./g, "\\.")}$`, "m"));
  assert.equal(spawnSync(kubeseal(), ["--version"], { encoding: "utf8" }).stdout.trim(), `kubeseal version: ${v.kubeseal.version}`);
  // The repo-server's tools: Argo CD reads `helm version` and `kustomize version` (util/helm, util/kustomize).
  assert.match(spawnSync(helm(), ["version", "--short"], { encoding: "utf8" }).stdout.trim(), new RegExp(`^${v.helm.version.replace(/\./g, "\\.")}\\b`));
  assert.equal(spawnSync(kustomize(), ["version"], { encoding: "utf8" }).stdout.trim(), v.kustomize.version);
});
