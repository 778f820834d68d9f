// The two validation layers: kubeconform with strict schemas, offline, and a real
// kube-apiserver's strict server-side dry-run. Each broken object below must be rejected by the layer
// that can see the problem; where a layer cannot (CEL rules on updates), the test pins that it
// accepts, so the table of which layer catches what (docs/validation.md) stays true.
// Over 300 lines: the broken-object table and each layer's verdict on it must stay side by side (docs/validation.md is made of it).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { orphanedControlPlaneProcesses, descendants, stillRunning, until, type Proc } from "./helpers/processes.ts";
import { ROOT, edit, removeRepo, scratchRepo } from "./helpers/repo.ts";
import { crdSchemas, kindSuffix, kubernetesSchemas } from "../checks/kube-schemas.ts";
import { runKubeconform } from "../harness/kubeconform.ts";
import { startControlPlane, type ControlPlane } from "../harness/cluster/control-plane.ts";
import { STRICT_DRY_RUN, dryRun, dryRunAll, installCrds } from "../harness/cluster/dry-run.ts";
import { statusMessage } from "../harness/cluster/client.ts";
import { targetCrds } from "../toolchain/sources.ts";
import { type KubeObject } from "../lib/objects.ts";
import { kubernetesDefinitions } from "../harness/cluster/definitions.ts";
import { toolVersions } from "../lib/versions.ts";

const DIR = "rollouts/production/us-east-1/order-engine";
const load = (path: string): KubeObject => parse(readFileSync(join(ROOT, path), "utf8")) as KubeObject;
const rollout = () => load(`${DIR}/rollout-order-engine.yaml`);
const service = () => load(`${DIR}/service-order-engine-preview.yaml`);
const template = () => load(`${DIR}/analysistemplate-order-engine-pre-promotion.yaml`);
const application = () => {
  const dir = join(ROOT, "apps");
  const file = readdirSync(dir, { recursive: true }).map(String).find((f) => f.endsWith(".yaml") && f.includes("application-"));
  assert.ok(file, "a rendered Application under apps/");
  return load(join("apps", file));
};
/**
 * Accepted by Kubernetes 1.36 with a Warning header: the alpha seccomp annotation has done nothing
 * since 1.27 (pkg/api/pod/warnings.go). No deprecated API version is still served by 1.36 to warn with.
 */
const DEPRECATED: KubeObject = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "bitactor-deprecated", namespace: "default" },
  spec: {
    selector: { matchLabels: { app: "deprecated" } },
    template: {
      metadata: { labels: { app: "deprecated" }, annotations: { "seccomp.security.alpha.kubernetes.io/pod": "runtime/default" } },
      spec: { containers: [{ name: "c", image: "registry.bitactor.internal/pause@sha256:" + "0".repeat(64) }] },
    },
  },
};
const SECCOMP_WARNING = '299 - "spec.template.metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]: non-functional in v1.27+; use the \\"seccompProfile\\" field instead"';
const serviceMonitor = (): KubeObject => ({
  apiVersion: "monitoring.coreos.com/v1",
  kind: "ServiceMonitor",
  metadata: { name: "order-engine", namespace: "production-us-east-1" },
  spec: { selector: { matchLabels: { "app.kubernetes.io/name": "order-engine" } }, endpoints: [{ port: "metrics", interval: "1s", scheme: "http" }] },
});

/** Applies `change` to a copy of `o` and returns it. */
function broken(o: KubeObject, change: (x: any) => void): KubeObject {
  const copy = structuredClone(o);
  change(copy);
  return copy;
}

function kubeconformOn(objects: readonly KubeObject[]) {
  const dir = mkdtempSync(join(tmpdir(), "bitactor-kubeconform-"));
  try {
    objects.forEach((o, i) => writeFileSync(join(dir, `${i}.yaml`), stringify(o)));
    return runKubeconform(["."], dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Case {
  readonly name: string;
  readonly object: KubeObject;
  /** What kubeconform must say, or null when it cannot see this problem and must accept. */
  readonly kubeconform: RegExp | null;
  /** What the API server must say. */
  readonly server: RegExp;
}

const CASES: readonly Case[] = [
  {
    name: "unknown field in a core object",
    object: broken(service(), (s) => { s.spec.selectr = s.spec.selector; }),
    kubeconform: /\/spec: additional properties 'selectr' not allowed/,
    server: /strict decoding error: unknown field "spec\.selectr"/,
  },
  {
    name: "unknown field deep in a custom resource",
    object: broken(rollout(), (r) => { r.spec.strategy.blueGreen.autoPromotionEnabeld = false; }),
    kubeconform: /\/spec\/strategy\/blueGreen: additional properties 'autoPromotionEnabeld' not allowed/,
    server: /unknown field "spec\.strategy\.blueGreen\.autoPromotionEnabeld"/,
  },
  {
    name: "unknown metadata field in a custom resource (checked as ObjectMeta)",
    object: broken(template(), (t) => { t.metadata.label = { a: "b" }; }),
    kubeconform: /\/metadata: additional properties 'label' not allowed/,
    server: /unknown field "metadata\.label"/,
  },
  {
    name: "wrong type in a custom resource",
    object: broken(rollout(), (r) => { r.spec.replicas = String(r.spec.replicas); }),
    kubeconform: /\/spec\/replicas: got string, want integer/,
    server: /spec\.replicas: Invalid value: "string": spec\.replicas in body must be of type integer/,
  },
  {
    name: "wrong type in a core object",
    object: broken(service(), (s) => { s.spec.ports[0].port = "9000"; }),
    kubeconform: /\/spec\/ports\/0\/port: got string, want integer/,
    server: /cannot unmarshal string into Go struct field ServicePort\.spec\.ports\.port of type int32/,
  },
  {
    name: "invalid enum in a custom resource",
    object: broken(serviceMonitor(), (m) => { m.spec.endpoints[0].scheme = "ftp"; }),
    kubeconform: /\/spec\/endpoints\/0\/scheme: value must be one of/,
    server: /spec\.endpoints\[0\]\.scheme: Unsupported value: "ftp"/,
  },
  {
    name: "invalid enum in a core object (the served OpenAPI v3 carries Kubernetes' enums)",
    object: broken(service(), (s) => { s.spec.type = "Loadbalancer"; }),
    kubeconform: /\/spec\/type: value must be one of 'ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'/,
    server: /spec\.type: Unsupported value: "Loadbalancer"/,
  },
  {
    name: "missing required field in a custom resource",
    object: broken(application(), (a) => { delete a.spec.project; }),
    kubeconform: /\/spec: missing property 'project'/,
    server: /spec\.project: Required value/,
  },
  {
    name: "missing required field in a core object",
    object: broken(service(), (s) => { delete s.spec.ports[0].port; }),
    kubeconform: /\/spec\/ports\/0: missing property 'port'/,
    // The server decodes a missing int32 as 0 and then range-checks it.
    server: /spec\.ports\[0\]\.port: Invalid value: 0: must be between 1 and 65535/,
  },
  {
    name: "a kind nobody publishes a schema for",
    object: { apiVersion: "bitactor.internal/v1", kind: "Widget", metadata: { name: "w", namespace: "default" } },
    kubeconform: /could not find schema for Widget/,
    server: /the server does not know Widget in bitactor\.internal\/v1/,
  },
];

describe("schema generation", () => {
  test("kubeconform's KindSuffix: first label of the group, then the version", () => {
    assert.equal(kindSuffix("v1"), "-v1");
    assert.equal(kindSuffix("apps/v1"), "-apps-v1");
    assert.equal(kindSuffix("networking.k8s.io/v1"), "-networking-v1");
    assert.equal(kindSuffix("policy/v1"), "-policy-v1");
  });

  const definitions = kubernetesDefinitions();
  const k8s = kubernetesSchemas(definitions, toolVersions().kubernetes.version);
  const crds = crdSchemas(targetCrds(), definitions);

  test("one strict schema per Kubernetes kind and per served CRD version we target", () => {
    const paths = new Set([...k8s, ...crds].map((f) => f.path));
    for (const p of [
      "v1.36.3-standalone-strict/service-v1.json",
      "v1.36.3-standalone-strict/deployment-apps-v1.json",
      "v1.36.3-standalone-strict/poddisruptionbudget-policy-v1.json",
      "v1.36.3-standalone-strict/networkpolicy-networking-v1.json",
      "crds/argoproj.io/rollout_v1alpha1.json",
      "crds/argoproj.io/analysistemplate_v1alpha1.json",
      "crds/argoproj.io/application_v1alpha1.json",
      "crds/argoproj.io/applicationset_v1alpha1.json",
      "crds/argoproj.io/appproject_v1alpha1.json",
      "crds/monitoring.coreos.com/servicemonitor_v1.json",
      "crds/monitoring.coreos.com/podmonitor_v1.json",
      "crds/monitoring.coreos.com/prometheusrule_v1.json",
    ]) assert.ok(paths.has(p), p);
    assert.equal(paths.size, k8s.length + crds.length, "no two schemas share a path");
  });

  test("every object with properties is closed unless the source says it preserves unknown fields", () => {
    const open: string[] = [];
    const walk = (n: unknown, at: string) => {
      if (Array.isArray(n)) return n.forEach((x, i) => walk(x, `${at}/${i}`));
      if (typeof n !== "object" || n === null) return;
      const o = n as Record<string, unknown>;
      if (o.properties && o.additionalProperties === undefined && o["x-kubernetes-preserve-unknown-fields"] !== true) open.push(at);
      for (const [k, v] of Object.entries(o)) if (k !== "enum" && k !== "default" && k !== "example") walk(v, `${at}/${k}`);
    };
    for (const f of [...k8s, ...crds]) walk(f.schema, f.path);
    assert.deepEqual(open, []);
  });

  test("int-or-string and Quantity accept what the API server decodes", () => {
    const svc = k8s.find((f) => f.path.endsWith("/service-v1.json"))!.schema as any;
    assert.deepEqual(svc.definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"].oneOf, [{ type: "string" }, { type: "integer" }]);
    const pod = k8s.find((f) => f.path.endsWith("/pod-v1.json"))!.schema as any;
    assert.deepEqual(pod.definitions["io.k8s.apimachinery.pkg.api.resource.Quantity"].oneOf, [{ type: "string" }, { type: "number" }]);
  });
});

// The whole rendered tree goes through both layers in `npm test` itself (npm run validate and
// validate:server in scripts/test.sh); here, each layer is shown to fail.
describe("kubeconform layer", () => {
  for (const c of CASES) {
    test(`${c.kubeconform ? "rejects" : "cannot see"}: ${c.name}`, () => {
      const report = kubeconformOn([c.object]);
      if (c.kubeconform === null) {
        assert.deepEqual(report.problems, []);
      } else {
        assert.equal(report.problems.length, 1);
        assert.match(report.problems[0]!.message, c.kubeconform);
      }
    });
  }

  test("rejects duplicate keys (-strict)", () => {
    const dir = mkdtempSync(join(tmpdir(), "bitactor-kubeconform-"));
    try {
      writeFileSync(join(dir, "dup.yaml"), readFileSync(join(ROOT, DIR, "service-order-engine-preview.yaml"), "utf8").replace(/^spec:\n/m, "spec:\n  type: ClusterIP\n  type: NodePort\n"));
      const report = runKubeconform(["."], dir);
      assert.equal(report.problems.length, 1);
      assert.match(report.problems[0]!.message, /already set in map|duplicate/i);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("API server layer", () => {
  let cp: ControlPlane;
  before(async () => {
    cp = await startControlPlane();
    await installCrds(cp.client, targetCrds());
    for (const ns of ["production-us-east-1", "argocd"]) await cp.client.request("POST", "/api/v1/namespaces", { metadata: { name: ns } });
  });
  after(async () => {
    const dir = cp?.dir;
    const pids = cp?.processes.map((p) => p.child.pid!) ?? [];
    await cp?.stop();
    // Teardown leaves nothing behind: no process, no files.
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/, `process ${pid} still alive`);
    if (dir) assert.equal(existsSync(dir), false);
  });

  test("a Namespace and a CRD in the tree come before the objects that need them, in any file order", async () => {
    const crd = targetCrds().find((c) => c.object.metadata.name === "servicemonitors.monitoring.coreos.com")!.object;
    const ours = broken(crd, (c) => {
      c.metadata.name = "gizmos.ordering.bitactor.internal";
      c.spec.group = "ordering.bitactor.internal";
      c.spec.names = { kind: "Gizmo", listKind: "GizmoList", plural: "gizmos", singular: "gizmo" };
    });
    const gizmo = (spec: unknown): KubeObject => ({ apiVersion: "ordering.bitactor.internal/v1", kind: "Gizmo", metadata: { name: "g", namespace: "fresh-ns" }, spec });
    const good = gizmo({ selector: {}, endpoints: [{ port: "metrics" }] });
    const bad = gizmo({ selector: {}, endpoints: [{ port: "metrics", bogus: 1 }] });
    const verdicts = await dryRunAll(cp.client, [
      { file: "good.yaml", object: good },
      { file: "bad.yaml", object: bad },
      { file: "crd.yaml", object: ours },
      { file: "ns.yaml", object: { apiVersion: "v1", kind: "Namespace", metadata: { name: "fresh-ns" } } },
    ]);
    assert.deepEqual(verdicts.map((v) => [v.file, v.accepted]), [["ns.yaml", true], ["crd.yaml", true], ["good.yaml", true], ["bad.yaml", false]]);
    assert.match(verdicts[3]!.message!, /unknown field "spec\.endpoints\[0\]\.bogus"/);
  });

  test("the server's Warning headers come back with the verdict", async () => {
    const v = await dryRun(cp.client, { file: "fs.yaml", object: DEPRECATED });
    assert.equal(v.accepted, true, v.message);
    assert.deepEqual(v.warnings, [SECCOMP_WARNING]);
  });

  for (const c of CASES) {
    test(`rejects: ${c.name}`, async () => {
      const v = await dryRun(cp.client, { file: "case.yaml", object: c.object });
      assert.equal(v.accepted, false);
      assert.match(v.message ?? "", c.server);
    });
  }

  test("rejects: a CRD's CEL rule (Rollout .spec.selector is immutable), which no schema check can see", async () => {
    const r = rollout();
    r.metadata.name = "cel-immutable-selector";
    const path = `/apis/argoproj.io/v1alpha1/namespaces/${r.metadata.namespace}/rollouts`;
    const created = await cp.client.request("POST", path, r);
    assert.equal(created.status, 201, statusMessage(created));
    const stored = created.body as any;
    const moved = broken(stored, (x) => { x.spec.selector.matchLabels.extra = "label"; x.spec.template.metadata.labels.extra = "label"; });
    const update = await cp.client.request("PUT", `${path}/${r.metadata.name}?${STRICT_DRY_RUN}`, moved);
    assert.equal(update.status, 422);
    assert.match(statusMessage(update), /spec\.selector: Invalid value: \.spec\.selector is immutable/);
    // The same change to anything but the selector is allowed: the rule is about the selector.
    const scaled = broken(stored, (x) => { x.spec.replicas += 1; });
    const ok = await cp.client.request("PUT", `${path}/${r.metadata.name}?${STRICT_DRY_RUN}`, scaled);
    assert.equal(ok.status, 200, statusMessage(ok));
    // kubeconform sees one object at a time, never the stored one: it accepts the moved selector.
    assert.deepEqual(kubeconformOn([moved]).problems, []);
  });
});

describe("npm run validate / validate:server", () => {
  test("both exit 1 on a broken rendered object and name it with the tool's own message; nothing is left running", async () => {
    const dir = await scratchRepo();
    try {
      await edit(dir, `${DIR}/service-order-engine-preview.yaml`, (t) => t.replace(/^  selector:/m, "  selectr:"));
      writeFileSync(join(dir, "apps", "deployment-deprecated.yaml"), stringify(DEPRECATED));
      const tsx = import.meta.resolve("tsx");
      const kc = spawnSync(process.execPath, ["--import", tsx, join(ROOT, "scripts/validate.ts")], { cwd: dir, encoding: "utf8" });
      assert.equal(kc.status, 1, kc.stderr);
      assert.match(kc.stdout, /REJECTED rollouts\/production\/us-east-1\/order-engine\/service-order-engine-preview\.yaml: Service\/order-engine-preview/);
      assert.match(kc.stdout, /additional properties 'selectr' not allowed/);
      assert.match(kc.stdout, /: \d+ objects accepted, 1 rejected$/m);

      const srv = spawnSync(process.execPath, ["--import", tsx, join(ROOT, "scripts/validate-server.ts")], { cwd: dir, encoding: "utf8" });
      assert.equal(srv.status, 1, srv.stderr);
      assert.match(srv.stdout + srv.stderr, /REJECTED rollouts\/production\/us-east-1\/order-engine\/service-order-engine-preview\.yaml: Service production-us-east-1\/order-engine-preview\n  Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec\.selectr"/);
      assert.ok(srv.stdout.split("\n").includes(`WARNING  apps/deployment-deprecated.yaml: Deployment default/bitactor-deprecated: ${SECCOMP_WARNING}`), srv.stdout);
      assert.match(srv.stdout + srv.stderr, /\d+ objects accepted, 1 rejected/);
      assert.equal(orphanedControlPlaneProcesses(), "", "no etcd or kube-apiserver left running");
    } finally {
      await removeRepo(dir);
    }
  });

  test("npm run validate fails when kubeconform checked fewer objects than the tree holds", async () => {
    const dir = await scratchRepo();
    try {
      // kubeconform reads only .yaml/.yml/.json files: a document it never sees must not pass silently.
      writeFileSync(join(dir, "apps", "stray.txt"), stringify(DEPRECATED));
      const r = spawnSync(process.execPath, ["--import", import.meta.resolve("tsx"), join(ROOT, "scripts/validate.ts")], { cwd: dir, encoding: "utf8" });
      assert.equal(r.status, 1);
      assert.match(r.stderr, /kubeconform checked (\d+) objects but the rendered tree has (\d+)/);
      const [, seen, all] = /checked (\d+) objects but the rendered tree has (\d+)/.exec(r.stderr)!;
      assert.equal(Number(all), Number(seen) + 1);
    } finally {
      await removeRepo(dir);
    }
  });

  test("validate:server refuses to start without the go command that builds etcd and the API server", () => {
    const bin = mkdtempSync(join(tmpdir(), "bitactor-path-"));
    try {
      const r = spawnSync(process.execPath, ["--import", import.meta.resolve("tsx"), join(ROOT, "scripts/validate-server.ts")], { cwd: ROOT, encoding: "utf8", env: { ...process.env, PATH: bin } });
      assert.equal(r.status, 1);
      assert.match(r.stderr, /^error: the go command is needed to build the validation tools: spawnSync go ENOENT$/m);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  test("Ctrl-C while the API server runs: etcd and kube-apiserver are killed and their temp dir deleted", async () => {
    const child = spawn(process.execPath, ["--import", import.meta.resolve("tsx"), join(ROOT, "scripts/validate-server.ts")], { cwd: ROOT, stdio: "ignore" });
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    // Only this run's processes (descendants of the CLI), so another run on the machine cannot interfere.
    let started: Proc[] = [];
    await until(() => "the API server never started", () => ((started = descendants(child.pid!)), started.some((p) => p.cmd.includes("kube-apiserver"))));
    const dirs = new Set(started.flatMap((p) => p.cmd.match(/\/[^ ]*\/bitactor-apiserver-[^/ ]+/g) ?? []));
    assert.equal(dirs.size, 1);
    child.kill("SIGINT");
    assert.equal(await exited, 130);
    // SIGKILL is delivered at exit; give the kernel a moment to reap, then nothing may be left.
    await until(() => `left running: ${stillRunning(started)}`, () => stillRunning(started) === "");
    for (const d of dirs) assert.equal(existsSync(d), false, `${d} was left`);
  });
});
