import type { FixtureBehaviour } from "./fixture.ts";
import type { Region } from "./region.ts";
import { regressed } from "./scenarios.ts";

/**
 * What npm run e2e:operator proves: each row is one region from empty (production us-east-1 unless
 * told), on its own loopback cluster with the real Argo Rollouts controller, the real
 * prometheus-operator configuring the stage's real Prometheus, and the operator as its image runs
 * it, with the rendered account. The latencies are the release e2e's (scenarios.ts), relative to
 * each component's budget.
 */
export interface RegionScenario {
  readonly id: string;
  readonly title: string;
  readonly expectedText: string;
  /** How components behave from the start, by name (default: every one healthy). */
  readonly behaviour: (region: Region) => Record<string, Partial<FixtureBehaviour>>;
  /** Whether the order flow must open once every first release has passed. */
  readonly opens: boolean;
  /** Once the order flow is open: this component's running pods regress (p99 ≈ 1.3 × its budget). */
  readonly regress?: string;
}

/** The component every row breaks or regresses: the one whose budget the design brief names. */
export const REGRESSING = "order-engine";

const budget = (region: Region, component: string) => {
  const r = region.releases.find((x) => x.componentName === component);
  if (!r) throw new Error(`${region.stage} runs no ${component} (it runs ${region.releases.map((x) => x.componentName).join(", ")})`);
  return r.component.budgetNs;
};

export const REGION_SCENARIOS: readonly RegionScenario[] = [
  {
    id: "first-releases-pass",
    title: "a region from empty, every first release within budget; then the order engine regresses",
    expectedText: "closed until the last first release passes, then open; regression seen within one window; closed after the grace period, not before",
    behaviour: () => ({}),
    opens: true,
    regress: REGRESSING,
  },
  {
    id: "first-release-breaks",
    title: "a region from empty whose order engine's first release breaks its budget (p99 ≈ 1.3 × budget)",
    expectedText: "TradingReady False naming the failed first release; the order flow never opens",
    behaviour: (region) => {
      const slow = regressed(budget(region, REGRESSING));
      return { [REGRESSING]: { stable: slow } };
    },
    opens: false,
  },
];

/** One poll of the region: the order-flow policy first, then the rest (so an open policy with an unproven run is a real breach). */
export interface Sample {
  /** Milliseconds since the components were applied. */
  readonly at: number;
  /** What the order-flow NetworkPolicy allowed: absent, closed (no egress rule) or open. */
  readonly policy: "absent" | "closed" | "open";
  /** Each first-release AnalysisRun's phase, by name ("" when it has none yet, "absent" when there is no run). */
  readonly runs: Readonly<Record<string, string>>;
  /** The operator's conditions, type → status. */
  readonly conditions: Readonly<Record<string, string>>;
  /** TradingReady's reason and message. */
  readonly trading: { readonly reason: string; readonly message: string };
}

/** What a row showed. Times are milliseconds; `null` when it did not happen. */
export interface RegionObservation {
  readonly scenario: RegionScenario;
  /** Before any component: the operator's first verdict (TradingReady status and the policy). */
  readonly empty: { readonly trading: string; readonly policy: Sample["policy"] } | null;
  readonly samples: readonly Sample[];
  /** First poll where every first-release run was Successful. */
  readonly provenAt: number | null;
  /** First poll where the policy was open. */
  readonly openedAt: number | null;
  readonly regression?: {
    readonly windowSeconds: number;
    readonly graceSeconds: number;
    /** From the regression to LatencyWithinTargets False. */
    readonly seenAfter: number | null;
    /** From TradingReady False to the policy's last open poll, and to its first closed one. */
    readonly lastOpenAfterFalse: number | null;
    readonly closedAfterFalse: number | null;
  };
  /** The leader's live heap (bytes) and successful reconciles at its first verdict and at the end. */
  readonly memory?: { readonly heapStart: number; readonly heapEnd: number; readonly reconcilesStart: number; readonly reconcilesEnd: number };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Compares a row's observation with what it must show. Pure, so the judgement is tested without a cluster. */
export function judgeRegion(o: RegionObservation): string[] {
  const s = o.scenario;
  const problems: string[] = [];
  if (!o.empty) problems.push("the operator gave no verdict on the empty region");
  else {
    if (o.empty.trading !== "False") problems.push(`empty region: TradingReady ${o.empty.trading}, expected False`);
    if (o.empty.policy !== "closed") problems.push(`empty region: the order-flow policy is ${o.empty.policy}, expected closed (it selects the exchange pods and allows them nothing)`);
  }
  // The breach the operator exists to prevent: exchanges reachable before every first release passed.
  for (const x of o.samples) {
    const unproven = Object.entries(x.runs).filter(([, phase]) => phase !== "Successful");
    if (x.policy === "open" && unproven.length) {
      problems.push(`at ${seconds(x.at)} the order flow was open while ${unproven.map(([n, p]) => `${n} was ${p || "Pending"}`).join(", ")}`);
      break;
    }
  }
  if (s.opens) {
    if (o.openedAt === null) problems.push(`the order flow never opened${o.provenAt === null ? " (not every first release passed)" : ` although every first release had passed at ${seconds(o.provenAt)}`}`);
    else if (o.provenAt === null || o.openedAt < o.provenAt) problems.push(`the order flow opened at ${seconds(o.openedAt)}, before every first release was seen Successful${o.provenAt === null ? "" : ` (${seconds(o.provenAt)})`}`);
  } else {
    if (o.openedAt !== null) problems.push(`the order flow opened at ${seconds(o.openedAt)} although a first release broke its budget`);
    const last = o.samples.at(-1);
    const failed = last && Object.entries(last.runs).filter(([, p]) => p === "Failed").map(([n]) => n);
    if (!last || !failed?.length) problems.push("no first release was seen Failed");
    else {
      if (last.conditions.TradingReady !== "False") problems.push(`at the end TradingReady is ${last.conditions.TradingReady}, expected False`);
      const unnamed = failed.filter((n) => !last.trading.message.includes(n));
      if (unnamed.length) problems.push(`TradingReady's message does not name ${unnamed.join(", ")}: "${last.trading.message}"`);
    }
  }
  if (s.regress) {
    const r = o.regression;
    if (!r) problems.push(`${s.regress} was never made to regress (the order flow did not open first)`);
    else {
      if (r.seenAfter === null) problems.push(`LatencyWithinTargets never turned False after ${s.regress} regressed`);
      else if (r.seenAfter > r.windowSeconds * 1000) problems.push(`LatencyWithinTargets turned False ${seconds(r.seenAfter)} after the regression, later than one window (${r.windowSeconds} s)`);
      if (r.closedAfterFalse === null) problems.push(`the order flow never closed after TradingReady turned False (grace ${r.graceSeconds} s)`);
      else if (r.closedAfterFalse < r.graceSeconds * 1000) problems.push(`the order flow closed ${seconds(r.closedAfterFalse)} after TradingReady turned False, before its ${r.graceSeconds} s grace period ended`);
      if (r.lastOpenAfterFalse === null) problems.push("the order flow was not open when TradingReady turned False: no grace period was seen");
    }
  }
  return problems;
}
