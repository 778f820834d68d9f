// The committed tree is exactly a fresh render; renders are byte-identical; the render owns its
// folders (stale files removed) but never deletes a file it did not write.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ROOT, scratchGitRepo, removeRepo, scratchRepo, treeDigest } from "./helpers/repo.ts";
import { renderCommand, renderFrom } from "../lib/render.ts";
import { readRendered } from "../lib/tree.ts";
import { HEADER, OWNED_DIRS } from "../generators/render.ts";

test("the committed tree equals a fresh render", async () => {
  const committed = await readRendered(ROOT, OWNED_DIRS);
  const fresh = await renderFrom(ROOT);
  assert.deepEqual([...committed.keys()], [...fresh.keys()]);
  for (const [p, text] of fresh) assert.equal(committed.get(p), text, `${p} drifted`);
});

test("two renders are byte-identical and a re-render changes nothing on disk", async () => {
  const dir = await scratchRepo();
  try {
    const first = await renderFrom(dir);
    const second = await renderFrom(dir);
    assert.deepEqual(second, first);
    const before = await treeDigest(dir);
    const { diff } = await renderCommand(dir);
    assert.deepEqual(diff, { added: [], changed: [], removed: [] });
    assert.equal(await treeDigest(dir), before);
  } finally {
    await removeRepo(dir);
  }
});

test("removing a region deletes its rendered files (so Argo CD prunes it)", async () => {
  const dir = await scratchRepo();
  try {
    await rm(join(dir, "environments/production/regions/eu-west-1.yaml"));
    const { diff } = await renderCommand(dir);
    assert.ok(!existsSync(join(dir, "rollouts/production/eu-west-1")));
    assert.ok(!existsSync(join(dir, "applicationsets/production/applicationset-production-eu-west-1.yaml")));
    assert.ok(diff.removed.includes("applicationsets/production/applicationset-production-eu-west-1.yaml"));
    assert.ok(!existsSync(join(dir, "infrastructure/production/eu-west-1")));
    // 5 components × 15 files (Rollout, 2 Services, 2 AnalysisTemplates, the first-release AnalysisRun, PodMonitor, PrometheusRule,
    // dashboard ConfigMap, 2 ServiceAccounts, 2 NetworkPolicies, PeerAuthentication, PodDisruptionBudget) + the trading
    // dashboard + the shared folder (collector ConfigMap, ServiceAccount, Service, Deployment;
    // 4 NetworkPolicies; PeerAuthentication; the exchange NetworkAttachmentDefinition) + the node pools (4 pools × NodePool and EC2NodeClass:
    // an AWS region) + the platform folder (BitActorCluster CRD and resource, Velero location and
    // schedule; the restore drill's 14) + its ApplicationSet and its workload, node and platform AppProjects + its
    // infrastructure module; nothing else changes.
    // ... + 4: the GPU device plugin's Namespace, default deny, account and DaemonSet.
    // ... + 12: its add-on project and the Applications of its 11 add-ons (an AWS region: Karpenter too).
    // ... + 5: its monitoring folder (its Prometheus, that Prometheus' account, Role and RoleBinding) and that folder's Application.
    // ... + 10: the operator's access (Namespace, account, ClusterRole and binding, 3 Roles and bindings).
    // ... + 4: the operator's monitoring (PodMonitor, PrometheusRule, the stage Prometheus' Role and binding there).
    // ... + 3: the Pushgateway's scrape (PodMonitor, the stage Prometheus' Role and binding in monitoring).
    const addons = ["argo-rollouts", "prometheus-operator", "sealed-secrets", "karpenter", "kube-state-metrics", "velero", "istio-base", "istiod", "pushgateway", "grafana", "jaeger"].map((a) => `applicationsets/production/application-production-eu-west-1-${a}.yaml`);
    for (const f of [...addons, "applicationsets/production/appproject-production-eu-west-1-addons.yaml"]) assert.ok(diff.removed.includes(f), f);
    assert.equal(diff.removed.length, 5 * 15 + 1 + 10 + 4 * 2 + 4 + 14 + 4 + 1 + 3 + 1 + 12 + 4 + 1 + 10 + 4 + 3);
    assert.deepEqual(diff.changed, []);
  } finally {
    await removeRepo(dir);
  }
});

test("adding a region is one data file + render", async () => {
  const dir = await scratchRepo();
  try {
    const src = join(dir, "environments/staging/regions/us-east-1.yaml");
    await writeFile(join(dir, "environments/staging/regions/us-east-2.yaml"), (await readFile(src, "utf8")).replace("region: us-east-1", "region: us-east-2").replaceAll("us-east-1a", "us-east-2a").replaceAll("us-east-1b", "us-east-2b").replaceAll("us-east-1c", "us-east-2c").replace("aps-workspaces.us-east-1", "aps-workspaces.us-east-2"));
    const { diff } = await renderCommand(dir);
    // Staging has chaos experiments: the new stage gets its chaos folder too (5 × 4 ChaosEngines + 10), its Prometheus (4), the operator's access (10), monitoring (4)
    // and, since the copied file pins the operator, its pods (4: Deployment, PodDisruptionBudget, its namespace's default deny and allow-list),
    // and the Pushgateway's scrape (3).
    assert.equal(diff.added.filter((p) => p.startsWith("rollouts/staging/us-east-2/")).length, 5 * 15 + 1 + 10 + 4 * 2 + 4 + 14 + 4 + 5 * 4 + 10 + 4 + 10 + 4 + 4 + 3);
    assert.ok(diff.added.includes("rollouts/staging/us-east-2/platform/clusterrole-staging-us-east-2-bitactor-operator.yaml"));
    assert.ok(diff.added.includes("rollouts/staging/us-east-2/monitoring/prometheus-staging-us-east-2.yaml"));
    assert.ok(diff.added.includes("applicationsets/staging/appproject-staging-us-east-2-chaos.yaml"));
    assert.equal(diff.added.filter((p) => p.startsWith("rollouts/staging/us-east-2/nodes/")).length, 4 * 2);
    assert.ok(diff.added.includes("applicationsets/staging/applicationset-staging-us-east-2.yaml"));
    // The new stage's platform comes with it: its add-on project, one Application per add-on of an AWS stage, and its Prometheus' Application.
    assert.deepEqual(diff.added.filter((p) => /^applicationsets\/staging\/(application-staging-us-east-2-|appproject-staging-us-east-2-addons)/.test(p)).sort(), [
      ...["argo-rollouts", "grafana", "istio-base", "istiod", "jaeger", "karpenter", "kube-state-metrics", "monitoring", "prometheus-operator", "pushgateway", "sealed-secrets", "velero"].map((a) => `applicationsets/staging/application-staging-us-east-2-${a}.yaml`),
      "applicationsets/staging/appproject-staging-us-east-2-addons.yaml",
    ]);
    assert.ok(diff.added.includes("infrastructure/staging/us-east-2/main.tf.json"));
  } finally {
    await removeRepo(dir);
  }
});

test("a file in a rendered folder that the render did not write is never deleted", async () => {
  const dir = await scratchRepo();
  try {
    await mkdir(join(dir, "rollouts/production/notes"), { recursive: true });
    await writeFile(join(dir, "rollouts/production/notes/README.md"), "hand-written notes\n");
    const before = await treeDigest(dir);
    await assert.rejects(renderCommand(dir), /not written by the render[\s\S]*rollouts\/production\/notes\/README\.md/);
    assert.equal(await treeDigest(dir), before);
  } finally {
    await removeRepo(dir);
  }
});

test("npm run check lists every drifted file and exits 1; --diff shows the change", async () => {
  const dir = await scratchGitRepo();
  const check = (...args: string[]) => spawnSync(process.execPath, ["--import", import.meta.resolve("tsx"), join(ROOT, "scripts/check.ts"), ...args], { cwd: dir, encoding: "utf8" });
  try {
    const clean = check();
    assert.equal(clean.status, 0, clean.stderr);
    assert.match(clean.stdout, new RegExp(`the committed tree equals a fresh render \\(${(await readRendered(ROOT, OWNED_DIRS)).size} files\\)`));
    const changed = "rollouts/production/us-east-1/order-engine/rollout-order-engine.yaml";
    const missing = "rollouts/staging/us-east-1/risk-engine/service-risk-engine.yaml";
    const stale = "rollouts/production/us-east-1/order-engine/service-old.yaml";
    await writeFile(join(dir, changed), (await readFile(join(dir, changed), "utf8")).replace("replicas: 3", "replicas: 4"));
    await rm(join(dir, missing));
    await writeFile(join(dir, stale), `${HEADER}\nkind: Service\n`);
    const drift = check("--diff");
    assert.equal(drift.status, 1);
    assert.match(drift.stderr, /3 rendered file\(s\) drifted/);
    for (const line of [`missing   ${missing}`, `differs   ${changed}`, `stale     ${stale}`]) assert.ok(drift.stderr.includes(line), line);
    assert.match(drift.stdout, new RegExp(`--- committed/${changed}\\n\\+\\+\\+ rendered/${changed}[\\s\\S]*-  replicas: 4\\n\\+  replicas: 3`));
    // The fresh render is kept for the user to inspect; it must exist, and the test removes it.
    const kept = /fresh render kept in (\S+)/.exec(drift.stderr)?.[1];
    assert.ok(kept && (await readFile(join(kept, changed), "utf8")).includes("replicas: 3"));
    await rm(kept, { recursive: true, force: true });
  } finally {
    await removeRepo(dir);
  }
});
