import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";

/** A live process: pid and command line (read from /proc, so no tool is needed). */
export interface Proc {
  readonly pid: number;
  readonly cmd: string;
}

function readProc(pid: string): { ppid: number; cmd: string; zombie: boolean } | undefined {
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after ")".
    const [state, ppid] = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
    return { ppid: Number(ppid), cmd, zombie: state === "Z" };
  } catch {
    return undefined; // exited while we looked
  }
}

function all(): Map<number, { ppid: number; cmd: string; zombie: boolean }> {
  const out = new Map<number, { ppid: number; cmd: string; zombie: boolean }>();
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    const p = readProc(pid);
    if (p && !p.zombie) out.set(Number(pid), p);
  }
  return out;
}

/** Every live descendant of `root` (children, their children, ...). */
export function descendants(root: number): Proc[] {
  const procs = all();
  const found = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, p] of procs) if (!found.has(pid) && found.has(p.ppid)) (found.add(pid), (grew = true));
  }
  found.delete(root);
  return [...found].map((pid) => ({ pid, cmd: procs.get(pid)!.cmd }));
}

/** Those of `procs` still running (same pid and command line), as text; "" when none. */
export function stillRunning(procs: readonly Proc[]): string {
  const now = all();
  return procs
    .filter((p) => now.get(p.pid)?.cmd === p.cmd)
    .map((p) => `${p.pid} ${p.cmd}`)
    .join("\n");
}

/**
 * Live processes of control planes that were torn down: every such process names its temp dir
 * (bitactor-apiserver-*) in its arguments, and teardown deletes the dir, so a process naming a dir
 * that no longer exists was left behind. Runs still going elsewhere on the machine do not count.
 * "" when none.
 */
export function orphanedControlPlaneProcesses(): string {
  return [...all()]
    .filter(([, p]) => (p.cmd.match(/\/[^ ]*\/bitactor-apiserver-[^/ ]+/g) ?? []).some((dir) => !existsSync(dir)))
    .map(([pid, p]) => `${pid} ${p.cmd}`)
    .join("\n");
}

/** Polls `ok` every 100 ms; fails with `what()` after `timeoutMs`. */
export async function until(what: () => string, ok: () => boolean, timeoutMs = 90_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; !ok(); await new Promise((r) => setTimeout(r, 100))) assert.ok(Date.now() < end, what());
}
