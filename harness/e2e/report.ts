import type { Observation } from "./run-scenario.ts";
import type { RegionRun } from "./run-region.ts";

const cell = (s: string) => s.replace(/\|/g, "\\|");

/** One line for an AnalysisRun: phase and Argo's own message. */
export const analysisText = (a: { phase: string; message: string } | undefined): string => (a ? `${a.phase}${a.message ? `: ${a.message}` : ""}` : "-");

/** The e2e's result as a Markdown table (readable in a terminal and pasteable into a review). */
export function resultTable(observations: readonly Observation[]): string {
  const rows = observations.map((o) => [
    o.scenario.title,
    o.scenario.expectedText,
    o.decision + (o.problems.length ? " ✗" : " ✓"),
    o.seconds === null ? "-" : o.seconds.toFixed(0),
    analysisText(o.prePromotion),
    analysisText(o.postPromotion),
  ]);
  const head = ["scenario", "expected", "observed", "s to decision", "pre-promotion AnalysisRun", "post-promotion AnalysisRun"];
  return [head, head.map(() => "---"), ...rows].map((r) => `| ${r.map(cell).join(" | ")} |`).join("\n");
}

/** Every mismatch, with the evidence a reader needs to see why. */
export function mismatchReport(observations: readonly Observation[]): string {
  return observations
    .filter((o) => o.problems.length)
    .map((o) => `MISMATCH ${o.scenario.id}:\n${o.problems.map((p) => `  - ${p}`).join("\n")}\n  active Service hashes after the release: ${o.activeHashes.join(" → ") || "(unchanged)"} (old ${o.oldHash}, release ${o.newHash || "?"})\n${o.diagnostics.replace(/^/gm, "    ")}`)
    .join("\n\n");
}

export const passed = (observations: readonly Observation[]): boolean => observations.every((o) => o.problems.length === 0);

const s1 = (ms: number | null | undefined) => (ms === null || ms === undefined ? "-" : (ms / 1000).toFixed(1));

/** npm run e2e:operator's result: per row, what the order flow did and when (seconds from the engine's wave). */
export function regionTable(runs: readonly RegionRun[]): string {
  const rows = runs.map((o) => {
    const r = o.regression;
    const m = o.memory;
    return [
      o.scenario.title,
      o.scenario.expectedText,
      (o.problems.length ? "✗ " : "✓ ") + (o.openedAt === null ? "never opened" : "opened"),
      s1(o.provenAt),
      s1(o.openedAt),
      r ? `${s1(r.seenAfter)} (window ${r.windowSeconds})` : "-",
      r ? `${s1(r.closedAfterFalse)} (grace ${r.graceSeconds})` : "-",
      m ? `${(m.heapStart / 2 ** 20).toFixed(1)} → ${(m.heapEnd / 2 ** 20).toFixed(1)} MiB over ${m.reconcilesStart} → ${m.reconcilesEnd}` : "-",
    ];
  });
  const head = ["scenario", "expected", "order flow", "s to every first release Successful", "s to open", "s to LatencyWithinTargets False", "s from TradingReady False to closed", "operator live heap over reconciles"];
  return [head, head.map(() => "---"), ...rows].map((r) => `| ${r.map(cell).join(" | ")} |`).join("\n");
}
