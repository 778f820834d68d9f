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

/** The markers around the run docs/gitops.md shows; `npm run e2e:gitops -- --record` rewrites what is between them. */
export const RECORD_BEGIN = "<!-- e2e:gitops run: written by `npm run e2e:gitops -- --record` from its last passing run; do not edit by hand -->";
export const RECORD_END = "<!-- e2e:gitops run: end -->";

export interface RunFacts {
  /** When the run ended (ISO date). */
  readonly date: string;
  readonly cores: number;
  readonly seconds: number;
  /** The seed's recovery time objective, in seconds (environment backup.drill.rtoSeconds). */
  readonly rtoSeconds: number;
  readonly served: readonly string[];
  readonly unserved: readonly string[];
}

const short = (step: string) => /^\([a-z]\)/.exec(step)?.[0] ?? step.split(":")[0]!;

/**
 * The run as docs/gitops.md shows it: the figures the platform is judged by (a region rebuilt from
 * git against the seed's RTO; an add-on upgrade from commit to Synced), then every step. Only a run
 * whose every step passed is recorded: a figure from a failed run means nothing.
 */
export function runRecord(rows: readonly StepRow[], facts: RunFacts): string {
  const bad = rows.filter((r) => r.problems.length);
  if (bad.length) throw new Error(`not recorded: ${bad.map((r) => short(r.step)).join(", ")} did not pass`);
  const boot = rows.find((r) => r.step.startsWith("bootstrap"));
  const up = rows.find((r) => r.step.startsWith("(u)"));
  if (boot?.toSynced == null || up?.toSynced == null) throw new Error("not recorded: the run has no bootstrap or add-on upgrade figure");
  const verdict = boot.toSynced <= facts.rtoSeconds ? "within" : "over";
  return [
    RECORD_BEGIN,
    `**A run** (${facts.date}, ${facts.cores} cores, alone; ${facts.seconds} s in all):`,
    "",
    `- **A region rebuilt from git**: from the README's bootstrap on empty clusters to every Application of the test stages Synced and Healthy: **${boot.toSynced} s**, ${verdict} the seed's RTO of ${facts.rtoSeconds} s (environment.yaml \`backup.drill.rtoSeconds\`).`,
    `- **An add-on upgrade**: from the commit to every Application of it Synced: **${up.toSynced} s**; Healthy with every Deployment on the new release: ${up.toDecision ?? "-"} s.`,
    `- Add-ons served offline and synced: ${facts.served.join(", ")}. Not served (checked statically): ${facts.unserved.join(", ") || "none"}.`,
    "",
    "```text",
    "| step | observed | s to Synced | s to decision |",
    "| --- | --- | --- | --- |",
    ...rows.map((r) => `| ${cell(short(r.step))} | ${cell(r.observed)} | ${secs(r.toSynced)} | ${secs(r.toDecision)} |`),
    `e2e:gitops: ${rows.length} steps as expected, 0 not (${facts.seconds} s)`,
    "```",
    RECORD_END,
  ].join("\n");
}

/** `doc` with the block between the markers replaced by `record`; throws if the markers are not there once each. */
export function withRecord(doc: string, record: string): string {
  const a = doc.indexOf(RECORD_BEGIN);
  const b = doc.indexOf(RECORD_END);
  if (a < 0 || b < a || doc.indexOf(RECORD_BEGIN, a + 1) >= 0) throw new Error("docs/gitops.md has no single e2e:gitops run block (its markers)");
  return doc.slice(0, a) + record + doc.slice(b + RECORD_END.length);
}
