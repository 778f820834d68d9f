import { execFileSync, spawnSync } from "node:child_process";
import { argoEval, promtool as builtPromtool } from "../../toolchain/cluster.ts";

/**
 * External programs the gate tests need. `npm test` (scripts/test.sh) installs or builds them first;
 * a missing tool is a failure with instructions, never a skipped test.
 */
export function requireTool(envVar: string, fallback: string, how: string): string {
  const path = process.env[envVar] ?? fallback;
  const r = spawnSync(path, ["--help"], { encoding: "utf8" });
  if (r.error) throw new Error(`${path} not found (${r.error.message}); ${how}`);
  return path;
}

/** promtool of the Prometheus release tools/versions.json pins (built once from the Go module proxy). */
export function promtool(): string {
  return builtPromtool();
}

export interface Measurement {
  readonly phase: "Successful" | "Failed" | "Inconclusive" | "Error";
  readonly value: string;
  readonly message: string;
}

/** Runs Argo Rollouts' own Prometheus provider and condition evaluation on recorded results. */
export function evaluateWithArgo(cases: readonly { metric: unknown; vector?: readonly number[]; error?: string }[]): Measurement[] {
  const input = JSON.stringify(cases.map((c) => ({ metric: c.metric, vector: c.vector?.map((v) => String(v)) ?? [], error: c.error ?? "" })));
  return JSON.parse(execFileSync(argoEval(), [], { input, encoding: "utf8" })) as Measurement[];
}
