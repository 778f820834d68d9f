import { spawn, type ChildProcess } from "node:child_process";
import { openSync, closeSync, readFileSync, rmSync } from "node:fs";
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
 * `n` distinct loopback TCP ports that were free a moment ago. All listeners stay open until every
 * port is chosen, so the kernel cannot hand out the same port twice.
 */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () =>
      new Promise<Server>((resolve, reject) => {
        const srv = createServer();
        srv.once("error", reject);
        srv.listen(0, "127.0.0.1", () => resolve(srv));
      }),
    ),
  );
  const ports = servers.map((srv) => {
    const addr = srv.address();
    return typeof addr === "object" && addr ? addr.port : 0;
  });
  await Promise.all(servers.map((srv) => new Promise((r) => srv.close(r))));
  return ports;
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
