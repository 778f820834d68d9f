// The operator through the release train, like an engine component (generators/inputs/pins.ts):
// npm run release pins the first wave; promote judges the previous wave's operator from its
// Deployment, its BitActorCluster and its Lease (scripts/lib/evidence.ts judgeOperator) and brings it
// to a wave that does not run it yet, writing the region file's `operator` block; the release-order
// check judges its pins; status lists it. The clusters' answers come from a scripted kubectl.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, committedModel, removeRepo, treeDigest } from "./helpers/repo.ts";
import { cloneRepo, git, npm, scriptedKubectl, setClusterObjects } from "./helpers/commands.ts";
import { judgeOperator, LEASE_FRESH_SECONDS, type DeploymentJson, type OperatorJudgeInput } from "../scripts/lib/evidence.ts";
import { nextPromotion, releaseChanges, summary } from "../scripts/lib/release-plan.ts";
import { OPERATOR_RELEASE } from "../generators/inputs/pins.ts";
import { imageInputs } from "../toolchain/operator-image.ts";

const D = (n: number) => `sha256:${n.toString(16).padStart(64, "b")}`;
const NOW = Date.parse("2026-12-07T12:00:00Z");
const at = (secondsAgo: number, now = NOW) => new Date(now - secondsAgo * 1000).toISOString();
const recorded = imageInputs().digest;
/** The operator's version staging pins (operator/package.json, which the image is built as). */
const VERSION = (JSON.parse(readFileSync(join(ROOT, "operator", "package.json"), "utf8")) as { version: string }).version;
const V = VERSION.replace(/\./g, "\\.");

const deployment = (digest: string, rolledOutAgo: number, over: Partial<NonNullable<DeploymentJson["status"]>> = {}, now = NOW): DeploymentJson => ({
  metadata: { name: "bitactor-operator", generation: 3 },
  spec: { replicas: 2, template: { spec: { containers: [{ name: "operator", image: `registry.bitactor.internal/platform/bitactor-operator@${digest}` }] } } },
  status: {
    observedGeneration: 3,
    replicas: 2,
    updatedReplicas: 2,
    availableReplicas: 2,
    conditions: [
      { type: "Available", status: "True", reason: "MinimumReplicasAvailable" },
      { type: "Progressing", status: "True", reason: "NewReplicaSetAvailable", lastUpdateTime: at(rolledOutAgo, now), message: 'ReplicaSet "bitactor-operator-7d9f" has successfully progressed.' },
    ],
    ...over,
  },
});
const reconciled = { metadata: { generation: 5 }, status: { observedGeneration: 5 } };
const leading = (renewedAgo: number, now = NOW) => ({ spec: { holderIdentity: "bitactor-operator-7d9f-x2k4p", renewTime: at(renewedAgo, now) } });
const input = (over: Partial<OperatorJudgeInput>): OperatorJudgeInput => ({
  stage: "staging-us-east-1",
  digest: D(1),
  soakSeconds: 3600,
  now: NOW,
  deployment: deployment(D(1), 7200),
  cluster: reconciled,
  lease: leading(2),
  ...over,
});

test("operator evidence: rolled out for the soak, every replica available, reconciling, a leader: ok, since the rollout", () => {
  const e = judgeOperator(input({}));
  assert.equal(e.ok, true, e.detail);
  assert.equal(e.since, NOW - 7200_000);
  assert.equal(e.detail, "rolled out 2h 0m ago, every replica available, the BitActorCluster reconciled, bitactor-operator-7d9f-x2k4p leads");
});

test("operator evidence: each way a stage's operator has not earned the promotion, with the reason it prints", () => {
  const cases: [string, Partial<OperatorJudgeInput>, RegExp][] = [
    ["no Deployment", { deployment: undefined }, /^no operator Deployment: Argo CD has not created it here$/],
    ["another digest", { deployment: deployment(D(2), 7200) }, /^the Deployment runs sha256:bbbbbbbbbbbb…, not sha256:bbbbbbbbbbbb…: not synced yet, or changed on the cluster$/],
    ["spec not observed", { deployment: deployment(D(1), 7200, { observedGeneration: 2 }) }, /^the Deployment controller has not acted on generation 3 yet \(observed 2\)$/],
    ["one replica not updated", { deployment: deployment(D(1), 7200, { updatedReplicas: 1, replicas: 3 }) }, /^rolling out: 1 of 2 updated, 2 available, 3 in all \(NewReplicaSetAvailable: /],
    ["one not available", { deployment: deployment(D(1), 7200, { availableReplicas: 1 }) }, /^rolling out: 2 of 2 updated, 1 available, 2 in all/],
    ["stuck", { deployment: deployment(D(1), 7200, { conditions: [{ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded", message: "ReplicaSet has timed out progressing." }] }) }, /^rolling out: .*\(ProgressDeadlineExceeded: ReplicaSet has timed out progressing\.\)$/],
    ["no BitActorCluster", { cluster: undefined }, /^rolled out 2h 0m ago, but the cluster has no BitActorCluster staging-us-east-1 to reconcile$/],
    ["not reconciling", { cluster: { metadata: { generation: 6 }, status: { observedGeneration: 5 } } }, /^rolled out 2h 0m ago, but the BitActorCluster's generation 6 is not reconciled \(observed 5\)$/],
    ["nobody leads", { lease: leading(LEASE_FRESH_SECONDS + 60) }, /^rolled out 2h 0m ago, but no replica leads: the Lease was last renewed by bitactor-operator-7d9f-x2k4p 1m 30s ago$/],
    ["no Lease", { lease: undefined }, /^rolled out 2h 0m ago, but no replica leads: the Lease has no holder$/],
    ["before the soak", { deployment: deployment(D(1), 1500) }, /^rolled out 25m 0s ago, reconciling, bitactor-operator-7d9f-x2k4p leads: soaked 25m 0s of 1h 0m, eligible at 2026-12-07T12:35:00\.000Z$/],
  ];
  for (const [name, over, want] of cases) {
    const e = judgeOperator(input(over));
    assert.equal(e.ok, false, name);
    assert.match(e.detail, want, name);
  }
});

test("release pins the operator in the first wave; promote brings it to the next wave, which runs none yet", async () => {
  const model = await committedModel();
  const r = releaseChanges(model, OPERATOR_RELEASE, "9.0.0", D(7));
  assert.equal(r.wave, "staging");
  assert.deepEqual(r.changes.map((c) => [c.stage.id, c.from?.digest, c.to.version]), [["staging-us-east-1", recorded, "9.0.0"]]);
  const p = nextPromotion(model, OPERATOR_RELEASE);
  assert.ok(!("upToDate" in p));
  assert.deepEqual([p.from.name, p.to.name, p.pin.digest], ["staging", "wave-1", recorded]);
  assert.deepEqual(p.changes.map((c) => [c.stage.id, c.from]), [["production-ap-northeast-1", undefined]]);
  assert.match(summary(p.changes)[0]!, new RegExp(`^ {2}production-ap-northeast-1 {2}none → ${V} \\(sha256:[0-9a-f]{12}…\\) {2}environments\\/production\\/regions\\/ap-northeast-1\\.yaml$`));
});

test("promote -- bitactor-operator: refused on a young or broken rollout (nothing written), then writes the region's operator block, renders its pods, and the order check and status follow", async () => {
  const dir = await cloneRepo();
  try {
    const clusters = mkdtempSync(join(tmpdir(), "bitactor-clusters-"));
    const kubectl = scriptedKubectl(clusters);
    const before = await treeDigest(dir);
    const now = Date.now();
    // Rolled out an hour ago: too young for staging's 24 h soak.
    setClusterObjects(clusters, "bitactor-stag-use1", { deployment: deployment(recorded, 3600, {}, now), cluster: reconciled, lease: leading(1, now) });
    const young = npm(dir, "promote", [OPERATOR_RELEASE], { KUBECTL: kubectl });
    assert.equal(young.status, 1, young.out);
    assert.match(young.out, new RegExp(`^promote bitactor-operator ${V} \\(sha256:[0-9a-f]{12}…\\) from staging to wave-1; staging's soak: 24h\\n`));
    assert.match(young.out, /NO {2}staging-us-east-1 {2}bitactor-stag-use1: rolled out 1h 0m ago, reconciling, bitactor-operator-7d9f-x2k4p leads: soaked 1h 0m of 24h 0m/);
    assert.match(young.out, new RegExp(`promote refused: staging-us-east-1 has not run bitactor-operator ${V} promoted and unrolled-back for 24h; nothing was written`));
    // Rolled out long ago, but its operator stopped reconciling: refused.
    setClusterObjects(clusters, "bitactor-stag-use1", { deployment: deployment(recorded, 90000, {}, now), cluster: { metadata: { generation: 6 }, status: { observedGeneration: 5 } }, lease: leading(1, now) });
    const stale = npm(dir, "promote", [OPERATOR_RELEASE], { KUBECTL: kubectl });
    assert.equal(stale.status, 1, stale.out);
    assert.match(stale.out, /the BitActorCluster's generation 6 is not reconciled/);
    assert.equal(await treeDigest(dir), before);

    // A clean soak: wave-1's region file gets the operator, its pods are rendered, nothing else moves.
    setClusterObjects(clusters, "bitactor-stag-use1", { deployment: deployment(recorded, 90000, {}, now), cluster: reconciled, lease: leading(1, now) });
    const moved = npm(dir, "promote", [OPERATOR_RELEASE], { KUBECTL: kubectl });
    assert.equal(moved.status, 0, moved.out);
    assert.match(moved.out, /ok {2}staging-us-east-1 {2}bitactor-stag-use1: rolled out 25h 0m ago, every replica available, the BitActorCluster reconciled/);
    assert.match(moved.out, new RegExp(`wave-1 changes:\\n {2}production-ap-northeast-1 {2}none → ${V} `));
    assert.match(moved.out, /rendered: 4 added, \d+ changed, 0 removed/);
    const diff = git(dir, "diff", "--", "environments").out;
    assert.match(diff, new RegExp(`\\+operator:\\n\\+  version: ${V}\\n\\+  digest: ${recorded}\\n`));
    assert.equal(diff.match(/^[+-][^+-]/gm)?.length, 3, diff);
    const added = git(dir, "status", "--porcelain").out.split("\n").filter((l) => l.startsWith("??")).map((l) => l.slice(3)).sort();
    assert.deepEqual(added, [
      "rollouts/production/ap-northeast-1/platform/deployment-bitactor-operator.yaml",
      "rollouts/production/ap-northeast-1/platform/networkpolicy-bitactor-operator-default-deny.yaml",
      "rollouts/production/ap-northeast-1/platform/networkpolicy-bitactor-operator.yaml",
      "rollouts/production/ap-northeast-1/platform/poddisruptionbudget-bitactor-operator.yaml",
    ]);
    assert.equal(git(dir, "add", "-A").status, 0);
    assert.equal(git(dir, "commit", "-qm", `promote bitactor-operator ${VERSION} to wave-1`).status, 0);
    const check = npm(dir, "check");
    assert.equal(check.status, 0, check.out);
    assert.match(check.out, /check: release order kept: 1 pin change\(s\) judged/);

    // status: the operator's row per stage, "not here yet" where it has not arrived.
    const st = npm(dir, "status", ["--component", OPERATOR_RELEASE]);
    assert.equal(st.status, 0, st.out);
    assert.match(st.out, new RegExp(`\\n {2}wave-1 +production-ap-northeast-1 +${V} +sha256:[0-9a-f]{12}… +[0-9a-f]{8} \\d{4}-\\d\\d-\\d\\d promote bitactor-operator ${V} to wave-1\\n`));
    assert.match(st.out, /\n {2}wave-3 +production-us-east-2 +none +not here yet\n/);
    assert.match(st.out, new RegExp(`next: npm run promote -- bitactor-operator {3}\\(${V} from wave-1 to wave-2: production-asia-east2, production-eu-west-1, production-southeastasia; after wave-1's soak of 24h\\)`));

    // A new version by hand, straight into wave-3: the check names the file, the line and the
    // operator's field, and holds it behind wave-2, which runs no operator yet (a component would
    // be held only by the waves that run it).
    const file = join(dir, "environments/production/regions/us-east-1.yaml");
    const text = readFileSync(file, "utf8");
    writeFileSync(file, `${text}operator:\n  version: 9.1.0\n  digest: ${D(8)}\n`);
    assert.equal(npm(dir, "render").status, 0);
    const bad = npm(dir, "check");
    assert.equal(bad.status, 1, bad.out);
    const line = text.split("\n").length + 2;
    assert.match(bad.out, new RegExp(`environments/production/regions/us-east-1\\.yaml:${line}: /operator/digest: working tree "uncommitted changes": production-us-east-1 \\(wave-3\\) pins bitactor-operator 9\\.1\\.0 \\(sha256:bbbbbbbbbbbb…\\) before wave-2 ran it: production-asia-east2, production-eu-west-1, production-southeastasia never pinned it`));
  } finally {
    await removeRepo(dir);
  }
});
