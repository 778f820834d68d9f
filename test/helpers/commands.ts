import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, scratchGitRepo } from "./repo.ts";

/** The user's commands run as a user runs them, in a git clone (test/releases.test.ts, test/operator-release.test.ts). */

export function sh(dir: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(cmd, args, { cwd: dir, encoding: "utf8", env: { ...process.env, ...env } });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}
export const git = (dir: string, ...args: string[]) => sh(dir, "git", ["-c", "user.name=t", "-c", "user.email=t@bitactor.invalid", "-c", "commit.gpgsign=false", ...args]);
export const npm = (dir: string, script: string, args: string[] = [], env: NodeJS.ProcessEnv = {}) => sh(dir, process.execPath, ["--import", "tsx", join(ROOT, "scripts", `${script}.ts`), ...args], env);

/** A git repository holding this repository's inputs and rendered tree, one commit, node_modules linked. */
export async function cloneRepo(): Promise<string> {
  const dir = await scratchGitRepo();
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  writeFileSync(join(dir, ".git", "info", "exclude"), "node_modules\n");
  return dir;
}

/** The kinds the scripted kubectl answers, by the resource argument the commands pass, and the file each is read from. */
const KINDS: Readonly<Record<string, string>> = {
  "rollouts.argoproj.io": "rollout",
  "analysisruns.argoproj.io": "runs",
  "deployments.apps": "deployment",
  "bitactorclusters.bitactor.io": "cluster",
  "leases.coordination.k8s.io": "lease",
};

/**
 * A kubectl that answers `get <kind>` from JSON files in `dir/cluster/<context>/<file>.json` (KINDS),
 * fails like kubectl for an unknown context, and answers NotFound for a kind without a file.
 */
export function scriptedKubectl(dir: string): string {
  const bin = join(dir, "kubectl");
  const cases = Object.entries(KINDS).map(([arg, file]) => `${arg}) kind=${file}; shift;;`).join(" ");
  writeFileSync(
    bin,
    `#!/usr/bin/env bash
ctx=""; kind=""
while [ $# -gt 0 ]; do case "$1" in --context) ctx="$2"; shift 2;; ${cases} *) shift;; esac; done
d="${join(dir, "cluster")}/$ctx"
[ -d "$d" ] || { echo "error: context \\"$ctx\\" does not exist" >&2; exit 1; }
[ -f "$d/$kind.json" ] || { echo "Error from server (NotFound): $kind \\"x\\" not found" >&2; exit 1; }
cat "$d/$kind.json"
`,
  );
  chmodSync(bin, 0o755);
  return bin;
}

/** What `context`'s cluster answers: each kind's object (KINDS' file names), or undefined for NotFound. */
export function setClusterObjects(dir: string, context: string, objects: Readonly<Record<string, unknown>>): void {
  const d = join(dir, "cluster", context);
  mkdirSync(d, { recursive: true });
  for (const [kind, object] of Object.entries(objects)) {
    rmSync(join(d, `${kind}.json`), { force: true });
    if (object !== undefined) writeFileSync(join(d, `${kind}.json`), JSON.stringify(object));
  }
}
