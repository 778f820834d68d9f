// The BitActor operator's verdicts (operator/src/conditions.ts): pure functions of one observation,
// checked here case by case and as properties over generated observations. The operator process
// itself, against a real API server, is test/operator.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { firstReleases, latencyVerdict, nextConditions, nextOrderFlow, nodesReady, targetProblems, verdicts, versionsConverged } from "../operator/src/conditions.ts";
import { milliUnits } from "../operator/src/quantity.ts";
import type { AnalysisRunView, BitActorCluster, Condition, LatencyReading, NodeView, Observation, RolloutView, Target } from "../operator/src/model.ts";

const DIGEST = `sha256:${"a".repeat(64)}`;
const OLD = `sha256:${"b".repeat(64)}`;

function target(id: string, over: Partial<Target> = {}): Target {
  return {
    rollout: id,
    image: `registry.example/engine/${id}`,
    budgetNs: 1000,
    quantile: 0.99,
    windowSeconds: 30,
    minSamples: 10000,
    query: { share: `share_${id}`, samples: `samples_${id}` },
    firstReleaseRun: `${id}-first-release`,
    nodes: { selector: { "bitactor.io/node-pool": "bare-metal" }, perPod: { "hugepages-2Mi": "8Gi" }, labels: {} },
    ...over,
  };
}

const converged = (id: string, digest = DIGEST): RolloutView => ({ name: id, generation: 3, observedGeneration: 3, images: [`registry.example/engine/${id}@${digest}`], currentPodHash: "abc", stableRS: "abc", phase: "Healthy" });
const node = (name: string, hugepages: string, over: Partial<NodeView> = {}): NodeView => ({ name, ready: true, unschedulable: false, labels: { "bitactor.io/node-pool": "bare-metal" }, allocatable: { "hugepages-2Mi": hugepages }, ...over });
const measured = (share: number): LatencyReading => ({ kind: "measured", share, samples: 20000 });

function observation(over: { cluster?: Partial<BitActorCluster["spec"]>; rollouts?: RolloutView[]; runs?: AnalysisRunView[]; nodes?: NodeView[]; latency?: [string, LatencyReading][] } = {}): Observation {
  const ids = ["order-engine", "risk-engine"];
  return {
    cluster: {
      metadata: { name: "production-us-east-1", generation: 7 },
      spec: {
        components: Object.fromEntries(ids.map((id) => [id, { version: "1.0.0", digest: DIGEST, replicas: 3 }])),
        targets: Object.fromEntries(ids.map((id) => [id, target(id)])),
        ...over.cluster,
      },
    },
    namespace: "production-us-east-1",
    rollouts: new Map((over.rollouts ?? ids.map((id) => converged(id))).map((r) => [r.name, r])),
    analysisRuns: new Map((over.runs ?? ids.map((id) => ({ name: `${id}-first-release`, phase: "Successful" }))).map((r) => [r.name, r])),
    nodes: over.nodes ?? [node("n1", "16Gi"), node("n2", "16Gi")],
    latency: new Map(over.latency ?? ids.map((id) => [id, measured(0.995)])),
    now: new Date("2026-12-06T10:00:00Z"),
  };
}

test("a region whose stable pods run the pins, within budget, on nodes that hold them, first releases Successful: TradingReady", () => {
  const v = verdicts(observation());
  assert.deepEqual(Object.fromEntries(Object.entries(v).map(([k, x]) => [k, [x.status, x.reason]])), {
    VersionsConverged: ["True", "AllPinned"],
    LatencyWithinTargets: ["True", "WithinTargets"],
    NodesReady: ["True", "AllOffered"],
    TradingReady: ["True", "Ready"],
  });
});

test("VersionsConverged: each way a Rollout is not running its pin, with the reason and the component", () => {
  const cases: [RolloutView[], string, RegExp][] = [
    [[converged("order-engine")], "RolloutMissing", /risk-engine: no Rollout risk-engine in production-us-east-1/],
    [[converged("order-engine"), { ...converged("risk-engine"), observedGeneration: 2 }], "RolloutNotObserved", /risk-engine: .*generation 3 not yet observed/],
    [[converged("order-engine"), converged("risk-engine", OLD)], "DigestNotPinned", new RegExp(`risk-engine: Rollout risk-engine runs .*${OLD}, the pin is .*${DIGEST}`)],
    [[converged("order-engine"), { ...converged("risk-engine"), currentPodHash: "new", stableRS: "old" }], "ReleaseInProgress", /risk-engine: the pinned digest runs as preview new, stable is old/],
    [[converged("order-engine"), { ...converged("risk-engine"), currentPodHash: undefined, stableRS: undefined }], "ReleaseInProgress", /\(none yet\)/],
  ];
  for (const [rollouts, reason, message] of cases) {
    const v = versionsConverged(observation({ rollouts }));
    assert.equal(v.status, "False", reason);
    assert.equal(v.reason, reason);
    assert.match(v.message, message);
    assert.doesNotMatch(v.message, /order-engine/, "only the failing component is named");
  }
});

test("latency: the gate's rule, share ≥ quantile with enough samples, and every way of not knowing fails closed", () => {
  const t = target("order-engine");
  assert.deepEqual([latencyVerdict("order-engine", t, measured(0.99)).status, latencyVerdict("order-engine", t, measured(0.99)).reason], ["True", "WithinTarget"]);
  const over = latencyVerdict("order-engine", t, measured(0.9876));
  assert.deepEqual([over.status, over.reason], ["False", "OverBudget"]);
  assert.equal(over.message, "order-engine: 98.76 % of 20000 observations within 1000 ns over 30 s, needs 99.00 %");
  assert.deepEqual([latencyVerdict("x", t, { kind: "too-few-samples", samples: 12 }).status, latencyVerdict("x", t, { kind: "too-few-samples", samples: 12 }).reason], ["False", "TooFewSamples"]);
  assert.deepEqual([latencyVerdict("x", t, { kind: "no-data" }).status, latencyVerdict("x", t, { kind: "no-data" }).reason], ["False", "NoData"]);
  assert.deepEqual([latencyVerdict("x", t, { kind: "rejected", message: "bad_data" }).reason, latencyVerdict("x", t, { kind: "rejected", message: "bad_data" }).status], ["TargetNotMeasurable", "False"]);
  assert.deepEqual([latencyVerdict("x", t, { kind: "unreachable", message: "refused" }).status, latencyVerdict("x", t, undefined).status], ["Unknown", "Unknown"]);
  fc.assert(
    fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0.5, max: 0.9999, noNaN: true }), (share, quantile) => {
      const v = latencyVerdict("c", { ...t, quantile }, measured(share));
      return (v.status === "True") === share >= quantile;
    }),
  );
});

test("NodesReady: pods the Ready, schedulable nodes of the pool can hold, counted in the resource the pod asks for", () => {
  assert.equal(nodesReady(observation({ nodes: [node("n1", "16Gi"), node("n2", "8Gi")] })).status, "True", "2 + 1 pods of 8Gi");
  const short = nodesReady(observation({ nodes: [node("n1", "16Gi"), node("n2", "7Gi")] }));
  assert.deepEqual([short.status, short.reason], ["False", "InsufficientCapacity"]);
  assert.match(short.message, /order-engine: 2 node\(s\) have room for 2 pod\(s\) asking hugepages-2Mi 8Gi; 3 replicas/);
  const none = nodesReady(observation({ nodes: [node("n1", "64Gi", { ready: false }), node("n2", "64Gi", { unschedulable: true })] }));
  assert.deepEqual([none.status, none.reason], ["False", "NoMatchingNodes"]);
  assert.match(none.message, /2 node\(s\) carry bitactor.io\/node-pool=bare-metal, none Ready, schedulable/);
  const elsewhere = nodesReady(observation({ nodes: [node("n1", "64Gi", { labels: { "bitactor.io/node-pool": "gpu-a100" } })] }));
  assert.match(elsewhere.message, /no node carries bitactor.io\/node-pool=bare-metal/);
  const labelled = target("order-engine", { nodes: { selector: { "bitactor.io/node-pool": "bare-metal" }, perPod: {}, labels: { "bitactor.io/cpu-manager-policy": "static" } } });
  const unlabelled = nodesReady(observation({ cluster: { targets: { "order-engine": labelled, "risk-engine": target("risk-engine") } } }));
  assert.match(unlabelled.message, /order-engine: 2 node\(s\) carry .*none Ready, schedulable and labelled bitactor.io\/cpu-manager-policy=static/);
  fc.assert(
    fc.property(fc.array(fc.record({ gi: fc.integer({ min: 0, max: 64 }), ready: fc.boolean() }), { maxLength: 6 }), fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 12 }), (ns, perPodGi, replicas) => {
      const o = observation({
        nodes: ns.map((n, i) => node(`n${i}`, `${n.gi}Gi`, { ready: n.ready })),
        cluster: {
          components: { "order-engine": { version: "1", digest: DIGEST, replicas } },
          targets: { "order-engine": target("order-engine", { nodes: { selector: { "bitactor.io/node-pool": "bare-metal" }, perPod: { "hugepages-2Mi": `${perPodGi}Gi` }, labels: {} } }) },
        },
      });
      const room = ns.filter((n) => n.ready).reduce((s, n) => s + Math.floor(n.gi / perPodGi), 0);
      return (nodesReady(o).status === "True") === room >= replicas;
    }),
  );
});

test("TradingReady is True exactly when the three conditions are and every first release is Successful", () => {
  const phases = ["Successful", "Failed", "Running", "Error", undefined] as const;
  fc.assert(
    fc.property(fc.boolean(), fc.boolean(), fc.boolean(), fc.constantFrom(...phases), fc.constantFrom(...phases), (pinned, fast, roomy, p1, p2) => {
      const o = observation({
        rollouts: [converged("order-engine", pinned ? DIGEST : OLD), converged("risk-engine")],
        latency: [["order-engine", measured(fast ? 0.999 : 0.5)], ["risk-engine", measured(0.999)]],
        nodes: roomy ? [node("n1", "64Gi")] : [node("n1", "8Gi")],
        runs: [
          ...(p1 === undefined ? [] : [{ name: "order-engine-first-release", phase: p1 }]),
          ...(p2 === undefined ? [] : [{ name: "risk-engine-first-release", phase: p2 }]),
        ],
      });
      const v = verdicts(o);
      const expected = pinned && fast && roomy && p1 === "Successful" && p2 === "Successful";
      assert.equal(v.TradingReady.status === "True", expected);
      if (!pinned) assert.equal(v.TradingReady.reason, "VersionsNotConverged");
      else if (!fast) assert.equal(v.TradingReady.reason, "LatencyNotWithinTargets");
      else if (!roomy) assert.equal(v.TradingReady.reason, "NodesNotReady");
      else if (!expected) assert.match(v.TradingReady.reason, /^FirstRelease(Missing|NotSuccessful)$/);
    }),
  );
  const failed = firstReleases(observation({ runs: [{ name: "order-engine-first-release", phase: "Failed", message: "Metric \"p99\" assessed Failed" }, { name: "risk-engine-first-release", phase: "Successful" }] }));
  assert.equal(failed.message, 'order-engine: AnalysisRun order-engine-first-release is Failed: Metric "p99" assessed Failed');
  // A first release that broke its budget leaves slow pods behind: the reason is the latency, and the message names the failed run too.
  const broke = verdicts(observation({ runs: [{ name: "order-engine-first-release", phase: "Failed", message: "Metric \"p99\" assessed Failed" }, { name: "risk-engine-first-release", phase: "Successful" }], latency: [["order-engine", measured(0.5)], ["risk-engine", measured(1)]] }));
  assert.deepEqual([broke.TradingReady.status, broke.TradingReady.reason], ["False", "LatencyNotWithinTargets"]);
  assert.equal(broke.TradingReady.message, 'LatencyWithinTargets False (OverBudget); order-engine: AnalysisRun order-engine-first-release is Failed: Metric "p99" assessed Failed');
  const slowOnly = verdicts(observation({ latency: [["order-engine", measured(0.5)], ["risk-engine", measured(1)]] }));
  assert.equal(slowOnly.TradingReady.message, "LatencyWithinTargets False (OverBudget)", "first releases that passed are not mentioned");
  const unknown = verdicts(observation({ latency: [["order-engine", { kind: "unreachable", message: "refused" }], ["risk-engine", measured(1)]] }));
  assert.deepEqual([unknown.LatencyWithinTargets.status, unknown.TradingReady.status, unknown.TradingReady.reason], ["Unknown", "Unknown", "LatencyNotWithinTargets"]);
});

test("a release behind the gate keeps the region TradingReady: the stable pods, which take the traffic, went through it already", () => {
  const releasing = { ...converged("order-engine"), currentPodHash: "new", stableRS: "old" };
  const during = verdicts(observation({ rollouts: [releasing, converged("risk-engine")] }));
  assert.deepEqual([during.VersionsConverged.status, during.VersionsConverged.reason], ["False", "ReleaseInProgress"]);
  assert.deepEqual([during.TradingReady.status, during.TradingReady.reason], ["True", "ReadyReleaseInProgress"]);
  const first = verdicts(observation({ rollouts: [{ ...releasing, stableRS: undefined }, converged("risk-engine")] }));
  assert.deepEqual([first.TradingReady.status, first.TradingReady.reason], ["False", "VersionsNotConverged"], "a first release has no proven stable");
  const unpinned = verdicts(observation({ rollouts: [releasing, converged("risk-engine", OLD)] }));
  assert.deepEqual([unpinned.TradingReady.status, unpinned.TradingReady.reason], ["False", "VersionsNotConverged"], "one unpinned digest is enough to refuse");
  const slow = verdicts(observation({ rollouts: [releasing, converged("risk-engine")], latency: [["order-engine", measured(0.5)], ["risk-engine", measured(1)]] }));
  assert.deepEqual([slow.TradingReady.status, slow.TradingReady.reason], ["False", "LatencyNotWithinTargets"]);
});

test("a target the operator cannot act on is a condition with a reason, never an exception (any JSON where a target should be)", () => {
  const broken = verdicts(observation({ cluster: { targets: { "order-engine": target("order-engine", { quantile: 1.5, minSamples: 0 }), "risk-engine": target("risk-engine") } } }));
  for (const type of ["VersionsConverged", "LatencyWithinTargets", "NodesReady"] as const) {
    assert.equal(broken[type].status, "False");
    assert.equal(broken[type].reason, "InvalidTarget");
    assert.equal(broken[type].message, "order-engine: targets.order-engine.quantile must lie strictly between 0 and 1; order-engine: targets.order-engine.minSamples must be a positive whole number");
  }
  assert.equal(broken.TradingReady.status, "False");
  const missing = verdicts(observation({ cluster: { targets: { "order-engine": target("order-engine") } } }));
  assert.equal(missing.VersionsConverged.message, "risk-engine: no target in spec.targets");
  fc.assert(
    fc.property(fc.anything(), fc.anything(), (junk, more) => {
      const nodes = [more, { selector: more, perPod: {}, labels: {} }, { selector: {}, perPod: more, labels: {} }, { selector: {}, perPod: {}, labels: more }];
      for (const n of nodes) verdicts(observation({ cluster: { targets: { "order-engine": target("order-engine"), "risk-engine": { ...target("risk-engine"), nodes: n } as Target } } }));
      const v = verdicts(observation({ cluster: { targets: { "order-engine": junk as Target, "risk-engine": target("risk-engine") } } }));
      return v.TradingReady.status !== "True" || targetProblems("order-engine", junk as Target).length === 0;
    }),
    { numRuns: 300 },
  );
});

test("conditions keep their lastTransitionTime while the status holds; a transition is reported once", () => {
  const t0 = new Date("2026-12-06T10:00:00Z");
  const t1 = new Date("2026-12-06T10:00:30Z");
  const first = nextConditions(undefined, verdicts(observation()), 7, t0);
  assert.equal(first.transitions.length, 4);
  assert.ok(first.conditions.every((c) => c.lastTransitionTime === t0.toISOString() && c.observedGeneration === 7));
  const again = nextConditions(first.conditions, verdicts(observation()), 7, t1);
  assert.deepEqual(again.transitions, []);
  assert.deepEqual(again.conditions, first.conditions, "same observation, same status: idempotent");
  const slow = nextConditions(first.conditions, verdicts(observation({ latency: [["order-engine", measured(0.5)], ["risk-engine", measured(1)]] })), 8, t1);
  assert.deepEqual(slow.transitions.map((c) => [c.type, c.status, c.lastTransitionTime]), [["LatencyWithinTargets", "False", t1.toISOString()], ["TradingReady", "False", t1.toISOString()]]);
  assert.equal(slow.conditions.find((c) => c.type === "NodesReady")!.lastTransitionTime, t0.toISOString());
});

test("order flow: closed in a new region, open exactly while TradingReady is True or False for less than the grace period", () => {
  const grace = 60;
  fc.assert(
    fc.property(fc.array(fc.record({ ready: fc.boolean(), after: fc.integer({ min: 1, max: 90 }) }), { minLength: 1, maxLength: 30 }), (steps) => {
      let now = Date.parse("2026-12-06T10:00:00Z");
      let previous: ReturnType<typeof nextOrderFlow>["flow"] | undefined;
      let conditions: Condition[] | undefined;
      let falseSince: number | undefined;
      let everOpen = false;
      for (const s of steps) {
        now += s.after * 1000;
        const v = verdicts(observation({ latency: [["order-engine", measured(s.ready ? 1 : 0.1)], ["risk-engine", measured(1)]] }));
        conditions = nextConditions(conditions, v, 1, new Date(now)).conditions;
        const trading = conditions.find((c) => c.type === "TradingReady")!;
        const { flow, closesAt } = nextOrderFlow(previous, trading, grace, new Date(now));
        if (s.ready) {
          falseSince = undefined;
          everOpen = true;
        } else falseSince ??= now;
        // Open iff ready now, or it was open and has been not-ready for less than the grace period.
        const expectOpen = s.ready || (previous?.state === "Open" && now - falseSince! < grace * 1000);
        assert.equal(flow.state, expectOpen ? "Open" : "Closed");
        if (flow.state === "Open" && !s.ready) assert.equal(closesAt!.getTime(), falseSince! + grace * 1000);
        previous = flow;
      }
      if (!everOpen) assert.equal(previous!.state, "Closed");
    }),
  );
});

test("quantities compare exactly: binary, decimal, milli and exponent forms", () => {
  assert.equal(milliUnits("8Gi"), 8n * 1024n ** 3n * 1000n);
  assert.equal(milliUnits("1"), 1000n);
  assert.equal(milliUnits("500m"), 500n);
  assert.equal(milliUnits("1.5k"), 1_500_000n);
  assert.equal(milliUnits("1e3"), 1_000_000n);
  assert.equal(milliUnits("16Gi") / milliUnits("8Gi"), 2n);
  assert.throws(() => milliUnits("8 GiB"), /"8 GiB" is not a Kubernetes quantity/);
});
