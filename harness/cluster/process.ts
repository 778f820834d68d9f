import { spawn, type ChildProcess } from "node:child_process";
import { openSync, closeSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type Server } from "node:net";

/**
 * Child processes of a throw-away control plane. Each runs in its own process group so stopping it
 * also stops anything it started; every process still alive when Node exits (normally, on an error,
 * or on Ctrl-C) is killed, so a run never leaves a process behind.
 */

const live = new Set<Managed>();
const scratch = new Set<string>();

/** Deletes `dir` when Node exits, even on Ctrl-C; `release` it once it has been cleaned up normally. */
export function removeOnExit(dir: string): { release(): void } {
  scratch.add(dir);
  return { release: () => scratch.delete(dir) };
}

export class Managed {
  readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;
  private done = false;

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    readonly logFile: string,
    env?: NodeJS.ProcessEnv,
  ) {
    const fd = openSync(logFile, "a");
    this.child = spawn(command, args, { detached: true, stdio: ["ignore", fd, fd], ...(env ? { env } : {}) });
    closeSync(fd);
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        this.done = true;
        live.delete(this);
        resolve(code ?? (signal ? -1 : null));
      });
      this.child.once("error", () => {
        this.done = true;
        live.delete(this);
        resolve(-1);
      });
    });
    live.add(this);
  }

  get running(): boolean {
    return !this.done;
  }

  /** The last lines of its log, for error messages. */
  tail(lines = 15): string {
    try {
      return readFileSync(this.logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }

  /** SIGTERM to the group, then SIGKILL after `graceMs`; resolves once the process has exited. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.done) return;
    signalGroup(this.child.pid, "SIGTERM");
    const timer = setTimeout(() => signalGroup(this.child.pid, "SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
    signalGroup(this.child.pid, "SIGKILL"); // anything left in its group
  }
}

/** Names of the managed processes still running (empty once every cluster has been stopped). */
export function runningProcesses(): string[] {
  return [...live].map((m) => `${m.name} (pid ${m.child.pid})`);
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function killAll(): void {
  for (const m of live) signalGroup(m.child.pid, "SIGKILL");
  for (const f of claimed) rmSync(f, { force: true });
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
}
process.once("exit", killAll);
for (const [s, n] of [["SIGINT", 2], ["SIGTERM", 15], ["SIGHUP", 1]] as const) {
  process.once(s, () => {
    killAll();
    process.exit(128 + n);
  });
}

/**
 * `n` distinct loopback TCP ports for servers a harness is about to start, each held for this
 * process's lifetime. A port merely "free a moment ago" is not enough: between choosing it and the
 * server binding it, (a) the kernel may give it to an outgoing connection as its local port, and
 * (b) another test process (npm test runs the e2e suites side by side) may choose it too; the
 * server then fails to bind while a readiness probe on that port is answered by somebody else's
 * server, and the run fails minutes later with "connection refused" once that one stops. So ports
 * come from outside the kernel's ephemeral range (ip_local_port_range, see ip-sysctl.rst), which
 * outgoing connections never use, and each is claimed by a file created exclusively (O_EXCL) in a
 * directory every harness process shares, removed when this process exits.
 */
export function freePorts(n: number): Promise<number[]> {
  return claimPorts(n, harnessPortRange(), join(tmpdir(), "bitactor-harness-ports"));
}

/** `freePorts` over an explicit range and lock directory (tests use a small range). */
export async function claimPorts(n: number, [lo, hi]: readonly [number, number], lockDir: string): Promise<number[]> {
  const ports: number[] = [];
  mkdirSync(lockDir, { recursive: true });
  sweepStaleClaims(lockDir);
  const candidates = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  // Random order: concurrent processes rarely race for the same lock.
  for (let i = candidates.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
  }
  for (const port of candidates) {
    if (ports.length === n) break;
    if (!claimPort(lockDir, port)) continue;
    if (await canBind(port)) ports.push(port);
    else releasePort(lockDir, port);
  }
  if (ports.length < n) {
    for (const p of ports) releasePort(lockDir, p);
    throw new Error(`only ${ports.length} of ${n} loopback ports in ${lo}-${hi} are free and unclaimed (claims in ${lockDir})`);
  }
  return ports;
}

/** Lock files this process holds, removed when it exits. */
const claimed = new Set<string>();

/** The ports outside the kernel's ephemeral range, between 10000 and 65535 (the larger side). */
export function harnessPortRange(rangeFile = "/proc/sys/net/ipv4/ip_local_port_range"): [number, number] {
  let eLo = 32768;
  let eHi = 60999; // Linux's defaults, if the file is unreadable
  try {
    [eLo, eHi] = readFileSync(rangeFile, "utf8").trim().split(/\s+/).map(Number) as [number, number];
  } catch {
    // not Linux: keep the defaults
  }
  const below: [number, number] = [10000, eLo - 1];
  const above: [number, number] = [eHi + 1, 65535];
  const best = below[1] - below[0] >= above[1] - above[0] ? below : above;
  if (best[1] - best[0] < 1000) throw new Error(`${rangeFile} (${eLo} ${eHi}) leaves fewer than 1000 ports outside the ephemeral range for the harness's servers`);
  return best;
}

function claimPort(lockDir: string, port: number): boolean {
  const file = join(lockDir, String(port));
  try {
    writeFileSync(file, String(process.pid), { flag: "wx" });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false; // another process's (or a stale one, see sweepStaleClaims)
    throw e;
  }
  claimed.add(file);
  return true;
}

/**
 * Removes claims left by harness processes that were killed outright (SIGKILL skips the exit
 * hook). Only claims older than 10 minutes whose process is gone: a claim is written in one call,
 * so an old one is never one being written.
 */
function sweepStaleClaims(lockDir: string): void {
  const old = Date.now() - 10 * 60_000;
  for (const name of readdirSync(lockDir)) {
    const file = join(lockDir, name);
    try {
      if (statSync(file).mtimeMs > old) continue;
      const owner = Number(readFileSync(file, "utf8").trim());
      if (!owner || !alive(owner)) rmSync(file, { force: true });
    } catch {
      // removed meanwhile by its owner or another sweep
    }
  }
}

function releasePort(lockDir: string, port: number): void {
  const file = join(lockDir, String(port));
  claimed.delete(file);
  rmSync(file, { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv: Server = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/** Polls `check` until it returns true; fails with `describe()` after `timeoutMs` or if `alive()` turns false. */
export async function waitFor(what: string, check: () => Promise<boolean>, alive: () => boolean, describe: () => string, timeoutMs = 90_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (!alive()) throw new Error(`${what}: the process exited\n${describe()}`);
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > end) throw new Error(`${what}: not ready after ${timeoutMs / 1000} s\n${describe()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
