// The bare-metal benchmark gate (checks/bench-gate.ts, npm run bench:gate): properties over many
// generated results, the hand cases a reviewer would ask about, and the command on files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { ROOT, committedModel } from "./helpers/repo.ts";
import { benchResultIssues, judgeBench, median, spreadPercent, type BenchResult } from "../checks/bench-gate.ts";

const model = await committedModel();
const catalog = model.catalog;
const order = catalog.components["order-engine"]!;
const orderType = catalog.nodePools[order.nodePool]!.instanceTypes.aws;
const b = catalog.benchmark;

const result = (p99s: readonly number[], over: Partial<BenchResult> = {}): BenchResult => ({
  component: "order-engine",
  instanceType: orderType,
  image: b.image,
  runs: p99s.map((p99Ns) => ({ p99Ns, samples: b.minSamplesPerRun })),
  ...over,
});

test("the catalog's benchmark: order-engine on m7i.metal-24xl, 1 µs budget, 5 runs, 5 % regression threshold", () => {
  assert.equal(order.budgetNs, 1000);
  assert.equal(orderType, "m7i.metal-24xl");
  assert.equal(b.runs, 5);
  assert.equal(b.regressionPercent, 5);
});

test("property: a result passes exactly when every run is within budget and the median is within the threshold of the last result", () => {
  const runs = fc.array(fc.integer({ min: 100, max: 1400 }), { minLength: b.runs, maxLength: b.runs + 3 });
  fc.assert(
    fc.property(runs, fc.option(runs, { nil: undefined }), (now, before) => {
      const last = before ? result(before) : undefined;
      const v = judgeBench(catalog, result(now), last);
      const within = Math.max(...now) <= order.budgetNs;
      const threshold = before ? Math.max(b.regressionPercent, spreadPercent(last!.runs)) : undefined;
      const regressed = before ? ((median(now) - median(before)) / median(before)) * 100 > threshold! : false;
      assert.equal(v.ok, within && !regressed, v.lines.join("\n"));
      assert.equal(v.thresholdPercent, threshold);
      assert.equal(v.medianNs, median(now));
      // Every failure is named: the budget with the runs over it, the regression with both medians.
      if (!within) assert.ok(v.lines.some((l) => l.startsWith("FAIL p99 over the 1000 ns budget")), v.lines.join("\n"));
      if (regressed) assert.ok(v.lines.some((l) => l.startsWith("FAIL regressed: median p99")), v.lines.join("\n"));
    }),
    { numRuns: 500 },
  );
});

test("one run over budget fails even when the median is well under it", () => {
  const v = judgeBench(catalog, result([600, 610, 620, 630, 1001]));
  assert.equal(v.ok, false);
  assert.deepEqual(v.lines, [
    "FAIL p99 over the 1000 ns budget in 1 of 5 runs (run 5: 1001 ns)",
    "ok   no last result on main: nothing to compare with (this result becomes the baseline once merged)",
  ]);
});

test("a 6 % slower median fails against a quiet baseline and passes against a baseline noisier than that", () => {
  const quiet = result([700, 701, 702, 703, 704]);
  const slower = result([740, 742, 744, 746, 748]);
  const v = judgeBench(catalog, slower, quiet);
  assert.equal(v.ok, false);
  assert.equal(v.lines[0], "FAIL regressed: median p99 744 ns against 702 ns on main (+6.0 %; threshold 5 %: regressionPercent 5 %)");
  const noisy = result([640, 680, 702, 720, 760]);
  const w = judgeBench(catalog, slower, noisy);
  assert.equal(w.ok, true, w.lines.join("\n"));
  assert.match(w.lines[1]!, /threshold 17\.1 %: the last result's run-to-run spread 17\.1 %, above regressionPercent 5 %/);
});

test("a figure from the wrong hardware, another image, too few runs or samples, or an unknown component fails", () => {
  const wrongHost = judgeBench(catalog, result([500, 500, 500, 500, 500], { instanceType: "c7gn.16xlarge" }));
  assert.equal(wrongHost.ok, false);
  assert.match(wrongHost.lines[0]!, /measured on c7gn\.16xlarge, but order-engine runs on node pool bare-metal \(m7i\.metal-24xl, c3-standard-192-metal, Standard_D96ds_v5\)/);
  assert.match(judgeBench(catalog, result([500, 500, 500, 500, 500], { image: "registry.bitactor.internal/engine/bitactor-bench@sha256:" + "0".repeat(64) })).lines[0]!, /not the pinned benchmark image/);
  assert.match(judgeBench(catalog, result([500, 500])).lines[0]!, /2 runs, the catalog asks for 5/);
  const few = judgeBench(catalog, { ...result([500, 500, 500, 500, 500]), runs: [...result([500, 500, 500, 500]).runs, { p99Ns: 500, samples: 1000 }] });
  assert.match(few.lines[0]!, /run 5: 1000 samples, fewer than 10000000/);
  assert.match(judgeBench(catalog, result([1, 1, 1, 1, 1], { component: "matcher" })).lines[0]!, /matcher: not a component of engine\/catalog\.yaml \(known: alpha-calculator, /);
  // A last result of other hardware is not compared, and says so.
  const other = judgeBench(catalog, result([900, 900, 900, 900, 900]), result([100, 100, 100, 100, 100], { instanceType: "c3-standard-192-metal" }));
  assert.equal(other.ok, true);
  assert.match(other.lines.at(-1)!, /measured order-engine on c3-standard-192-metal: not comparable/);
});

test("a malformed result file is named field by field", () => {
  assert.deepEqual(benchResultIssues({ component: "order-engine", instanceType: "", runs: [{ p99Ns: -1 }], extra: 1 }), [
    "/instanceType: must be a non-empty string",
    "/image: must be a non-empty string",
    "/runs/0/p99Ns: must be a positive number",
    "/runs/0/samples: must be a positive number",
    "/extra: unknown field (allowed: component, instanceType, image, runs)",
  ]);
  assert.deepEqual(benchResultIssues([]), ["not a JSON object"]);
});

test("npm run bench:gate: exit 0 on a pass, 1 on a regression naming the figures, 1 on a malformed file naming it", () => {
  const dir = mkdtempSync(join(tmpdir(), "bitactor-bench-"));
  const write = (name: string, value: unknown) => {
    writeFileSync(join(dir, name), JSON.stringify(value));
    return join(dir, name);
  };
  const gate = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "scripts/bench-gate.ts", ...args], { cwd: ROOT, encoding: "utf8" });
  const last = write("last.json", result([700, 701, 702, 703, 704]));
  const pass = gate(write("now.json", result([690, 700, 705, 710, 712])), "--last", last);
  assert.equal(pass.status, 0, pass.stdout + pass.stderr);
  assert.match(pass.stdout, /^order-engine on m7i\.metal-24xl: passed\n/);
  const slow = gate(write("slow.json", result([760, 770, 780, 790, 800])), "--last", last);
  assert.equal(slow.status, 1);
  assert.match(slow.stdout, /FAILED\n  FAIL regressed: median p99 780 ns against 702 ns on main \(\+11\.1 %/);
  const bad = gate(write("bad.json", { component: "order-engine" }));
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /bad\.json: not a benchmark result:\n.*bad\.json: \/instanceType: must be a non-empty string/);
  const matrix = gate("--matrix");
  assert.equal(matrix.status, 0);
  assert.deepEqual((JSON.parse(matrix.stdout) as { include: { component: string }[] }).include.map((j) => j.component), Object.keys(catalog.components).sort());
});
