// Releasing across waves: npm run release / promote / status and the evidence promote reads.
// The commands run as a user runs them, in a git clone of this repository's inputs; the clusters'
// answers come from a scripted kubectl (KUBECTL) here, from real clusters in npm run e2e:gitops.
// Over 300 lines: one case per refusal promote can give plus the commands' end-to-end flow in one clone; each case reads on its own.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, committedModel, removeRepo, treeDigest } from "./helpers/repo.ts";
import { cloneRepo, git, npm, scriptedKubectl, setClusterObjects, sh } from "./helpers/commands.ts";
import { judge, duration, type AnalysisRunJson, type JudgeInput, type RolloutJson } from "../scripts/lib/evidence.ts";
import { nextPromotion, releaseChanges, ReleaseRefused } from "../scripts/lib/release-plan.ts";
import { editPin } from "../scripts/lib/edit-yaml.ts";
import type { RepositoryModel } from "../generators/inputs/types.ts";

const D = (n: number) => `sha256:${n.toString(16).padStart(64, "a")}`;
const NOW = Date.parse("2026-11-27T12:00:00Z");
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();

const rollout = (status: RolloutJson["status"], digest = D(1), revision = "4"): RolloutJson => ({
  metadata: { name: "order-engine", annotations: { "rollout.argoproj.io/revision": revision } },
  spec: { template: { spec: { containers: [{ name: "engine", image: `registry.bitactor.internal/order-engine@${digest}` }] } } },
  status,
});
const promoted = { phase: "Healthy", stableRS: "h1", currentPodHash: "h1", blueGreen: { activeSelector: "h1" } };
const post = (name: string, hash: string, createdAgo: number, phase = "Successful", message?: string, now = NOW): AnalysisRunJson => ({
  metadata: { name, creationTimestamp: new Date(now - createdAgo * 1000).toISOString(), labels: { "rollout-type": "PostPromotion", "rollouts-pod-template-hash": hash } },
  status: { phase, ...(message ? { message } : {}) },
});
const input = (over: Partial<JudgeInput>): JudgeInput => ({
  stage: "staging-us-east-1",
  component: "order-engine",
  digest: D(1),
  soakSeconds: 3600,
  now: NOW,
  rollout: rollout(promoted),
  runs: [post("order-engine-h1-4-post", "h1", 7200)],
  hashLabel: "rollouts-pod-template-hash",
  firstReleaseRun: "order-engine-first-release",
  ...over,
});

test("evidence: promoted, post-promotion analysis Successful, soaked: ok, since the switch", () => {
  const e = judge(input({}));
  assert.equal(e.ok, true, e.detail);
  assert.equal(e.since, NOW - 7200_000);
  assert.equal(e.detail, "promoted 2h 0m ago (order-engine-h1-4-post Successful), stable and active h1");
});

test("evidence: each way a stage has not earned the promotion, with the reason it prints", () => {
  const cases: [string, Partial<JudgeInput>, RegExp][] = [
    ["no Rollout", { rollout: undefined }, /^no Rollout order-engine: Argo CD has not created it here$/],
    ["another digest", { rollout: rollout(promoted, D(2)) }, /^the Rollout runs sha256:aaaaaaaaaaaa…, not sha256:aaaaaaaaaaaa…: not synced yet, or changed on the cluster$/],
    ["aborted before the switch", { rollout: rollout({ ...promoted, abort: true, stableRS: "h0", blueGreen: { activeSelector: "h0" }, message: 'RolloutAborted: Metric "preview-p99-le-1000ns" assessed Failed' }), runs: [] }, /^aborted before the switch, never promoted; stable is h0: RolloutAborted: Metric "preview-p99-le-1000ns" assessed Failed$/],
    ["rolled back after the switch", { rollout: rollout({ ...promoted, abort: true, stableRS: "h0", blueGreen: { activeSelector: "h0" }, message: 'RolloutAborted: Metric "active-p99-le-1000ns" assessed Failed' }), runs: [post("order-engine-h1-4-post", "h1", 200, "Failed")] }, /^rolled back after the switch \(order-engine-h1-4-post Failed\); stable is h0: RolloutAborted: Metric "active-p99-le-1000ns" assessed Failed$/],
    ["waiting for promotion", { rollout: rollout({ ...promoted, stableRS: "h0", blueGreen: { activeSelector: "h0" }, phase: "Paused", message: "BlueGreenPause" }) }, /^not promoted yet: Paused \(BlueGreenPause\)$/],
    ["switched, post-promotion analysis judging production traffic", { rollout: rollout({ ...promoted, stableRS: "h0", phase: "Progressing" }), runs: [post("order-engine-h1-4-post", "h1", 90, "Running")] }, /^switched to h1 1m 30s ago, not stable yet: order-engine-h1-4-post is Running; soaked 1m 30s of 1h 0m$/],
    ["switched, post-promotion analysis not created yet", { rollout: rollout({ ...promoted, stableRS: "h0", phase: "Progressing" }), runs: [] }, /^switched to h1, its post-promotion analysis not started yet$/],
    ["active elsewhere", { rollout: rollout({ ...promoted, blueGreen: { activeSelector: "h0" } }) }, /^the active Service selects h0, not the stable h1$/],
    ["degraded", { rollout: rollout({ ...promoted, phase: "Degraded", message: "ProgressDeadlineExceeded" }) }, /^Degraded: ProgressDeadlineExceeded$/],
    ["post-promotion still running", { runs: [post("order-engine-h1-4-post", "h1", 120, "Running")] }, /^promoted 2m 0s ago; order-engine-h1-4-post is Running$/],
    ["post-promotion failed", { runs: [post("order-engine-h1-4-post", "h1", 120, "Failed", "Metric failed")] }, /is Failed: Metric failed$/],
    ["before the soak", { runs: [post("order-engine-h1-4-post", "h1", 1500)] }, /^promoted 25m 0s ago \(order-engine-h1-4-post Successful\): soaked 25m 0s of 1h 0m, eligible at 2026-11-27T12:35:00\.000Z$/],
    ["a rollback and a new promotion restart the clock", { runs: [post("order-engine-h1-4-post", "h1", 9000), post("order-engine-h1-6-post", "h1", 600)] }, /^promoted 10m 0s ago \(order-engine-h1-6-post Successful\): soaked 10m 0s of 1h 0m/],
    ["the analysis of another hash", { runs: [post("order-engine-h0-3-post", "h0", 9000)] }, /^no post-promotion AnalysisRun for h1: the switch time is unknown/],
    ["a later revision without a post-promotion run is not a first release", { runs: [{ metadata: { name: "order-engine-first-release", creationTimestamp: ago(90000) }, status: { phase: "Successful" } }] }, /^no post-promotion AnalysisRun for h1/],
  ];
  for (const [name, over, want] of cases) {
    const e = judge(input(over));
    assert.equal(e.ok, false, name);
    assert.match(e.detail, want, name);
  }
});

test("evidence: a first release is judged by its first-release AnalysisRun", () => {
  const first = { metadata: { name: "order-engine-first-release", creationTimestamp: ago(4000) }, status: { phase: "Successful" } };
  assert.equal(judge(input({ rollout: rollout(promoted, D(1), "1"), runs: [first] })).detail, "first release 1h 6m ago (order-engine-first-release Successful), stable and active h1");
  const failed = judge(input({ rollout: rollout(promoted, D(1), "1"), runs: [{ ...first, status: { phase: "Failed", message: 'Metric "first-release-p99-le-1000ns" assessed Failed' } }] }));
  assert.equal(failed.ok, false);
  assert.match(failed.detail, /^first release 1h 6m ago; order-engine-first-release is Failed: Metric "first-release-p99/);
});

test("durations read as an operator says them", () => {
  assert.deepEqual([0, 59, 60, 3599, 3600, 90061].map(duration), ["0s", "59s", "1m 0s", "59m 59s", "1h 0m", "25h 1m"]);
});

test("release pins the first wave only; promote moves what the previous wave runs into the next", async () => {
  const model = await committedModel();
  const r = releaseChanges(model, "order-engine", "4.14.0", D(9));
  assert.equal(r.wave, "staging");
  assert.deepEqual(r.changes.map((c) => [c.stage.id, c.from?.version, c.to.version]), [["staging-us-east-1", "4.13.0", "4.14.0"]]);
  const p = nextPromotion(model, "order-engine");
  assert.ok(!("upToDate" in p));
  assert.equal(p.from.name, "staging");
  assert.equal(p.to.name, "wave-1");
  assert.equal(p.from.soak, "24h");
  assert.deepEqual(p.pin, { version: "4.13.0", digest: model.environments.find((e) => e.settings.environment === "staging")!.regions[0]!.components["order-engine"]!.digest });
  assert.deepEqual(p.changes.map((c) => c.stage.id), ["production-ap-northeast-1"]);
});

/** The committed model with pins changed: stage id → component → digest (version from the digest). */
function withPins(model: RepositoryModel, pins: Record<string, Record<string, string>>): RepositoryModel {
  return {
    ...model,
    environments: model.environments.map((e) => ({
      ...e,
      regions: e.regions.map((r) => {
        const over = pins[`${e.settings.environment}-${r.region}`] ?? {};
        return { ...r, components: Object.fromEntries(Object.entries(r.components).map(([c, p]) => [c, over[c] ? { ...p, digest: over[c], version: `9.9.${parseInt(over[c].slice(-4), 16)}` } : p])) };
      }),
    })),
  };
}

test("promote: the first wave behind is the target; a wave running two versions refuses; --to names a wave", async () => {
  const model = await committedModel();
  const all = Object.fromEntries(model.plan.waves.flatMap((w) => w.stages).map((s) => [s, { "order-engine": D(5) }]));
  assert.deepEqual(nextPromotion(withPins(model, all), "order-engine"), { upToDate: "every wave runs order-engine 9.9.43685 (sha256:aaaaaaaaaaaa…): nothing to promote" });
  // staging and wave-1 on D(5), wave-2 behind: the target is wave-2.
  const behind = withPins(model, { ...all, "production-eu-west-1": { "order-engine": D(4) } });
  const p = nextPromotion(behind, "order-engine");
  assert.ok(!("upToDate" in p));
  assert.equal(p.to.name, "wave-2");
  assert.deepEqual(p.changes.map((c) => c.stage.id), ["production-eu-west-1"]);
  // wave-2 split: promoting into wave-3 refuses, and says to finish wave-2 first.
  assert.throws(
    () => nextPromotion(behind, "order-engine", "wave-3"),
    (e: Error) => e instanceof ReleaseRefused && e.message === "wave-2 does not run one version of order-engine: production-asia-east2 9.9.43685 (sha256:aaaaaaaaaaaa…), production-eu-west-1 9.9.43684 (sha256:aaaaaaaaaaaa…), production-southeastasia 9.9.43685 (sha256:aaaaaaaaaaaa…); promote wave-2 itself first",
  );
  assert.throws(() => nextPromotion(model, "order-engine", "wave-9"), /unknown wave "wave-9"; waves: staging, wave-1, wave-2, wave-3/);
  assert.throws(() => nextPromotion(model, "order-engine", "staging"), /staging is the first wave: it receives versions from npm run release/);
  assert.throws(() => releaseChanges(model, "order-engine", "4.14", D(9)), /version "4.14" is not a semantic version/);
  assert.throws(() => releaseChanges(model, "order-engine", "4.14.0", "latest"), /digest "latest" is not sha256:<64 hex digits>/);
  assert.throws(() => releaseChanges(model, "order-engin", "4.14.0", D(9)), /unknown component "order-engin"; components: alpha-calculator, execution-gateway/);
});

test("a pin edit changes exactly the version and digest lines and drops the pin's hotfix", () => {
  const file = "environments/production/regions/us-east-1.yaml";
  const text = readFileSync(join(ROOT, file), "utf8");
  const withHotfix = text.replace("    replicas: 3\n  risk-engine:", "    replicas: 3\n    hotfix:\n      digest: sha256:5ac2e759c6e0f5b22ea8143c9436b7c37eb04bf571bab04a7ca14bf07935c54f\n      reason: NYSE session drops on 4.12.0, fixed in this build\n  risk-engine:");
  const out = editPin(file, withHotfix, { component: "order-engine", version: "4.14.0", digest: D(9) });
  const a = text.split("\n");
  const b = out.split("\n");
  assert.equal(a.length, b.length);
  const changed = a.flatMap((l, i) => (l === b[i] ? [] : [[l, b[i]]]));
  assert.deepEqual(changed, [
    ["    version: 4.12.0", "    version: 4.14.0"],
    ["    digest: sha256:5ac2e759c6e0f5b22ea8143c9436b7c37eb04bf571bab04a7ca14bf07935c54f", `    digest: ${D(9)}`],
  ]);
  assert.throws(() => editPin(file, text, { component: "nope", version: "1.0.0", digest: D(1) }), /nope is not deployed here/);
});

// ---- the commands, in a git clone -------------------------------------------------------------

function setCluster(dir: string, context: string, r: RolloutJson | undefined, runs: AnalysisRunJson[]) {
  setClusterObjects(dir, context, { rollout: r, runs: { items: runs } });
}

test("release → check → promote: refused on missing or young evidence (nothing written), then moved; a hand pin that skips a wave fails the check with file, line and field", async () => {
  const dir = await cloneRepo();
  try {
    const clusters = mkdtempSync(join(tmpdir(), "bitactor-clusters-"));
    const kubectl = scriptedKubectl(clusters);
    // release: staging only, printed for review, rendered.
    const rel = npm(dir, "release", ["order-engine", "4.14.0", D(9)]);
    assert.equal(rel.status, 0, rel.out);
    assert.match(rel.out, /^release order-engine 4\.14\.0 into staging \(the first wave of environments\/waves\.yaml\):\n {2}staging-us-east-1 {2}4\.13\.0 \(sha256:0d36e11a042f…\) → 4\.14\.0 \(sha256:aaaaaaaaaaaa…\) {2}environments\/staging\/regions\/us-east-1\.yaml\nrendered: 0 added, \d+ changed, 0 removed\n/);
    const changed = git(dir, "status", "--porcelain").out.split("\n").filter(Boolean).map((l) => l.slice(3));
    assert.ok(changed.includes("environments/staging/regions/us-east-1.yaml"));
    assert.ok(changed.every((f) => f.startsWith("environments/staging/") || f.startsWith("rollouts/staging/") || f.startsWith("applicationsets/staging/")), changed.join("\n"));
    assert.equal(git(dir, "commit", "-qam", "release order-engine 4.14.0").status, 0);
    assert.equal(git(dir, "add", "-A").status, 0);
    assert.equal(git(dir, "commit", "-qm", "rendered", "--allow-empty").status, 0);
    const ok = npm(dir, "check");
    assert.equal(ok.status, 0, ok.out);
    assert.match(ok.out, /check: release order kept: 1 pin change\(s\) judged since [0-9a-f]{12} \(the first commit with the release plan\), 0 exception\(s\)/);

    // promote with no cluster answering: refused, says why, writes nothing.
    const before = await treeDigest(dir);
    const none = npm(dir, "promote", ["order-engine"], { KUBECTL: kubectl });
    assert.equal(none.status, 1, none.out);
    assert.match(none.out, /NO {2}staging-us-east-1 {2}bitactor-stag-use1: no evidence: kubectl --context bitactor-stag-use1 get -n staging-us-east-1 rollouts\.argoproj\.io order-engine: error: context "bitactor-stag-use1" does not exist/);
    assert.match(none.out, /promote refused: staging-us-east-1 has not run order-engine 4\.14\.0 promoted and unrolled-back for 24h; nothing was written/);
    // promoted an hour ago: too young for staging's 24 h soak.
    const r = rollout(promoted, D(9));
    setCluster(clusters, "bitactor-stag-use1", r, [post("order-engine-h1-5-post", "h1", 3600, "Successful", undefined, Date.now())]);
    const young = npm(dir, "promote", ["order-engine"], { KUBECTL: kubectl });
    assert.equal(young.status, 1, young.out);
    assert.match(young.out, /NO {2}staging-us-east-1 {2}bitactor-stag-use1: promoted 1h 0m ago \(order-engine-h1-5-post Successful\): soaked 1h 0m of 24h 0m, eligible at /);
    // rolled back by its post-promotion analysis: refused.
    setCluster(clusters, "bitactor-stag-use1", rollout({ ...promoted, abort: true, stableRS: "h0", blueGreen: { activeSelector: "h0" }, message: "RolloutAborted: post-promotion analysis failed" }, D(9)), [post("order-engine-h1-5-post", "h1", 90000, "Failed", undefined, Date.now())]);
    const back = npm(dir, "promote", ["order-engine"], { KUBECTL: kubectl });
    assert.equal(back.status, 1, back.out);
    assert.match(back.out, /NO {2}staging-us-east-1 {2}bitactor-stag-use1: rolled back after the switch \(order-engine-h1-5-post Failed\); stable is h0: RolloutAborted/);
    assert.equal(await treeDigest(dir), before);
    assert.equal(git(dir, "status", "--porcelain").out, "");

    // a clean soak: --dry-run prints and writes nothing; then promote moves wave-1.
    setCluster(clusters, "bitactor-stag-use1", r, [post("order-engine-h1-5-post", "h1", 90000, "Successful", undefined, Date.now())]);
    const dry = npm(dir, "promote", ["order-engine", "--dry-run"], { KUBECTL: kubectl });
    assert.equal(dry.status, 0, dry.out);
    assert.match(dry.out, /ok {2}staging-us-east-1 {2}bitactor-stag-use1: promoted 25h 0m ago/);
    assert.match(dry.out, /wave-1 changes:\n {2}production-ap-northeast-1 {2}4\.12\.0 \(sha256:5ac2e759c6e0…\) → 4\.14\.0 \(sha256:aaaaaaaaaaaa…\) {2}environments\/production\/regions\/ap-northeast-1\.yaml\ndry run: nothing was written/);
    assert.equal(git(dir, "status", "--porcelain").out, "");
    const moved = npm(dir, "promote", ["order-engine"], { KUBECTL: kubectl });
    assert.equal(moved.status, 0, moved.out);
    assert.match(git(dir, "diff", "--", "environments").out, /-    version: 4\.12\.0\n-    digest: sha256:5ac2e759c6e0f5b22ea8143c9436b7c37eb04bf571bab04a7ca14bf07935c54f\n\+    version: 4\.14\.0\n\+    digest: sha256:a+9\n/);
    assert.equal(git(dir, "add", "-A").status, 0);
    assert.equal(git(dir, "commit", "-qm", "promote order-engine 4.14.0 to wave-1").status, 0);
    assert.equal(npm(dir, "check").status, 0);

    // status: from git alone.
    const st = npm(dir, "status", ["--component", "order-engine"]);
    assert.equal(st.status, 0, st.out);
    assert.match(st.out, /\n {2}staging +staging-us-east-1 +4\.14\.0 +sha256:aaaaaaaaaaaa… +[0-9a-f]{8} \d{4}-\d\d-\d\d release order-engine 4\.14\.0\n/);
    assert.match(st.out, /\n {2}wave-1 +production-ap-northeast-1 +4\.14\.0 +sha256:aaaaaaaaaaaa… +[0-9a-f]{8} \d{4}-\d\d-\d\d promote order-engine 4\.14\.0 to wave-1\n/);
    assert.match(st.out, /\n {2}wave-3 +production-us-east-2 +4\.12\.0 +sha256:5ac2e759c6e0… +[0-9a-f]{8} \d{4}-\d\d-\d\d baseline\n/);
    assert.match(st.out, /next: npm run promote -- order-engine {3}\(4\.14\.0 from wave-1 to wave-2: production-asia-east2, production-eu-west-1, production-southeastasia; after wave-1's soak of 24h\)/);

    // status --live: each stage's cluster judged as promote judges it.
    const live = npm(dir, "status", ["--component", "order-engine", "--live"], { KUBECTL: kubectl });
    assert.equal(live.status, 0, live.out);
    assert.match(live.out, /\n live:\n {2}staging-us-east-1: promoted 25h 0m ago \(order-engine-h1-5-post Successful\), stable and active h1\n {2}production-ap-northeast-1: no evidence: kubectl --context bitactor-prod-apne1 get .*does not exist\n/);

    // By hand, straight into wave-3: the check fails, naming the file, line and field.
    const file = join(dir, "environments/production/regions/us-east-1.yaml");
    const text = readFileSync(file, "utf8");
    writeFileSync(file, text.replace("sha256:5ac2e759c6e0f5b22ea8143c9436b7c37eb04bf571bab04a7ca14bf07935c54f", D(9)).replace("  order-engine:\n    version: 4.12.0", "  order-engine:\n    version: 4.14.0"));
    assert.equal(npm(dir, "render").status, 0);
    const bad = npm(dir, "check");
    assert.equal(bad.status, 1, bad.out);
    const line = text.split("\n").findIndex((l) => l.includes("digest: sha256:5ac2e759c6e0f5b")) + 1;
    assert.match(bad.out, new RegExp(`environments/production/regions/us-east-1\\.yaml:${line}: /components/order-engine/digest: working tree "uncommitted changes": production-us-east-1 \\(wave-3\\) pins order-engine 4\\.14\\.0 \\(sha256:aaaaaaaaaaaa…\\) before wave-2 ran it: production-asia-east2, production-eu-west-1, production-southeastasia never pinned it`));
    // ...and with a hotfix naming the digest and a reason, it passes and is reported.
    writeFileSync(file, readFileSync(file, "utf8").replace(`    digest: ${D(9)}\n    replicas: 3\n`, `    digest: ${D(9)}\n    replicas: 3\n    hotfix:\n      digest: ${D(9)}\n      reason: NYSE order entry rejects 4.12.0 after the venue's 2026-11-27 change\n`));
    assert.equal(npm(dir, "render").status, 0);
    const fixed = npm(dir, "check");
    assert.equal(fixed.status, 0, fixed.out);
    assert.match(fixed.out, new RegExp(`check: hotfix: environments/production/regions/us-east-1\\.yaml:${line}: working tree: production-us-east-1 order-engine sha256:aaaaaaaaaaaa… skipped the waves: NYSE order entry rejects 4\\.12\\.0`));
    assert.match(fixed.out, /1 exception\(s\)/);
  } finally {
    await removeRepo(dir);
  }
});

test("the check refuses a shallow clone and a copy without git, instead of passing on no history", async () => {
  const dir = await cloneRepo();
  try {
    const copy = `${dir}-copy`;
    spawnSync("cp", ["-r", dir, copy]);
    spawnSync("rm", ["-rf", join(copy, ".git")]);
    const nogit = npm(copy, "check");
    spawnSync("rm", ["-rf", copy]);
    assert.equal(nogit.status, 1, nogit.out);
    assert.match(nogit.out, /is not a git work tree: the release order is checked on the git history/);
    const shallow = `${dir}-shallow`;
    assert.equal(git(dir, "commit", "-q", "--allow-empty", "-m", "second").status, 0);
    assert.equal(sh(ROOT, "git", ["clone", "-q", "--depth", "1", `file://${dir}`, shallow]).status, 0);
    symlinkSync(join(ROOT, "node_modules"), join(shallow, "node_modules"));
    const r = npm(shallow, "check");
    spawnSync("rm", ["-rf", shallow]);
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /this clone is shallow: .*git fetch --unshallow \(GitHub Actions: actions\/checkout with fetch-depth: 0\)/);
  } finally {
    await removeRepo(dir);
  }
});
