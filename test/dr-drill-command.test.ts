// npm run dr-drill (scripts/dr-drill.ts): starts a stage's drill from its rendered CronJob, waits for
// the Job and exits with its outcome; --verify judges every stage's last drill from outside the
// cluster; --matrix lists the stages for the workflow. kubectl is scripted (KUBECTL) and records
// what it was asked, so the exact commands a user's kubectl would run are asserted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./helpers/repo.ts";

/**
 * A kubectl for one cluster state per context under `dir/<context>/`: `create job` records the
 * Job, `get job <name>` answers Running for `running` polls then the outcome in `outcome`, `logs`
 * prints `log`, `get jobs.batch` prints `jobs.json`. Every call is appended to `dir/calls`.
 */
function scriptedKubectl(dir: string): string {
  const bin = join(dir, "kubectl");
  writeFileSync(bin, `#!/usr/bin/env bash
echo "$*" >> "${dir}/calls"
ctx="$2"; d="${dir}/$ctx"
[ -d "$d" ] || { echo "error: context \\"$ctx\\" does not exist" >&2; exit 1; }
args=" $* "
case "$args" in
  *" create job "*) exit 0 ;;
  *" get jobs.batch "*) cat "$d/jobs.json" ;;
  *" get job "*)
    n=$(cat "$d/polls" 2>/dev/null || echo 0); echo $((n + 1)) > "$d/polls"
    if [ "$n" -lt "$(cat "$d/running")" ]; then echo '{"metadata":{"name":"j"},"status":{"active":1}}'; else cat "$d/outcome"; fi ;;
  *" logs "*) cat "$d/log" ;;
  *) echo "unexpected: $*" >&2; exit 2 ;;
esac
`);
  chmodSync(bin, 0o755);
  return bin;
}

const job = (name: string, type: "Complete" | "Failed", daysAgo: number, owner = "production-us-east-1-dr-drill") => ({
  metadata: { name, ownerReferences: [{ kind: "CronJob", name: owner }] },
  status: { conditions: [{ type, status: "True", lastTransitionTime: new Date(Date.now() - daysAgo * 86_400_000).toISOString().replace(/\.\d+Z$/, "Z") }] },
});

function run(dir: string, args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", "scripts/dr-drill.ts", ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, KUBECTL: join(dir, "kubectl") } });
  return { status: r.status, out: r.stdout, err: r.stderr, calls: (() => { try { return readFileSync(join(dir, "calls"), "utf8").trim().split("\n"); } catch { return []; } })() };
}

function cluster(dir: string, context: string, files: Record<string, string>) {
  mkdirSync(join(dir, context), { recursive: true });
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, context, f), text);
}

test("dr-drill <stage>: a Job from the stage's CronJob on its cluster, polled until it passes; its log printed", () => {
  const dir = mkdtempSync(join(tmpdir(), "bitactor-drill-cmd-"));
  try {
    scriptedKubectl(dir);
    cluster(dir, "bitactor-stag-use1", { running: "2", outcome: JSON.stringify(job("x", "Complete", 0, "staging-us-east-1-dr-drill")), log: "DR drill of staging-us-east-1 passed: backup b (5s old), restore r Completed in 41s of 300s, 57 of 57 items, every object back\n" });
    const r = run(dir, ["staging-us-east-1", "--poll-seconds", "0"]);
    assert.equal(r.status, 0, r.err);
    const name = /started job velero\/(staging-us-east-1-dr-drill-\d{14}) from cronjob\/staging-us-east-1-dr-drill on bitactor-stag-use1/.exec(r.out)?.[1];
    assert.ok(name, r.out);
    assert.deepEqual(r.calls, [
      `--context bitactor-stag-use1 --request-timeout=20s -n velero create job ${name} --from=cronjob/staging-us-east-1-dr-drill`,
      ...Array.from({ length: 3 }, () => `--context bitactor-stag-use1 --request-timeout=20s -n velero get job ${name} -o json`),
      `--context bitactor-stag-use1 --request-timeout=20s -n velero logs job/${name}`,
    ]);
    assert.match(r.out, /DR drill of staging-us-east-1 passed: .* every object back\nstaging-us-east-1: drill passed \(velero\//);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("dr-drill <stage>: a failed drill exits 1 with the drill's own reason; an unknown stage or context is refused by name", () => {
  const dir = mkdtempSync(join(tmpdir(), "bitactor-drill-cmd-"));
  try {
    scriptedKubectl(dir);
    cluster(dir, "bitactor-prod-use1", { running: "0", outcome: JSON.stringify(job("x", "Failed", 0)), log: "DR drill of production-us-east-1 FAILED: 1 objects of production-us-east-1 at 2026-11-01T06:30:04Z did not come back: secrets/order-engine-credentials\n" });
    const failed = run(dir, ["production-us-east-1", "--poll-seconds", "0"]);
    assert.equal(failed.status, 1);
    assert.match(failed.out, /FAILED: 1 objects .* did not come back: secrets\/order-engine-credentials\nproduction-us-east-1: drill failed/);
    const unknown = run(dir, ["production-mars-1"]);
    assert.equal(unknown.status, 1);
    assert.match(unknown.err, /no stage "production-mars-1" drills \(stages with backup\.drill in their environment\.yaml: production-ap-northeast-1, .*staging-us-east-1\)/);
    const noContext = run(dir, ["production-eu-west-1"]);
    assert.equal(noContext.status, 1);
    assert.match(noContext.err, /kubectl --context bitactor-prod-euw1 .*create job .*: error: context "bitactor-prod-euw1" does not exist/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("dr-drill --verify: each stage's newest finished drill Job decides: passed recently, failed, too old, none, unreachable", () => {
  const dir = mkdtempSync(join(tmpdir(), "bitactor-drill-cmd-"));
  try {
    scriptedKubectl(dir);
    const jobs = (...items: unknown[]) => JSON.stringify({ items });
    // Passed 3 days ago after a failure 4 days ago; another stage's CronJob's Job in the same namespace is not ours.
    cluster(dir, "bitactor-prod-use1", { "jobs.json": jobs(job("production-us-east-1-dr-drill-29391234", "Failed", 4), job("production-us-east-1-dr-drill-29391300", "Complete", 3), job("other", "Failed", 0, "something-else")) });
    cluster(dir, "bitactor-prod-use2", { "jobs.json": jobs(job("production-us-east-2-dr-drill-1", "Complete", 40, "production-us-east-2-dr-drill"), job("production-us-east-2-dr-drill-2", "Failed", 2, "production-us-east-2-dr-drill")) });
    cluster(dir, "bitactor-prod-euw1", { "jobs.json": jobs(job("production-eu-west-1-dr-drill-1", "Complete", 36, "production-eu-west-1-dr-drill")) });
    cluster(dir, "bitactor-prod-apne1", { "jobs.json": jobs() });
    const r = run(dir, ["--verify", "production-us-east-1", "production-us-east-2", "production-eu-west-1", "production-ap-northeast-1", "production-asia-east2"]);
    assert.equal(r.status, 1);
    const lines = r.out.trim().split("\n");
    assert.match(lines[0]!, /^production-us-east-1 +ok {4}last drill production-us-east-1-dr-drill-29391300 passed at \S+, 3 days ago$/);
    assert.match(lines[1]!, /^production-us-east-2 +FAIL {2}last drill production-us-east-2-dr-drill-2 failed at \S+: kubectl --context bitactor-prod-use2 logs -n velero job\/production-us-east-2-dr-drill-2$/);
    assert.match(lines[2]!, /^production-eu-west-1 +FAIL {2}last drill production-eu-west-1-dr-drill-1 passed at \S+, 36 days ago \(at most 35\)$/);
    assert.match(lines[3]!, /^production-ap-northeast-1 +FAIL {2}no finished drill Job of velero\/production-ap-northeast-1-dr-drill \(run one: npm run dr-drill -- production-ap-northeast-1\)$/);
    assert.match(lines[4]!, /^production-asia-east2 +FAIL {2}kubectl --context bitactor-prod-ase2 .*: error: context "bitactor-prod-ase2" does not exist$/);
    assert.equal(lines[5], "1 of 5 stages drilled and passed within 35 days");
    const ok = run(dir, ["--verify", "production-us-east-1"]);
    assert.equal(ok.status, 0, ok.out + ok.err);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("dr-drill --matrix: every stage whose environment drills, for the workflow's matrix", () => {
  const r = spawnSync(process.execPath, ["--import", "tsx", "scripts/dr-drill.ts", "--matrix"], { cwd: ROOT, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { stage: ["production-ap-northeast-1", "production-asia-east2", "production-eu-west-1", "production-southeastasia", "production-us-east-1", "production-us-east-2", "staging-us-east-1"] });
});
