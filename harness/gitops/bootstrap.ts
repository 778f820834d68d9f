import { spawn } from "node:child_process";
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";

/**
 * The README's bootstrap, run as written: the shell block that follows the marker
 * `<!-- e2e:gitops runs the next block -->` in README.md, line by line in bash (`set -euo pipefail`),
 * from the root of a clone (the test repository), with only what a user's own shell would have:
 * `kubectl` and `argocd` on PATH, a kubeconfig whose contexts are named after the clusters,
 * ARGOCD_SERVER, the address of Argo CD's API server, and SEALING_KEY, the file of the management
 * cluster's sealing key (a team keeps it in its vault).
 */

export const MARKER = "<!-- e2e:gitops runs the next block -->";

/** The commands of the block after the marker (comments and blank lines dropped). */
export function bootstrapCommands(readme: string): string[] {
  const at = readme.indexOf(MARKER);
  if (at < 0) throw new Error(`README.md has no ${MARKER} before the bootstrap commands`);
  const m = /```(?:sh|bash)\n([\s\S]*?)```/.exec(readme.slice(at + MARKER.length));
  if (!m) throw new Error(`README.md: no sh code block after ${MARKER}`);
  const lines = m[1]!.split("\n").map((l) => l.replace(/\s+#.*$/, "").trim()).filter((l) => l && !l.startsWith("#"));
  if (lines.length === 0) throw new Error(`README.md: the block after ${MARKER} has no command`);
  return lines;
}

export interface CommandResult {
  readonly command: string;
  readonly status: number;
  readonly output: string;
  readonly seconds: number;
}

export interface Shell {
  readonly cwd: string;
  readonly kubeconfig: string;
  readonly argocdServer: string;
  /** Binaries to put first on PATH under their user-facing names: name → path. */
  readonly programs: Readonly<Record<string, string>>;
  /** A private HOME (the argocd CLI keeps its login there). */
  readonly home: string;
  /** What else the user's shell holds that the README names (SEALING_KEY). @default none */
  readonly env?: Readonly<Record<string, string>>;
}

export function shellEnv(sh: Shell): NodeJS.ProcessEnv {
  const bin = join(sh.home, "bin");
  mkdirSync(bin, { recursive: true });
  for (const [name, path] of Object.entries(sh.programs)) {
    try {
      symlinkSync(path, join(bin, name));
    } catch {
      // already linked by an earlier command
    }
  }
  return { ...sh.env, PATH: `${bin}:${process.env.PATH}`, HOME: sh.home, KUBECONFIG: sh.kubeconfig, ARGOCD_SERVER: sh.argocdServer };
}

/**
 * Runs one command as the user would type it; never throws, the caller judges the status. It does
 * not block the harness while it runs: the harness serves the test repository and runs the
 * management cluster's sealed-secrets controller from this process (git-server.ts, sealing.ts), which
 * the commands wait on (`argocd app wait`, `kubectl wait`). Past `timeoutMs` the command is killed
 * (status -1).
 */
export function run(sh: Shell, command: string, timeoutMs = 600_000): Promise<CommandResult> {
  const t = Date.now();
  return new Promise((resolve) => {
    const child = spawn("bash", ["-c", `set -euo pipefail\n${command}`], { cwd: sh.cwd, env: shellEnv(sh), stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => { out += d.toString(); });
    child.stderr.on("data", (d: Buffer) => { err += d.toString(); });
    const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
    const done = (status: number) => {
      clearTimeout(timer);
      resolve({ command, status, output: `${out}${err}`.trimEnd(), seconds: (Date.now() - t) / 1000 });
    };
    child.once("error", (e) => { err += String(e); done(-1); });
    child.once("close", (code) => done(code ?? -1));
  });
}
