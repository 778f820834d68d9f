// npm run apply:stage (what .github/workflows/kind.yml runs on a kind cluster): one rendered stage
// applied with kubectl to a real API server, CRDs first, every object read back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { ROOT } from "./helpers/repo.ts";
import { startControlPlane } from "../harness/cluster/control-plane.ts";
import { kubectl } from "../toolchain/cluster.ts";
import { readRendered } from "../lib/tree.ts";

test("apply:stage puts staging-us-east-1 on a real API server and reads every object back; an unknown stage is refused", async () => {
  const rendered = [...(await readRendered(ROOT)).keys()].filter((f) => f.startsWith("rollouts/staging/us-east-1/"));
  const cp = await startControlPlane();
  try {
    const env = { ...process.env, KUBECONFIG: cp.kubeconfig, KUBECTL: kubectl() };
    const run = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "scripts/apply-stage.ts", ...args], { cwd: ROOT, encoding: "utf8", env });
    const r = run("staging-us-east-1");
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const m = /^staging-us-east-1: (\d+) CRDs established, (\d+) namespaces, (\d+) objects applied and read back$/m.exec(r.stdout);
    assert.ok(m, r.stdout);
    // Every rendered file of the stage but its CRD is one applied object.
    assert.equal(Number(m[3]) + 1, rendered.length);
    const rollouts = spawnSync(kubectl(), ["get", "rollouts.argoproj.io", "-n", "staging-us-east-1", "-o", "name"], { env, encoding: "utf8" });
    assert.deepEqual(rollouts.stdout.trim().split("\n").sort(), ["alpha-calculator", "execution-gateway", "market-data-handler", "order-engine", "risk-engine"].map((c) => `rollout.argoproj.io/${c}`));
    const unknown = run("staging-mars-1");
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /no rendered stage "staging-mars-1" \(rendered: production-ap-northeast-1, .*staging-us-east-1\)/);
  } finally {
    await cp.stop();
  }
});
