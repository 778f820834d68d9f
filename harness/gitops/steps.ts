import { git } from "./test-tree.ts";
import { renderCommand } from "../../lib/render.ts";

/** What every step of the GitOps loop records and the tools its lanes share: rows, polling, commits. */

export interface StepRow {
  readonly step: string;
  readonly expected: string;
  observed: string;
  problems: string[];
  /** Seconds from the commit to the Application(s) Synced at that commit. */
  toSynced: number | null;
  /** Seconds from the commit to the step's decision. */
  toDecision: number | null;
}

const POLL_MS = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value (not undefined); throws with `describe()` after `timeoutS`. */
export async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutS: number, describe: () => Promise<string>): Promise<T> {
  const end = Date.now() + timeoutS * 1000;
  for (;;) {
    let v: T | undefined;
    try {
      v = await check();
    } catch {
      v = undefined;
    }
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not after ${timeoutS} s\n${await describe()}`);
    await sleep(POLL_MS);
  }
}


/** Edits the inputs, renders and commits, as a user does; returns the commit and when it was made. */
export async function commitInputs(repo: string, message: string, edit: () => void): Promise<{ sha: string; at: number }> {
  edit();
  await renderCommand(repo);
  git(repo, "add", "-A");
  git(repo, "commit", "-q", "-m", message);
  return { sha: git(repo, "rev-parse", "HEAD"), at: Date.now() };
}

export function commitRaw(repo: string, message: string): { sha: string; at: number } {
  git(repo, "add", "-A");
  git(repo, "commit", "-q", "-m", message);
  return { sha: git(repo, "rev-parse", "HEAD"), at: Date.now() };
}

export const seconds = (from: number) => Math.round((Date.now() - from) / 1000);

export function newRow(rows: StepRow[], step: string, expected: string): StepRow {
  const row: StepRow = { step, expected, observed: "", problems: [], toSynced: null, toDecision: null };
  rows.push(row);
  return row;
}

export async function runStep(row: StepRow, body: (row: StepRow) => Promise<void>): Promise<void> {
  try {
    await body(row);
  } catch (e) {
    row.problems.push((e as Error).message);
    if (!row.observed) row.observed = "failed";
  }
}

