// The BitActorCluster health check in the argocd-cm we render (engine/addons.yaml, Argo CD's own
// Application), run by the pinned Argo CD itself: `argocd admin settings resource-overrides health
// RESOURCE --argocd-cm-path CM` (operator-manual/troubleshooting.md, "Health Assessment") runs the
// same Lua the application controller runs. Every state the operator can leave a BitActorCluster in
// maps to one health; a region that pins no operator is not judged. The GitOps e2e shows it live:
// staging's platform Application is Healthy only once the operator it runs says TradingReady.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { parse, stringify } from "yaml";
import { committedModel } from "./helpers/repo.ts";
import { withDir } from "./helpers/tmp.ts";
import { renderObjects } from "../generators/render.ts";
import { argocd } from "../toolchain/cluster.ts";
import { BITACTOR_CLUSTER } from "../generators/constructs/bitactor-cluster.ts";
import { CONDITION_TYPES } from "../operator/src/model.ts";

const KEY = `resource.customizations.health.${BITACTOR_CLUSTER.group}_${BITACTOR_CLUSTER.kind}`;

/** The argocd-cm data the self-managed Argo CD gets: the kustomize patch of its Application. */
const objects = renderObjects(await committedModel());

async function renderedArgocdCm(): Promise<Record<string, string>> {
  const app = objects.find((o) => o.object.kind === "Application" && o.object.metadata.name === "argocd");
  assert.ok(app, "Argo CD's own Application is rendered");
  const patches = (app.object.spec as { source: { kustomize: { patches: { target: { name: string }; patch: string }[] } } }).source.kustomize.patches;
  const cm = patches.find((p) => p.target.name === "argocd-cm");
  assert.ok(cm, "argocd-cm is patched");
  return (parse(cm.patch) as { data: Record<string, string> }).data;
}

type Condition = { type: string; status: "True" | "False" | "Unknown"; reason: string; message: string };

/** A BitActorCluster of a region that pins the operator (`spec.operator`, the region file's block), unless `pinned` is false. */
function cluster(generation: number, status?: { observedGeneration?: number; conditions?: Condition[] }, pinned = true) {
  return {
    apiVersion: BITACTOR_CLUSTER.apiVersion,
    kind: BITACTOR_CLUSTER.kind,
    metadata: { name: "production-us-east-1", generation },
    spec: pinned ? { operator: { version: "0.2.0", digest: `sha256:${"a".repeat(64)}` } } : {},
    ...(status ? { status } : {}),
  };
}

const trading = (status: Condition["status"], reason: string, message: string): Condition => ({ type: "TradingReady", status, reason, message });

async function health(data: Record<string, string>, object: unknown): Promise<{ status: string; message: string }> {
  return withDir("argocd-health-", async (dir) => {
    await writeFile(join(dir, "argocd-cm.yaml"), stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-cm", namespace: "argocd" }, data }));
    await writeFile(join(dir, "cluster.yaml"), stringify(object));
    const out = spawnSync(argocd(), ["admin", "settings", "resource-overrides", "health", join(dir, "cluster.yaml"), "--argocd-cm-path", join(dir, "argocd-cm.yaml")], {
      encoding: "utf8",
      // No cluster: the command reads only the files (KUBECONFIG pointing nowhere proves it).
      env: { ...process.env, KUBECONFIG: join(dir, "none"), HOME: dir },
    });
    assert.equal(out.status, 0, out.stdout + out.stderr);
    // Output: "STATUS: Healthy\nMESSAGE: ..." (cmd/argocd/commands/admin/settings.go, NewResourceHealthCommand).
    const status = /^STATUS: (.*)$/m.exec(out.stdout)?.[1];
    const message = /^MESSAGE: (.*)$/m.exec(out.stdout)?.[1] ?? "";
    assert.ok(status, `no STATUS in: ${out.stdout}`);
    return { status, message };
  });
}

test("the rendered argocd-cm carries the check; TradingReady is a condition the operator writes", async () => {
  const data = await renderedArgocdCm();
  assert.match(data[KEY] ?? "", /TradingReady/);
  assert.ok((CONDITION_TYPES as readonly string[]).includes("TradingReady"));
});

test("Argo CD's health of a BitActorCluster follows the operator's verdict (real argocd, the rendered argocd-cm)", async () => {
  const data = await renderedArgocdCm();
  const cases: { name: string; object: unknown; status: string; message: RegExp }[] = [
    { name: "no operator pinned in the region: not judged", object: cluster(1, undefined, false), status: "Healthy", message: /^No BitActor operator runs in this region yet \(its region file pins none\): nothing judges it here$/ },
    { name: "no operator pinned, whatever a stale status says", object: cluster(2, { observedGeneration: 2, conditions: [trading("False", "LatencyNotWithinTargets", "slow")] }, false), status: "Healthy", message: /nothing judges it here/ },
    { name: "no status: never reconciled", object: cluster(1), status: "Progressing", message: /^The BitActor operator 0\.2\.0 has not yet reconciled generation 1$/ },
    {
      name: "status of an older generation: a stale verdict counts for nothing",
      object: cluster(3, { observedGeneration: 2, conditions: [trading("True", "AllReady", "all ready")] }),
      status: "Progressing",
      message: /generation 3/,
    },
    { name: "TradingReady True", object: cluster(2, { observedGeneration: 2, conditions: [trading("True", "AllReady", "every condition True")] }), status: "Healthy", message: /TradingReady True \(AllReady: every condition True\)/ },
    {
      name: "TradingReady False",
      object: cluster(2, { observedGeneration: 2, conditions: [{ type: "LatencyWithinTargets", status: "False", reason: "OverTarget", message: "order-engine 98 %" }, trading("False", "LatencyOverTarget", "LatencyWithinTargets False (OverTarget)")] }),
      status: "Degraded",
      message: /TradingReady False \(LatencyOverTarget: LatencyWithinTargets False/,
    },
    { name: "TradingReady Unknown", object: cluster(2, { observedGeneration: 2, conditions: [trading("Unknown", "NotMeasured", "not measured yet")] }), status: "Progressing", message: /TradingReady Unknown \(NotMeasured/ },
    {
      name: "a TradingReady without a status (a hand edit; the CRD asks for one) reads as Unknown, not as a Lua error",
      object: cluster(2, { observedGeneration: 2, conditions: [{ type: "TradingReady", reason: "Edited", message: "by hand" } as unknown as Condition] }),
      status: "Progressing",
      message: /TradingReady Unknown \(Edited: by hand\)/,
    },
    { name: "reconciled but no TradingReady condition", object: cluster(2, { observedGeneration: 2, conditions: [] }), status: "Progressing", message: /No TradingReady condition yet/ },
  ];
  for (const c of cases) {
    const h = await health(data, c.object);
    assert.equal(h.status, c.status, `${c.name}: ${h.message}`);
    assert.match(h.message, c.message, c.name);
  }
});

test("without our check Argo CD has no health for a BitActorCluster (the check is what gives it one)", async () => {
  const { [KEY]: removed, ...rest } = await renderedArgocdCm();
  assert.ok(removed);
  await withDir("argocd-health-", async (dir) => {
    await writeFile(join(dir, "argocd-cm.yaml"), stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-cm", namespace: "argocd" }, data: rest }));
    await writeFile(join(dir, "cluster.yaml"), stringify(cluster(2, { observedGeneration: 2, conditions: [trading("False", "LatencyOverTarget", "slow")] })));
    const out = spawnSync(argocd(), ["admin", "settings", "resource-overrides", "health", join(dir, "cluster.yaml"), "--argocd-cm-path", join(dir, "argocd-cm.yaml")], { encoding: "utf8", env: { ...process.env, KUBECONFIG: join(dir, "none"), HOME: dir } });
    assert.equal(out.status, 0, out.stdout + out.stderr);
    assert.match(out.stdout, /Health script is not configured for 'bitactor.io\/BitActorCluster'/);
  });
});

test("a stage's Prometheus whose first pod is starting is Progressing, not Degraded: Argo CD's own check would fail the sync wave that waits on it", async () => {
  const data = await renderedArgocdCm();
  const prometheus = (conditions?: { type: string; status: string; reason?: string; message?: string }[]) => ({
    apiVersion: "monitoring.coreos.com/v1",
    kind: "Prometheus",
    metadata: { name: "production-us-east-1", namespace: "monitoring" },
    spec: {},
    ...(conditions ? { status: { conditions } } : {}),
  });
  const cases: { name: string; object: unknown; status: string; message: RegExp }[] = [
    { name: "no status yet", object: prometheus(), status: "Progressing", message: /Waiting for initialization/ },
    { name: "no pod ready yet", object: prometheus([{ type: "Available", status: "False", reason: "NoPodReady", message: "shard 0: pod prometheus-x-0: 0/2 nodes are available" }]), status: "Progressing", message: /shard 0/ },
    { name: "some pods not ready", object: prometheus([{ type: "Available", status: "Degraded", reason: "SomePodsNotReady", message: "1/2 ready" }]), status: "Progressing", message: /1\/2 ready/ },
    { name: "unavailable for another reason", object: prometheus([{ type: "Available", status: "False", reason: "StatefulSetNotFound" }]), status: "Degraded", message: /StatefulSetNotFound/ },
    { name: "available", object: prometheus([{ type: "Available", status: "True", reason: "" }]), status: "Healthy", message: /All instances are available/ },
  ];
  for (const c of cases) {
    const h = await health(data, c.object);
    assert.equal(h.status, c.status, `${c.name}: ${h.message}`);
    assert.match(h.message, c.message, c.name);
  }
  // Argo CD's built-in check, which ours replaces, calls the starting Prometheus Degraded.
  const { ["resource.customizations.health.monitoring.coreos.com_Prometheus"]: ours, ...builtIn } = data;
  assert.ok(ours);
  assert.equal((await health(builtIn, cases[1]!.object)).status, "Degraded");
});
