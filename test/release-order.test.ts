// The release order on the git history (checks/release-order.ts): judged over generated histories
// of releases, promotions, reverts, hotfixes and direct pins, and on hand-written cases.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { checkReleaseOrder, type PinAt, type Snapshot } from "../checks/release-order.ts";
import type { ReleasePlan } from "../generators/inputs/types.ts";
import { snapshotOf } from "../scripts/lib/history.ts";

const PLAN: ReleasePlan = {
  waves: [
    { name: "staging", stages: ["staging-a"], soak: "1h" },
    { name: "wave-1", stages: ["prod-b"], soak: "1h" },
    { name: "wave-2", stages: ["prod-c", "prod-d"], soak: "1h" },
    { name: "wave-3", stages: ["prod-e"] },
  ],
};
const STAGES = PLAN.waves.flatMap((w) => w.stages);
const COMPONENTS = ["engine", "gateway"];
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, "0")}`;

type Pins = Map<string, Map<string, PinAt>>;
const pin = (stage: string, d: string, hotfix = false): PinAt => ({ digest: d, version: `1.0.${parseInt(d.slice(-8), 16)}`, file: `environments/x/regions/${stage}.yaml`, line: 10, ...(hotfix ? { hotfix: { digest: d, reason: "exchange outage fixed in this build" } } : {}) });
const clone = (p: ReadonlyMap<string, ReadonlyMap<string, PinAt>>): Pins => new Map([...p].map(([s, m]) => [s, new Map(m)]));

/** What a generated step does to the pins, and whether the check must flag it. */
type Step =
  | { kind: "release"; component: number }
  | { kind: "promote"; component: number; wave: number }
  | { kind: "revert"; component: number; stage: number }
  | { kind: "direct"; component: number; stage: number }
  | { kind: "hotfix"; component: number; stage: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("release" as const), component: fc.nat(1) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("promote" as const), component: fc.nat(1), wave: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("revert" as const), component: fc.nat(1), stage: fc.nat(STAGES.length - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("direct" as const), component: fc.nat(1), stage: fc.integer({ min: 1, max: STAGES.length - 1 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("hotfix" as const), component: fc.nat(1), stage: fc.integer({ min: 1, max: STAGES.length - 1 }) }) },
);

/**
 * Builds a history from steps (one commit each, a baseline commit first) and the set of
 * commit/stage/component the check must flag: a "direct" pin of a fresh digest outside the first
 * wave, or a revert back to such a pin. Promotions copy what the previous wave runs (when it runs
 * one digest); reverts restore the stage's pin before its current one, as git revert restores the
 * file. Hotfixes pin a fresh digest with its hotfix field.
 */
function build(steps: readonly Step[]): { history: Snapshot[]; flagged: Set<string>; hotfixes: Set<string> } {
  let next = 100;
  let pins: Pins = new Map(STAGES.map((s) => [s, new Map(COMPONENTS.map((c, i) => [c, pin(s, digest(i + 1))]))]));
  // Every pin each stage had, as git holds it: a revert restores one whole (its hotfix field too).
  // With how it got there: a revert to a pin that skipped the waves skips them again.
  const ran = new Map(STAGES.map((s) => [s, new Map(COMPONENTS.map((c) => [c, [{ pin: pins.get(s)!.get(c)!, how: "legit" as Step["kind"] | "legit" }]]))]));
  const history: Snapshot[] = [{ commit: "c0".padEnd(40, "0"), subject: "baseline", plan: PLAN, pins }];
  const flagged = new Set<string>();
  const hotfixes = new Set<string>();
  steps.forEach((s, i) => {
    const commit = `c${i + 1}`.padEnd(40, "0");
    const c = COMPONENTS[s.component]!;
    const after = clone(pins);
    const put = (stage: string, p: PinAt, how: Step["kind"] | "legit" = "legit") => {
      after.get(stage)!.set(c, p);
      ran.get(stage)!.get(c)!.push({ pin: p, how });
    };
    const set = (stage: string, d: string, how: Step["kind"] | "legit" = "legit") => put(stage, pin(stage, d, how === "hotfix"), how);
    if (s.kind === "release") set("staging-a", digest(next++));
    else if (s.kind === "promote") {
      const from = new Set(PLAN.waves[s.wave - 1]!.stages.map((x) => pins.get(x)!.get(c)!.digest));
      if (from.size === 1) for (const x of PLAN.waves[s.wave]!.stages) set(x, [...from][0]!);
    } else if (s.kind === "revert") {
      const stage = STAGES[s.stage]!;
      const old = ran.get(stage)!.get(c)!;
      const back = old[Math.max(0, old.length - 2)]!;
      if (back.pin.digest !== pins.get(stage)!.get(c)!.digest) {
        if (back.how === "direct") flagged.add(`${commit}/${stage}/${c}`);
        if (back.how === "hotfix") hotfixes.add(`${commit}/${stage}/${c}`);
      }
      put(stage, back.pin, back.how);
    } else {
      const stage = STAGES[s.stage]!;
      const d = digest(next++);
      set(stage, d, s.kind);
      (s.kind === "hotfix" ? hotfixes : flagged).add(`${commit}/${stage}/${c}`);
    }
    pins = after;
    history.push({ commit, subject: `step ${i + 1}`, plan: PLAN, pins });
  });
  return { history, flagged, hotfixes };
}

test("over generated histories, exactly the pins that skipped a wave are flagged, hotfixes reported", () => {
  fc.assert(
    fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
      const { history, flagged, hotfixes } = build(steps);
      const r = checkReleaseOrder(history);
      const got = new Set(r.violations.map((v) => `${v.commit}/${/ (\S+) \(/.exec(v.message)![1]}/${v.field.split("/")[2]}`));
      assert.deepEqual(got, flagged);
      assert.deepEqual(new Set(r.exceptions.filter((e) => e.how === "hotfix").map((e) => `${e.commit}/${e.stage}/${e.component}`)), hotfixes);
      for (const v of r.violations) assert.match(v.field, /^\/components\/(engine|gateway)\/digest$/);
    }),
    { numRuns: 300 },
  );
});

test("over generated histories of releases and promotions only, nothing is flagged", () => {
  const legit = fc.oneof(fc.record({ kind: fc.constant("release" as const), component: fc.nat(1) }), fc.record({ kind: fc.constant("promote" as const), component: fc.nat(1), wave: fc.integer({ min: 1, max: 3 }) }));
  fc.assert(
    fc.property(fc.array(legit, { maxLength: 40 }), (steps) => {
      const r = checkReleaseOrder(build(steps).history);
      assert.deepEqual(r.violations, []);
      assert.deepEqual(r.exceptions, []);
    }),
    { numRuns: 300 },
  );
});

// Hand-written cases on top of a history where engine digest(100) was released to staging.
const base = build([{ kind: "release", component: 0 }]).history;
const snap = (commit: string, edit: (p: Pins) => void, plan: Snapshot["plan"] | null = PLAN): Snapshot => {
  const pins = clone(base.at(-1)!.pins);
  edit(pins);
  return { commit: commit.padEnd(40, "f"), subject: commit, ...(plan ? { plan } : {}), pins };
};

test("a production pin in the same commit as staging's is too early: staging must have run it before", () => {
  const s = snap("both", (p) => {
    p.get("staging-a")!.set("engine", pin("staging-a", digest(200)));
    p.get("prod-b")!.set("engine", pin("prod-b", digest(200)));
  });
  const r = checkReleaseOrder([...base, s]);
  assert.equal(r.violations.length, 1);
  const v = r.violations[0]!;
  assert.equal(v.file, "environments/x/regions/prod-b.yaml");
  assert.equal(v.line, 10);
  assert.equal(v.field, "/components/engine/digest");
  assert.match(v.message, /^bothf+ "both": prod-b \(wave-1\) pins engine 1\.0\.200 \(sha256:000000000000…\) before staging ran it: staging-a never pinned it\. Release it with npm run release and move it with npm run promote, or give this pin a reviewed hotfix/);
});

test("every stage of the previous wave must have pinned it, not just one", () => {
  const s1 = snap("w1", (p) => p.get("prod-b")!.set("engine", pin("prod-b", digest(100))));
  const s2 = { ...snap("w2-half", (p) => p.get("prod-b")!.set("engine", pin("prod-b", digest(100)))), pins: clone(s1.pins) };
  s2.pins.get("prod-c")!.set("engine", pin("prod-c", digest(100)));
  const s3 = { ...s2, commit: "w3".padEnd(40, "f"), subject: "w3", pins: clone(s2.pins) };
  s3.pins.get("prod-e")!.set("engine", pin("prod-e", digest(100)));
  const r = checkReleaseOrder([...base, s1, s2, s3]);
  assert.equal(r.violations.length, 1);
  assert.match(r.violations[0]!.message, /prod-e \(wave-3\) pins engine .* before wave-2 ran it: prod-d never pinned it/);
});

test("a wave may keep a version its previous wave has since moved past, and a revert to it is not a skip", () => {
  const promoted = snap("promoted", (p) => p.get("prod-b")!.set("engine", pin("prod-b", digest(100))));
  const stagingMovesOn = { ...promoted, commit: "moves".padEnd(40, "f"), pins: clone(promoted.pins) };
  stagingMovesOn.pins.get("staging-a")!.set("engine", pin("staging-a", digest(300)));
  const revert = { ...stagingMovesOn, commit: "revert".padEnd(40, "f"), pins: clone(stagingMovesOn.pins) };
  revert.pins.get("prod-b")!.set("engine", pin("prod-b", digest(1)));
  assert.deepEqual(checkReleaseOrder([...base, promoted, stagingMovesOn, revert]).violations, []);
});

test("the baseline is the first snapshot with a plan: what ran before it counts as run everywhere", () => {
  const before = { ...base[0]!, plan: undefined, commit: "old".padEnd(40, "0"), pins: clone(base[0]!.pins) };
  // Before the plan, prod-b ran digest(7) that staging never ran; after, prod-c may receive it.
  before.pins.get("prod-b")!.set("gateway", pin("prod-b", digest(7)));
  const withPlan = { ...before, commit: "plan".padEnd(40, "0"), plan: PLAN, pins: clone(before.pins) };
  const later = { ...withPlan, commit: "later".padEnd(40, "0"), pins: clone(withPlan.pins) };
  later.pins.get("prod-c")!.set("gateway", pin("prod-c", digest(7)));
  const r = checkReleaseOrder([before, withPlan, later]);
  assert.equal(r.baseline, withPlan.commit);
  assert.deepEqual(r.violations, []);
  assert.equal(r.judged, 1);
});

test("a commit without the plan after the baseline is an error; an acknowledged commit is reported, not failed", () => {
  const noPlan = snap("noplan", () => undefined, null);
  assert.match(checkReleaseOrder([...base, noPlan]).violations[0]!.message, /the release plan is missing or unreadable/);
  const skip = snap("skip", (p) => p.get("prod-e")!.set("engine", pin("prod-e", digest(900))), { ...PLAN, acknowledged: [{ commit: "skip".padEnd(40, "f"), reason: "merged by an administrator during the 2026-11 outage" }] });
  const r = checkReleaseOrder([...base, skip]);
  assert.deepEqual(r.violations, []);
  assert.deepEqual(r.exceptions.map((e) => [e.how, e.stage, e.reason]), [["acknowledged", "prod-e", "merged by an administrator during the 2026-11 outage"]]);
});

test("a hotfix field for another digest does not let a pin through", () => {
  const s = snap("wrong-hotfix", (p) => p.get("prod-b")!.set("engine", { ...pin("prod-b", digest(500)), hotfix: { digest: digest(501), reason: "for the build before this one" } }));
  assert.equal(checkReleaseOrder([...base, s]).violations.length, 1);
});

test("a wave where no stage runs a component does not hold that component back", () => {
  const s = snap("gateway-only-in-e", (p) => {
    for (const x of ["prod-c", "prod-d"]) p.get(x)!.delete("gateway");
    p.get("prod-b")!.set("gateway", pin("prod-b", digest(2)));
  });
  // prod-e's previous wave for gateway is wave-1 (prod-b), which has run digest(2).
  const s2 = { ...s, commit: "e".padEnd(40, "f"), pins: clone(s.pins) };
  s2.pins.get("prod-e")!.set("gateway", pin("prod-e", digest(2)));
  assert.deepEqual(checkReleaseOrder([...base, s, s2]).violations, []);
});

test("the history reader takes each wave's stages from the region files, and from the plan file in the plan's first layout", () => {
  const region = (wave: string | undefined, digest: string) => `region: r\n${wave ? `wave: ${wave}\n` : ""}components:\n  engine:\n    version: 1.0.0\n    digest: ${digest}\n`;
  const now = snapshotOf("c1", "now", [
    { path: "environments/waves.yaml", text: "waves:\n  - name: staging\n    soak: 1h\n  - name: prod\n" },
    { path: "environments/staging/regions/us-east-1.yaml", text: region("staging", digest(1)) },
    { path: "environments/production/regions/eu-west-1.yaml", text: region("prod", digest(2)) },
    { path: "environments/production/regions/us-east-1.yaml", text: region("prod", digest(2)) },
  ]);
  assert.deepEqual(now.plan, { waves: [{ name: "staging", soak: "1h", stages: ["staging-us-east-1"] }, { name: "prod", stages: ["production-eu-west-1", "production-us-east-1"] }] });
  assert.deepEqual(now.pins.get("production-eu-west-1")?.get("engine"), { digest: digest(2), version: "1.0.0", file: "environments/production/regions/eu-west-1.yaml", line: 6 });
  const first = snapshotOf("c0", "first", [
    { path: "environments/waves.yaml", text: "waves:\n  - name: staging\n    stages: [staging-us-east-1]\n    soak: 1h\n  - name: prod\n    stages: [production-us-east-1]\n" },
    { path: "environments/staging/regions/us-east-1.yaml", text: region(undefined, digest(1)) },
    { path: "environments/production/regions/us-east-1.yaml", text: region(undefined, digest(2)) },
  ]);
  assert.deepEqual(first.plan?.waves.map((w) => w.stages), [["staging-us-east-1"], ["production-us-east-1"]]);
  // An unreadable plan is no plan (the check then reports it), never a guess.
  assert.equal(snapshotOf("c2", "broken", [{ path: "environments/waves.yaml", text: "waves: [" }]).plan, undefined);
});
