// npm run infra:outputs: what exists only after `tofu apply` flows into the region file through one
// command, layout kept, rendered; never by hand-copying, never a value for another region.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmod, readFile, symlink, writeFile } from "node:fs/promises";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ROOT, removeRepo, scratchRepo as scratch, treeDigest } from "./helpers/repo.ts";
import { readRendered } from "../lib/tree.ts";
import { renderFrom } from "../lib/render.ts";
import { OWNED_DIRS } from "../generators/render.ts";

const FILE = "environments/production/regions/us-east-1.yaml";
const NEW = "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9/";
/** A copy of the inputs and the rendered tree, node_modules linked (the command runs there). */
async function scratchRepo(): Promise<string> {
  const dir = await scratch();
  await symlink(join(ROOT, "node_modules"), join(dir, "node_modules"));
  return dir;
}
const run = (dir: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "scripts/infra-outputs.ts"), ...args], { cwd: dir, encoding: "utf8", env: { ...process.env, ...env } });

test("infra:outputs writes the applied workspace's address into the region file (one line, layout kept) and renders", async () => {
  const dir = await scratchRepo();
  try {
    const before = await readFile(join(dir, FILE), "utf8");
    await writeFile(join(dir, "out.json"), JSON.stringify({ prometheus_address: { sensitive: false, type: "string", value: NEW } }));
    const r = run(dir, ["production-us-east-1", "--from", "out.json"]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const after = await readFile(join(dir, FILE), "utf8");
    const changed = after.split("\n").map((l, i) => [l, before.split("\n")[i]]).filter(([a, b]) => a !== b);
    assert.equal(changed.length, 1);
    assert.equal(changed[0]![0], `  address: ${NEW}`);
    const line = after.split("\n").indexOf(`  address: ${NEW}`) + 1;
    assert.match(r.stdout, new RegExp(`^${FILE}:${line}: prometheus\\.address: https://aps-workspaces\\.us-east-1\\.amazonaws\\.com/workspaces/ws-265b09a8-[^ ]+ → ${NEW.replaceAll(".", "\\.")}$`, "m"));
    // The gate's AnalysisTemplates and the stage's other users of the address follow.
    assert.match(r.stdout, /rendered: 0 added, [1-9][0-9]* changed, 0 removed/);
    // The tree is a fresh render of the edited inputs (what npm run check verifies).
    assert.deepEqual(await readRendered(dir, OWNED_DIRS), await renderFrom(dir));
    // Again: nothing to do.
    const again = run(dir, ["production-us-east-1", "--from", "out.json"]);
    assert.equal(again.status, 0);
    assert.match(again.stdout, /already holds every applied value/);
  } finally {
    await removeRepo(dir);
  }
});

test("infra:outputs runs tofu output -json in the stage's module folder (TOFU names the program)", async () => {
  const dir = await scratchRepo();
  try {
    const fake = join(dir, "fake-tofu.sh");
    await writeFile(fake, `#!/bin/sh\n[ "$1 $2" = "output -json" ] || exit 3\ncase "$PWD" in */infrastructure/production/us-east-1) ;; *) echo "wrong folder $PWD" >&2; exit 4;; esac\necho '{"prometheus_address":{"value":"${NEW}"}}'\n`);
    await chmod(fake, 0o755);
    const r = run(dir, ["production-us-east-1"], { TOFU: fake });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.ok((await readFile(join(dir, FILE), "utf8")).includes(`address: ${NEW}`));
  } finally {
    await removeRepo(dir);
  }
});

test("infra:outputs refuses another region's workspace, a missing value and an unknown stage, writing nothing; a GCP stage has nothing to write", async () => {
  const dir = await scratchRepo();
  try {
    const digest = await treeDigest(dir);
    const text = await readFile(join(dir, FILE), "utf8");
    await writeFile(join(dir, "other.json"), JSON.stringify({ prometheus_address: { value: NEW.replace("us-east-1", "eu-west-1") } }));
    const other = run(dir, ["production-us-east-1", "--from", "other.json"]);
    assert.equal(other.status, 1);
    assert.match(other.stderr, /prometheus\.address https:\/\/aps-workspaces\.eu-west-1\.amazonaws\.com\/\S+ is not a workspace in us-east-1; nothing was written/);
    await writeFile(join(dir, "empty.json"), "{}");
    const empty = run(dir, ["production-us-east-1", "--from", "empty.json"]);
    assert.equal(empty.status, 1);
    assert.match(empty.stderr, /output prometheus_address has no value: run tofu apply there first/);
    const unknown = run(dir, ["production-us-west-9", "--from", "empty.json"]);
    assert.match(unknown.stderr, /unknown stage production-us-west-9; stages: .*production-us-east-1/);
    const usage = run(dir, []);
    assert.match(usage.stderr, /usage: npm run infra:outputs -- <stage>/);
    assert.equal(await readFile(join(dir, FILE), "utf8"), text);
    assert.equal(await treeDigest(dir), digest);
    const gcp = run(dir, ["production-asia-east2", "--from", "empty.json"]);
    assert.equal(gcp.status, 0);
    assert.match(gcp.stdout, /declares no value to write back/);
  } finally {
    await removeRepo(dir);
  }
});
