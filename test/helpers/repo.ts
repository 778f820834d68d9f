import { mkdtemp, readFile, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { copyRepository, readRendered } from "../../lib/tree.ts";
import { OWNED_DIRS } from "../../generators/render.ts";
import { readInputs } from "../../lib/inputs.ts";
import { loadRepository } from "../../generators/inputs/load.ts";
import type { RepositoryModel } from "../../generators/inputs/types.ts";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * A scratch git repository holding the inputs and rendered tree, one commit on main (what
 * `npm run check` needs: it judges the release order on the git history).
 */
export async function scratchGitRepo(): Promise<string> {
  const dir = await scratchRepo();
  for (const args of [["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "baseline"]]) {
    const r = spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@bitactor.invalid", "-c", "commit.gpgsign=false", ...args], { cwd: dir, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  }
  return dir;
}

/** A scratch copy of the repository's inputs and rendered tree. */
export async function scratchRepo(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "bitactor-test-"));
  await copyRepository(ROOT, dir);
  return dir;
}

export async function removeRepo(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** A digest of every rendered file (path and bytes), to prove a tree did not change. */
export async function treeDigest(dir: string): Promise<string> {
  const h = createHash("sha256");
  for (const [p, text] of await readRendered(dir, OWNED_DIRS)) h.update(p).update("\0").update(text).update("\0");
  return h.digest("hex");
}

export async function edit(dir: string, path: string, change: (text: string) => string): Promise<void> {
  const file = join(dir, path);
  await writeFile(file, change(await readFile(file, "utf8")));
}

let cached: RepositoryModel | undefined;
/** The committed inputs, loaded once. */
export async function committedModel(): Promise<RepositoryModel> {
  cached ??= loadRepository(await readInputs(ROOT));
  return cached;
}
