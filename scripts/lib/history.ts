import { execFileSync, spawnSync } from "node:child_process";
import { OPERATOR_RELEASE, pinPath } from "../../generators/inputs/pins.ts";
import { YamlSource } from "../../generators/inputs/yaml-source.ts";
import { INPUT_LAYOUT } from "../../generators/inputs/load.ts";
import { stageId } from "../../generators/naming.ts";
import type { InputFile, ReleasePlan } from "../../generators/inputs/types.ts";
import type { PinAt, Snapshot } from "../../checks/release-order.ts";
import { readInputs } from "../../lib/inputs.ts";

/**
 * The pins of every stage through the repository's history, for the release-order check and
 * `npm run status`: one snapshot per first-parent commit that changed `environments/` (what main
 * ran, merge by merge; a branch's intermediate commits never ran anywhere), oldest first, then the
 * working tree. Reads git only; never writes.
 */

const git = (root: string, args: string[], input?: string): string =>
  execFileSync("git", args, { cwd: root, encoding: "utf8", maxBuffer: 1 << 30, ...(input !== undefined ? { input } : {}), stdio: ["pipe", "pipe", "pipe"] });

/** The commits that changed `environments/`, oldest first (first parent only). */
function commits(root: string): { sha: string; time: number; subject: string }[] {
  const inside = spawnSync("git", ["rev-parse", "--is-inside-work-tree"], { cwd: root, encoding: "utf8" });
  if (inside.status !== 0) throw new Error(`${root} is not a git work tree: the release order is checked on the git history (clone the repository instead of copying it)`);
  if (git(root, ["rev-parse", "--is-shallow-repository"]).trim() === "true") {
    throw new Error("this clone is shallow: the release order is checked on the whole history of environments/; run git fetch --unshallow (GitHub Actions: actions/checkout with fetch-depth: 0)");
  }
  if (spawnSync("git", ["rev-parse", "--verify", "-q", "HEAD"], { cwd: root }).status !== 0) return [];
  const out = git(root, ["log", "--first-parent", "--reverse", "--format=%H%x1f%ct%x1f%s%x1e", "--", "environments/"]);
  return out
    .split("\x1e")
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [sha, time, subject] = l.split("\x1f");
      return { sha: sha!, time: Number(time), subject: subject ?? "" };
    });
}

/** Blob contents by id, read through one `git cat-file --batch`. */
function blobs(root: string, ids: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  if (ids.length === 0) return out;
  const buf = execFileSync("git", ["cat-file", "--batch"], { cwd: root, input: ids.join("\n") + "\n", maxBuffer: 1 << 30 });
  let at = 0;
  for (const id of ids) {
    const nl = buf.indexOf(10, at);
    const header = buf.subarray(at, nl).toString("utf8").split(" ");
    const size = Number(header[2]);
    out.set(id, buf.subarray(nl + 1, nl + 1 + size).toString("utf8"));
    at = nl + 1 + size + 1;
  }
  return out;
}

/** A snapshot's plan and pins from its input files; lenient, since old commits may predate today's schema. */
export function snapshotOf(commit: string, subject: string, files: readonly InputFile[]): Snapshot {
  const pins = new Map<string, Map<string, PinAt>>();
  // Waves in order from the plan file; their stages from each region file's `wave` (the plan's
  // first commits listed `stages` in the plan file itself: read both).
  let waves: { name: string; soak?: string; stages?: string[] }[] | undefined;
  let acknowledged: ReleasePlan["acknowledged"];
  const waveOf = new Map<string, string>();
  for (const f of files) {
    if (f.path === INPUT_LAYOUT.plan) {
      const src = YamlSource.parse(f.path, f.text);
      const v = src.value as { waves?: { name?: unknown; soak?: string; stages?: unknown }[]; acknowledged?: ReleasePlan["acknowledged"] } | undefined;
      if (src.errors.length === 0 && Array.isArray(v?.waves) && v.waves.every((w) => typeof w?.name === "string" && (w.stages === undefined || Array.isArray(w.stages)))) {
        waves = v.waves as typeof waves;
        acknowledged = v.acknowledged;
      }
      continue;
    }
    const m = INPUT_LAYOUT.region.exec(f.path);
    if (!m) continue;
    const src = YamlSource.parse(f.path, f.text);
    type RawPin = { digest?: unknown; version?: unknown; hotfix?: { digest?: unknown; reason?: unknown } };
    const value = src.value as { wave?: unknown; components?: Record<string, RawPin>; operator?: RawPin } | undefined;
    const components = value?.components;
    if (src.errors.length > 0 || !components || typeof components !== "object") continue;
    if (typeof value.wave === "string") waveOf.set(stageId(m[1]!, m[2]!), value.wave);
    const stage = new Map<string, PinAt>();
    // The components' pins and, since it has one, the operator's: the order holds for it too.
    const raw: [string, RawPin | undefined][] = [...Object.entries(components), ...(value.operator && typeof value.operator === "object" ? [[OPERATOR_RELEASE, value.operator] as [string, RawPin]] : [])];
    for (const [name, pin] of raw) {
      if (typeof pin?.digest !== "string") continue;
      const hotfix = typeof pin.hotfix?.digest === "string" && typeof pin.hotfix.reason === "string" ? { digest: pin.hotfix.digest, reason: pin.hotfix.reason } : undefined;
      stage.set(name, { digest: pin.digest, version: String(pin.version ?? "?"), ...(hotfix ? { hotfix } : {}), file: f.path, line: src.error([...pinPath(name), "digest"], "").line });
    }
    pins.set(stageId(m[1]!, m[2]!), stage);
  }
  const plan: ReleasePlan | undefined = waves && {
    waves: waves.map((w) => ({ name: w.name, ...(w.soak ? { soak: w.soak } : {}), stages: [...new Set([...(w.stages ?? []), ...[...waveOf].filter(([, x]) => x === w.name).map(([id]) => id)])].sort() })),
    ...(acknowledged ? { acknowledged } : {}),
  };
  return { commit, subject, ...(plan ? { plan } : {}), pins };
}

export interface History {
  readonly snapshots: readonly Snapshot[];
  /** Commit time (seconds since the epoch) of each commit snapshot. */
  readonly times: ReadonlyMap<string, number>;
}

/** Every first-parent commit that changed `environments/`, then the working tree. */
export async function readHistory(root: string): Promise<History> {
  const list = commits(root);
  const trees = list.map((c) => {
    const entries = git(root, ["ls-tree", "-r", "-z", c.sha, "--", "environments/"]).split("\0").filter(Boolean);
    return entries.map((e) => {
      const [meta, path] = e.split("\t");
      return { id: meta!.split(" ")[2]!, path: path! };
    });
  });
  const text = blobs(root, [...new Set(trees.flat().map((e) => e.id))]);
  const snapshots = list.map((c, i) => snapshotOf(c.sha, c.subject, trees[i]!.map((e) => ({ path: e.path, text: text.get(e.id)! }))));
  const working = (await readInputs(root)).filter((f) => f.path.startsWith("environments/"));
  snapshots.push(snapshotOf("working tree", "uncommitted changes", working));
  return { snapshots, times: new Map(list.map((c) => [c.sha, c.time])) };
}
