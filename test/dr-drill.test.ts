// The monthly restore drill (generators/constructs/dr-drill.ts): rendered per stage from data, its
// resource modifiers as strict as Velero reads them, and its script run for real: as the drill's own
// service account (RBAC as rendered) against a real kube-apiserver with Velero's CRDs, while this
// test plays Velero (it restores what the Restore asks for) and the Pushgateway (it keeps what is
// pushed, checked by promtool). Each failure the drill must catch is planted once.
// Over 300 lines: the drill's script runs against one API server started once for all its cases (starting one per file would double the cost).
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { Ajv } from "ajv";
import { committedModel } from "./helpers/repo.ts";
import { promtool } from "./helpers/tools.ts";
import { renderObjects, type K8sObject } from "../generators/render.ts";
import { DRILL_ALERTS, DRILL_METRICS, DRILL_RESOURCES, drillNames } from "../generators/constructs/dr-drill.ts";
import { startControlPlane, type ControlPlane } from "../harness/cluster/control-plane.ts";
import { installCrds } from "../harness/cluster/dry-run.ts";
import { statusMessage } from "../harness/cluster/client.ts";
import { kubectl } from "../toolchain/cluster.ts";
import { targetCrds } from "../toolchain/sources.ts";

const model = await committedModel();
const objects = renderObjects(model);
const STAGE = "staging-us-east-1";
const SCRATCH = drillNames.namespace(STAGE);
const at = (path: string) => objects.find((o) => o.path === path)?.object;
type Cron = K8sObject & { spec: { schedule: string; jobTemplate: { spec: { template: { spec: { serviceAccountName: string; containers: { command: string[]; env: { name: string; value: string }[] }[] } } } } } };
const cronOf = (stage: string) => {
  const [env, ...region] = stage.split("-");
  return at(`rollouts/${env}/${region.join("-")}/platform/cronjob-${stage}-dr-drill.yaml`) as Cron;
};

test("every stage renders its drill from data: schedule, RTO, backup age from the backup schedule, a zero-pod scratch namespace", () => {
  for (const e of model.environments) {
    const drill = e.settings.backup.drill!;
    for (const r of e.regions) {
      const stage = `${e.settings.environment}-${r.region}`;
      const cron = cronOf(stage);
      assert.ok(cron, stage);
      assert.equal(cron.spec.schedule, drill.schedule);
      const env = Object.fromEntries(cron.spec.jobTemplate.spec.template.spec.containers[0]!.env.map((v) => [v.name, v.value]));
      // Every 15 minutes → at most 30 minutes old (one backup may be in flight, not two).
      assert.deepEqual(env, { STAGE: stage, VELERO_NAMESPACE: "velero", DRILL_NAMESPACE: `${stage}-drill`, RTO_SECONDS: "300", MAX_BACKUP_AGE_SECONDS: "1800", PUSHGATEWAY: drill.pushgateway, POLL_SECONDS: "5", OVERRUN_SECONDS: "600" });
      const folder = `rollouts/${e.settings.environment}/${r.region}/platform/`;
      const quota = at(`${folder}resourcequota-no-pods.yaml`) as K8sObject & { spec: { hard: Record<string, string> } };
      assert.deepEqual([quota.metadata.namespace, quota.spec.hard], [`${stage}-drill`, { pods: "0", "requests.cpu": "0", "requests.memory": "0", "limits.cpu": "0", "limits.memory": "0" }]);
      // The platform Application creates the scratch Namespace, the node agents' and the operator's, nothing else (its project could create any).
      assert.deepEqual(objects.filter((o) => o.path.startsWith(folder) && o.object.kind === "Namespace").map((o) => o.object.metadata.name), [`${stage}-drill`, `${stage}-node-agents`, `${stage}-operator`]);
      const project = at(`applicationsets/${e.settings.environment}/appproject-${stage}-platform.yaml`) as K8sObject & { spec: { destinations: { namespace: string }[]; clusterResourceWhitelist: { kind: string }[] } };
      assert.deepEqual(project.spec.destinations.map((d) => d.namespace), [stage, "velero", "monitoring", `${stage}-drill`, `${stage}-node-agents`, `${stage}-operator`, "default"]);
      assert.ok(project.spec.clusterResourceWhitelist.some((k) => k.kind === "Namespace"));
    }
  }
  assert.equal(cronOf("production-us-east-1").spec.schedule, "30 6 1 * *");
  assert.equal(cronOf(STAGE).spec.schedule, "0 6 1 * *");
});

test("without backup.drill in environment.yaml no stage renders a drill, and its project admits no drill namespace", async () => {
  const committed = await committedModel();
  // A copy: the committed model is shared by every test of the file.
  const m = { ...committed, environments: committed.environments.map((e) => (e.settings.environment === "production" ? { ...e, settings: { ...e.settings, backup: (({ drill: _drill, ...rest }) => rest)(e.settings.backup) } } : e)) };
  const out = renderObjects(m);
  assert.ok(!out.some((o) => o.path.startsWith("rollouts/production/") && /dr-drill|-drill\.yaml|no-pods/.test(o.path)));
  assert.ok(out.some((o) => o.path === `rollouts/staging/us-east-1/platform/cronjob-${STAGE}-dr-drill.yaml`));
  const project = out.find((o) => o.path === "applicationsets/production/appproject-production-us-east-1-platform.yaml")!.object as K8sObject & { spec: { destinations: { namespace: string }[]; clusterResourceWhitelist: { kind: string }[] } };
  assert.deepEqual(project.spec.destinations.map((d) => d.namespace), ["production-us-east-1", "velero", "monitoring", "production-us-east-1-node-agents", "production-us-east-1-operator", "default"]);
  // The Namespace kind stays for the node agents' and the operator's namespaces, the only ones the folder then holds.
  assert.deepEqual(out.filter((o) => o.path.startsWith("rollouts/production/us-east-1/platform/") && o.object.kind === "Namespace").map((o) => o.object.metadata.name), ["production-us-east-1-node-agents", "production-us-east-1-operator"]);
});

// Velero reads the modifiers with yaml.UnmarshalStrict into these types (internal/resourcemodifiers,
// resource_modifiers.go and json_merge_patch.go, v1.18): an unknown field fails the Restore.
const modifiersSchema = {
  type: "object",
  additionalProperties: false,
  required: ["version", "resourceModifierRules"],
  properties: {
    version: { const: "v1" },
    resourceModifierRules: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["conditions"],
        properties: {
          conditions: {
            type: "object",
            additionalProperties: false,
            required: ["groupResource"],
            properties: { namespaces: { type: "array", items: { type: "string" } }, groupResource: { type: "string", minLength: 1 }, resourceNameRegex: { type: "string" }, labelSelector: { type: "object" }, matches: { type: "array" } },
          },
          patches: { type: "array" },
          mergePatches: { type: "array", items: { type: "object", additionalProperties: false, required: ["patchData"], properties: { patchData: { type: "string" } } } },
          strategicPatches: { type: "array", items: { type: "object", additionalProperties: false, required: ["patchData"], properties: { patchData: { type: "string" } } } },
        },
      },
    },
  },
} as const;

/** RFC 7386 JSON merge patch: what Velero's mergePatches apply (evanphx/json-patch MergePatch). */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target && typeof target === "object" && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

const modifiersOf = (stage: string) => {
  const [env, ...region] = stage.split("-");
  const cm = at(`rollouts/${env}/${region.join("-")}/platform/configmap-${stage}-dr-drill-modifiers.yaml`) as K8sObject & { data: Record<string, string> };
  assert.equal(Object.keys(cm.data).length, 1, "Velero refuses a modifiers ConfigMap with more than one key");
  return JSON.parse(Object.values(cm.data)[0]!) as { resourceModifierRules: { conditions: { groupResource: string }; mergePatches: { patchData: string }[] }[] };
};

test("resource modifiers: strict to Velero's types; restored ReplicaSets scale to zero, nothing keeps an owner the restore does not bring", () => {
  const validate = new Ajv({ allErrors: true, strict: false }).compile<unknown>(modifiersSchema);
  const modifiers = modifiersOf(STAGE);
  assert.ok(validate(modifiers), JSON.stringify(validate.errors));
  assert.deepEqual(modifiers.resourceModifierRules.map((r) => r.conditions.groupResource), [...DRILL_RESOURCES]);
  const owned = { metadata: { name: "order-engine-7c9f", ownerReferences: [{ kind: "Rollout", name: "order-engine", uid: "u" }], labels: { a: "b" } }, spec: { replicas: 4, selector: {} } };
  const patch = (resource: string, obj: unknown) => modifiers.resourceModifierRules.filter((r) => r.conditions.groupResource === resource).flatMap((r) => r.mergePatches).reduce((o, p) => mergePatch(o, JSON.parse(p.patchData)), obj);
  assert.deepEqual(patch("replicasets.apps", owned), { metadata: { name: "order-engine-7c9f", labels: { a: "b" } }, spec: { replicas: 0, selector: {} } });
  assert.deepEqual(patch("secrets", { metadata: { name: "s" }, data: { k: "dg==" } }), { metadata: { name: "s" }, data: { k: "dg==" } });
  // The schema is not a formality: a misspelled key, a JSON patch's "value" in a merge patch, fail it.
  assert.ok(!validate({ ...modifiers, resourceModifierRule: [] }));
  assert.ok(!validate({ version: "v1", resourceModifierRules: [{ conditions: { groupResource: "secrets" }, mergePatches: [{ patchData: "{}", value: "0" }] }] }));
  assert.ok(!validate({ version: "v1", resourceModifierRules: [{ conditions: { groupresource: "secrets" } }] }));
});

// ---- the script against a real API server ----------------------------------------------------

interface Pushed { readonly path: string; readonly body: string }
interface VeleroPlay {
  /** Seconds before the Restore ends. */
  delaySeconds: number;
  phase: string;
  errors: number;
  /** Objects restored, but not created (and still counted as restored): a restore that lies. */
  drop: readonly string[];
}

/** The API path and plural of a Velero resource name ("replicasets.apps" → /apis/apps/v1, replicasets). */
const apiPath = (resource: string): [string, string] => {
  const [plural, group] = resource.split(/\.(.*)/) as [string, string | undefined];
  return [group ? `/apis/${group}/v1` : "/api/v1", plural];
};

let cp: ControlPlane;
let dir: string;
let saKubeconfig: string;
let pushgateway: Server;
let pushgatewayUrl: string;
const pushed: Pushed[] = [];
let play: VeleroPlay;
let velero: { stop(): void } | undefined;
const admin = () => cp.client;

async function create(obj: unknown, path?: string): Promise<void> {
  const o = obj as K8sObject;
  const r = await admin().request("POST", path ?? (await admin().collectionPath(o as never)), o);
  if (r.status !== 201) throw new Error(`creating ${o.kind} ${o.metadata.name}: ${statusMessage(r)}`);
}

async function setStatus(kind: "backups" | "restores", name: string, status: unknown): Promise<void> {
  // Velero's CRDs have no status subresource (config/crd/v1/bases): status is written with the object.
  const r = await admin().request("PATCH", `/apis/velero.io/v1/namespaces/velero/${kind}/${name}`, { status }, "application/merge-patch+json");
  if (r.status !== 200) throw new Error(`status of ${kind}/${name}: ${statusMessage(r)}`);
}

const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString().replace(/\.\d+Z$/, "Z");

/** Plays Velero: each new Restore is carried out as its spec and the resource modifiers say. */
function playVelero(): { stop(): void } {
  const seen = new Set<string>();
  let stopped = false;
  const tick = async () => {
    const list = await admin().request("GET", "/apis/velero.io/v1/namespaces/velero/restores");
    if (list.status !== 200) return;
    for (const r of (list.body as { items: { metadata: { name: string }; spec: { includedNamespaces: string[]; includedResources: string[]; namespaceMapping: Record<string, string>; resourceModifier: { name: string } } }[] }).items) {
      if (seen.has(r.metadata.name)) continue;
      seen.add(r.metadata.name);
      const p = play;
      const cm = (await admin().request("GET", `/api/v1/namespaces/velero/configmaps/${r.spec.resourceModifier.name}`)).body as { data: Record<string, string> };
      const rules = (JSON.parse(Object.values(cm.data)[0]!) as { resourceModifierRules: { conditions: { groupResource: string }; mergePatches: { patchData: string }[] }[] }).resourceModifierRules;
      const from = r.spec.includedNamespaces[0]!;
      const to = r.spec.namespaceMapping[from]!;
      let total = 0;
      for (const resource of r.spec.includedResources) {
        const [base, plural] = apiPath(resource);
        const items = ((await admin().request("GET", `${base}/namespaces/${from}/${plural}`)).body as { items: K8sObject[] }).items;
        for (const item of items) {
          total++;
          if (p.drop.includes(`${resource}/${item.metadata.name}`)) continue;
          const exists = await admin().request("GET", `${base}/namespaces/${to}/${plural}/${item.metadata.name}`);
          if (exists.status === 200) continue; // Velero skips what exists (the namespace's automatic objects)
          const { uid: _u, resourceVersion: _v, creationTimestamp: _c, managedFields: _m, ...meta } = item.metadata as Record<string, unknown>;
          let copy: unknown = { ...item, metadata: { ...meta, namespace: to, labels: { ...(item.metadata.labels as object), "velero.io/backup-name": "b", "velero.io/restore-name": r.metadata.name } } };
          for (const rule of rules.filter((x) => x.conditions.groupResource === resource)) for (const mp of rule.mergePatches) copy = mergePatch(copy, JSON.parse(mp.patchData));
          delete (copy as { status?: unknown }).status;
          const c = await admin().request("POST", `${base}/namespaces/${to}/${plural}`, copy);
          if (c.status !== 201) throw new Error(`playing Velero: ${resource}/${item.metadata.name}: ${statusMessage(c)}`);
        }
      }
      setTimeout(() => {
        void setStatus("restores", r.metadata.name, { phase: p.phase, errors: p.errors, progress: { totalItems: total, itemsRestored: total }, startTimestamp: iso(0), completionTimestamp: iso(0) });
      }, p.delaySeconds * 1000);
    }
  };
  const loop = async () => {
    while (!stopped) {
      await tick();
      await new Promise((res) => setTimeout(res, 200));
    }
  };
  void loop();
  return { stop: () => (stopped = true) };
}

describe("the drill script against a real API server, as its own account", () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "bitactor-drill-"));
    pushgateway = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        pushed.push({ path: `${req.method} ${req.url}`, body });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => pushgateway.listen(0, "127.0.0.1", () => r()));
    pushgatewayUrl = `http://127.0.0.1:${(pushgateway.address() as { port: number }).port}`;
    cp = await startControlPlane();
    await installCrds(cp.client, targetCrds().filter((c) => (c.object.spec as { group: string }).group === "velero.io"));
    for (const ns of ["velero", STAGE]) await create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    // The drill's rendered objects, applied as rendered (its RBAC is what the script runs with).
    const files = objects.filter((o) => o.path.startsWith("rollouts/staging/us-east-1/platform/") && /dr-drill|-drill\.yaml|no-pods/.test(o.path) && o.object.kind !== "PrometheusRule");
    writeFileSync(join(dir, "drill.yaml"), files.map((o) => stringify(o.object)).join("---\n"));
    const applied = spawnSync(kubectl(), ["apply", "--server-side", "-f", join(dir, "drill.yaml")], { env: { ...process.env, KUBECONFIG: cp.kubeconfig }, encoding: "utf8" });
    assert.equal(applied.status, 0, applied.stderr);
    // A token of the drill's service account (TokenRequest), in a kubeconfig of its own.
    const sa = drillNames.job(STAGE);
    const tr = await admin().request("POST", `/api/v1/namespaces/velero/serviceaccounts/${sa}/token`, { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 3600 } });
    assert.equal(tr.status, 201, statusMessage(tr));
    saKubeconfig = join(dir, "drill.kubeconfig");
    writeFileSync(saKubeconfig, JSON.stringify({
      apiVersion: "v1", kind: "Config", "current-context": "drill",
      clusters: [{ name: "c", cluster: { server: cp.client.server, "certificate-authority": cp.caFile } }],
      users: [{ name: "drill", user: { token: (tr.body as { status: { token: string } }).status.token } }],
      contexts: [{ name: "drill", context: { cluster: "c", user: "drill" } }],
    }));
    // The live stage: runtime state of each drilled kind (ReplicaSets owned by their Rollout, as Argo Rollouts makes them).
    for (const name of ["order-engine-credentials", "risk-engine-credentials"]) await create({ apiVersion: "v1", kind: "Secret", metadata: { name, namespace: STAGE, ownerReferences: [{ apiVersion: "bitnami.com/v1alpha1", kind: "SealedSecret", name, uid: "5b8a6c1e-0000-4000-8000-000000000001" }] }, data: { key: "c2VjcmV0" } });
    await create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "otel-collector", namespace: STAGE }, data: { a: "b" } });
    await create({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "order-engine", namespace: STAGE } });
    await create({
      apiVersion: "apps/v1", kind: "ReplicaSet",
      metadata: { name: "order-engine-6d5f7c", namespace: STAGE, labels: { app: "order-engine", "rollouts-pod-template-hash": "6d5f7c" }, ownerReferences: [{ apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", name: "order-engine", uid: "5b8a6c1e-0000-4000-8000-000000000002", controller: true }] },
      spec: { replicas: 4, selector: { matchLabels: { app: "order-engine" } }, template: { metadata: { labels: { app: "order-engine" } }, spec: { containers: [{ name: "engine", image: "registry.bitactor.internal/engine@sha256:" + "a".repeat(64) }] } } },
    });
    await new Promise((r) => setTimeout(r, 1100)); // the backup starts after these exist (timestamps have whole seconds)
    velero = playVelero();
  });

  after(async () => {
    velero?.stop();
    await cp?.stop();
    await new Promise((r) => pushgateway?.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  let backups = 0;
  async function backup(completedMsAgo: number): Promise<string> {
    const name = `${STAGE}-2026112706${String(++backups).padStart(4, "0")}`;
    await create({ apiVersion: "velero.io/v1", kind: "Backup", metadata: { name, namespace: "velero", labels: { "velero.io/schedule-name": STAGE } }, spec: { includedNamespaces: [STAGE] } });
    // An old backup started when it finished; a new one now, after the live objects were made (so all are due back).
    await setStatus("backups", name, { phase: "Completed", startTimestamp: iso(completedMsAgo), completionTimestamp: iso(completedMsAgo) });
    return name;
  }

  /** Runs the rendered script as the drill's account; the environment is the CronJob's but for the overrides. */
  function runDrill(overrides: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string; metrics: Record<string, number>; push: Pushed | undefined }> {
    const container = cronOf(STAGE).spec.jobTemplate.spec.template.spec.containers[0]!;
    const env = { ...Object.fromEntries(container.env.map((v) => [v.name, v.value])), PUSHGATEWAY: pushgatewayUrl, POLL_SECONDS: "1", ...overrides };
    const before = pushed.length;
    return new Promise((resolve) => {
      const child = spawn(container.command[0]!, container.command.slice(1), {
        env: { PATH: `${join(kubectl(), "..")}:${process.env.PATH}`, HOME: dir, KUBECONFIG: saKubeconfig, ...env },
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c) => (stdout += c));
      child.stderr.on("data", (c) => (stderr += c));
      child.on("close", (status) => {
        const push = pushed.slice(before)[0];
        const metrics = Object.fromEntries((push?.body ?? "").split("\n").filter((l) => l && !l.startsWith("#")).map((l) => [l.split(" ")[0]!, Number(l.split(" ")[1])]));
        resolve({ status, stdout, stderr, metrics, push });
      });
    });
  }

  async function scratchLeft(): Promise<string[]> {
    const out: string[] = [];
    for (const [base, plural] of DRILL_RESOURCES.map(apiPath)) {
      const items = ((await admin().request("GET", `${base}/namespaces/${SCRATCH}/${plural}?labelSelector=velero.io%2Frestore-name`)).body as { items: K8sObject[] }).items;
      out.push(...items.map((i) => `${plural}/${i.metadata.name}`));
    }
    return out;
  }

  test("drill passes: newest backup restored into the scratch namespace (an interrupted drill's leftovers cleared first), every object back, pushed, cleaned up", async () => {
    play = { delaySeconds: 1, phase: "Completed", errors: 0, drop: [] };
    await backup(3_600_000); // an older one: the newest Completed is the one restored
    const newest = await backup(0);
    // A leftover of an interrupted drill, under a name this restore brings back: it must not hide it.
    await create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "otel-collector", namespace: SCRATCH, labels: { "velero.io/restore-name": `${STAGE}-drill-20261001063000` } }, data: { stale: "yes" } });
    const r = await runDrill();
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^DR drill of ${STAGE} passed: backup ${newest} \\(\\d+s old\\), restore ${STAGE}-drill-\\d{14} Completed in \\d+s of 300s, (\\d+) of \\1 items, every object back$`, "m"));
    // Times are the machine's to take: only what the drill must have measured (Velero here ends after 1 s).
    assert.ok(r.metrics[DRILL_METRICS.restoreSeconds]! >= 1);
    assert.equal(r.push?.path, `PUT /metrics/job/bitactor-dr-drill/namespace/${STAGE}`);
    assert.equal(r.metrics[DRILL_METRICS.success], 1);
    assert.equal(r.metrics[DRILL_METRICS.missingObjects], 0);
    assert.equal(r.metrics[DRILL_METRICS.rtoSeconds], 300);
    assert.ok(r.metrics[DRILL_METRICS.itemsRestored]! >= 5);
    assert.ok(Math.abs(r.metrics[DRILL_METRICS.lastRun]! - Date.now() / 1000) < 30);
    // What was pushed is valid exposition format (the Pushgateway would refuse anything else).
    const check = spawnSync(promtool(), ["check", "metrics"], { input: r.push!.body, encoding: "utf8" });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    // The restored objects were deleted again; the Restore itself stays as the record.
    assert.deepEqual(await scratchLeft(), []);
  });

  test("drill fails when an object of the backup did not come back, though Velero says it restored everything", async () => {
    play = { delaySeconds: 0, phase: "Completed", errors: 0, drop: ["secrets/risk-engine-credentials"] };
    await backup(0);
    const r = await runDrill();
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`DR drill of ${STAGE} FAILED: 1 objects of ${STAGE} at \\S+ did not come back: secrets/risk-engine-credentials$`, "m"));
    assert.equal(r.metrics[DRILL_METRICS.success], 0);
    assert.equal(r.metrics[DRILL_METRICS.missingObjects], 1);
    assert.deepEqual(await scratchLeft(), []);
  });

  test("drill fails over the RTO, and still pushes the time it measured", async () => {
    play = { delaySeconds: 4, phase: "Completed", errors: 0, drop: [] };
    await backup(0);
    const r = await runDrill({ RTO_SECONDS: "2" });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /restore \S+ took \d+s, over the RTO of 2s$/m);
    assert.equal(r.metrics[DRILL_METRICS.success], 0);
    assert.ok(r.metrics[DRILL_METRICS.restoreSeconds]! >= 4);
    assert.equal(r.metrics[DRILL_METRICS.rtoSeconds], 2);
  });

  test("drill fails on a restore that ended PartiallyFailed, naming the errors and where to read them", async () => {
    play = { delaySeconds: 0, phase: "PartiallyFailed", errors: 2, drop: [] };
    await backup(0);
    const r = await runDrill();
    assert.equal(r.status, 1);
    assert.match(r.stderr, /restore (\S+) of \S+ ended PartiallyFailed with 2 errors \(velero restore logs \1\)$/m);
    assert.equal(r.metrics[DRILL_METRICS.success], 0);
  });

  test("drill fails when the newest backup is older than two backup intervals (the Schedule stopped), before restoring anything", async () => {
    const restoresBefore = ((await admin().request("GET", "/apis/velero.io/v1/namespaces/velero/restores")).body as { items: unknown[] }).items.length;
    await new Promise((res) => setTimeout(res, 1100));
    const r = await runDrill({ MAX_BACKUP_AGE_SECONDS: "0" });
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`the newest Completed backup, ${STAGE}-\\d+, finished [1-9]\\d*s ago \\(at most 0s\\): the Schedule has stopped$`, "m"));
    assert.equal(r.metrics[DRILL_METRICS.success], 0);
    assert.ok(r.metrics[DRILL_METRICS.backupAgeSeconds]! >= 1);
    const restoresAfter = ((await admin().request("GET", "/apis/velero.io/v1/namespaces/velero/restores")).body as { items: unknown[] }).items.length;
    assert.equal(restoresAfter, restoresBefore);
  });

  test("drill fails with no completed backup of the stage's Schedule at all", async () => {
    const r = await runDrill({ STAGE: "staging-nowhere-1" });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no Completed backup of the Schedule staging-nowhere-1 in velero$/m);
    assert.equal(r.metrics[DRILL_METRICS.success], 0);
    assert.equal(r.metrics[DRILL_METRICS.lastRun]! > 0, true);
  });

  test("the drill's account can do what the drill does and nothing wider: no Restore deletion, no Secret outside its namespaces", () => {
    const can = (verb: string, resource: string, ns: string) =>
      spawnSync(kubectl(), ["auth", "can-i", verb, resource, "-n", ns], { env: { ...process.env, KUBECONFIG: saKubeconfig }, encoding: "utf8" }).stdout.trim();
    assert.equal(can("create", "restores.velero.io", "velero"), "yes");
    assert.equal(can("list", "secrets", STAGE), "yes");
    assert.equal(can("delete", "replicasets.apps", SCRATCH), "yes");
    assert.equal(can("delete", "restores.velero.io", "velero"), "no");
    assert.equal(can("delete", "secrets", STAGE), "no");
    assert.equal(can("list", "secrets", "kube-system"), "no");
    assert.equal(can("create", "pods", SCRATCH), "no");
  });
});

test("the drill's alerts: a failed drill, one over its RTO, and none for 35 days each fire (promtool test rules)", async () => {
  const rule = at("rollouts/production/us-east-1/platform/prometheusrule-dr-drill.yaml") as K8sObject & { spec: { groups: { rules: { alert: string; annotations: Record<string, string> }[] }[] } };
  const ns = "production-us-east-1";
  const series = (name: string, values: string) => ({ series: `${name}{job="bitactor-dr-drill", namespace="${ns}"}`, values });
  const annotations = (alert: string, value = "") => Object.fromEntries(Object.entries(rule.spec.groups[0]!.rules.find((r) => r.alert === alert)!.annotations).map(([k, v]) => [k, v.replace("{{ $value }}", value)]));
  const fired = (alert: string, value = "", labels: Record<string, string> = { job: "bitactor-dr-drill" }) => ({ exp_labels: { severity: "ticket", namespace: ns, ...labels }, exp_annotations: annotations(alert, value) });
  const minutes = [
    // Healthy: passed in 40 s of 300 s; nothing fires.
    { interval: "1m", input_series: [series(DRILL_METRICS.success, "1x120"), series(DRILL_METRICS.restoreSeconds, "40x120"), series(DRILL_METRICS.rtoSeconds, "300x120"), series(DRILL_METRICS.lastRun, "0x120")], alert_rule_test: Object.values(DRILL_ALERTS).map((alertname) => ({ eval_time: "2h", alertname, exp_alerts: [] })) },
    // Failed, and over the RTO: 420 s of 300 s.
    { interval: "1m", input_series: [series(DRILL_METRICS.success, "0x10"), series(DRILL_METRICS.restoreSeconds, "420x10"), series(DRILL_METRICS.rtoSeconds, "300x10"), series(DRILL_METRICS.lastRun, "0x10")], alert_rule_test: [
      { eval_time: "5m", alertname: DRILL_ALERTS.failed, exp_alerts: [fired(DRILL_ALERTS.failed)] },
      { eval_time: "5m", alertname: DRILL_ALERTS.overRto, exp_alerts: [fired(DRILL_ALERTS.overRto, "420")] },
      { eval_time: "5m", alertname: DRILL_ALERTS.notRun, exp_alerts: [] },
    ] },
    // Never run: absent for its hour fires, not before.
    { interval: "1m", input_series: [], alert_rule_test: [
      { eval_time: "30m", alertname: DRILL_ALERTS.notRun, exp_alerts: [] },
      { eval_time: "2h", alertname: DRILL_ALERTS.notRun, exp_alerts: [fired(DRILL_ALERTS.notRun, "", {})] },
    ] },
  ];
  // Days, evaluated hourly (the rule's 1 m interval over 36 days would be 50 000 evaluations).
  const days = [{ interval: "1h", input_series: [series(DRILL_METRICS.lastRun, "0x900")], alert_rule_test: [
    { eval_time: "34d", alertname: DRILL_ALERTS.notRun, exp_alerts: [] },
    { eval_time: "36d", alertname: DRILL_ALERTS.notRun, exp_alerts: [fired(DRILL_ALERTS.notRun)] },
  ] }];
  const rulesDir = mkdtempSync(join(tmpdir(), "bitactor-drill-rules-"));
  try {
    writeFileSync(join(rulesDir, "rules.yml"), stringify({ groups: rule.spec.groups }, { lineWidth: 0 }));
    for (const [name, interval, tests] of [["minutes", "1m", minutes], ["days", "1h", days]] as const) {
      writeFileSync(join(rulesDir, `${name}.yml`), stringify({ rule_files: ["rules.yml"], evaluation_interval: interval, tests }, { lineWidth: 0 }));
      const out = spawnSync(promtool(), ["test", "rules", join(rulesDir, `${name}.yml`)], { encoding: "utf8" });
      assert.equal(out.status, 0, out.stdout + out.stderr);
    }
  } finally {
    rmSync(rulesDir, { recursive: true, force: true });
  }
});
