import type { StepRow } from "./steps.ts";

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
const secs = (n: number | null) => (n === null ? "-" : String(n));

/** The result table: step, expected, observed, seconds from commit to Synced and to decision. */
export function stepTable(rows: readonly StepRow[]): string {
  return [
    "| step | expected | observed | s to Synced | s to decision |",
    "| --- | --- | --- | --- | --- |",
    ...rows.map((r) => `| ${cell(r.step)} | ${cell(r.expected)} | ${cell(r.observed)} ${r.problems.length ? "✗" : "✓"} | ${secs(r.toSynced)} | ${secs(r.toDecision)} |`),
  ].join("\n");
}
