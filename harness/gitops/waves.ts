import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { run, type CommandResult, type Shell } from "./bootstrap.ts";
import { git } from "./test-tree.ts";
import type { StageCluster } from "./platform.ts";
import type { StepRow } from "./steps.ts";

/**
 * The release waves through the real loop, in the staging cluster, driven by the commands a
 * platform engineer types (npm run release / promote, in the test repository, with kubectl and the
 * kubeconfig the README's bootstrap uses):
 *   (f) a healthy version released to staging: promote refuses while staging has not run it
 *       promoted for the soak, then moves it to the next wave, and Argo CD syncs it there;
 *   (g) a version that degrades once live: staging's post-promotion analysis rolls it back, and
 *       promote refuses, saying so.
 */

export interface WaveLanes {
  readonly repo: string;
  readonly shell: Shell;
  readonly log: (line: string) => void;
  /** The first wave's stage (automatic promotion) and the next wave's. */
  readonly staging: StageCluster;
  readonly next: StageCluster;
  /** The component released healthy in (f), and its new digest. */
  readonly promoted: { readonly component: string; readonly digest: string };
  /** The component whose release degrades once it takes production traffic in (g), and its digest. */
  readonly rolledBack: { readonly component: string; readonly digest: string };
  /** Runs `fn` with the test repository to itself (the loop's commit queue). */
  readonly serial: <T>(fn: () => Promise<T> | T) => Promise<T>;
  readonly until: <T>(what: string, check: () => Promise<T | undefined>, timeoutS: number) => Promise<T>;
  /** The Application `name` Synced at `sha` or later. */
  readonly syncedAt: (name: string, sha: string) => Promise<unknown>;
  readonly rolloutStatus: (stage: StageCluster, component: string) => Promise<{ abort?: boolean; stableRS?: string; currentPodHash?: string; message?: string; phase?: string; blueGreen?: { activeSelector?: string } }>;
  readonly rolloutDigest: (stage: StageCluster, component: string) => Promise<string | undefined>;
}

const seconds = (from: number) => Math.round((Date.now() - from) / 1000);

/** The version a stage pins for a component, with its patch number raised (what a new build is called). */
function nextVersion(repo: string, stage: StageCluster, component: string): string {
  const doc = parseDocument(readFileSync(join(repo, "environments", stage.environment, "regions", `${stage.region}.yaml`), "utf8"));
  const [maj, min, patch] = String(doc.getIn(["components", component, "version"])).split(/[.+-]/).map(Number);
  return `${maj}.${min}.${patch! + 1}`;
}

function commitAll(repo: string, message: string): { sha: string; at: number } {
  git(repo, "add", "-A");
  git(repo, "commit", "-q", "-m", message);
  return { sha: git(repo, "rev-parse", "HEAD"), at: Date.now() };
}

const clean = (repo: string) => git(repo, "status", "--porcelain") === "";

/** `npm run <script>` in the test repository, as typed; the output's evidence lines for the report. */
async function npm(l: WaveLanes, args: string): Promise<CommandResult> {
  const r = await run(l.shell, `npm run --silent ${args}`, 120_000);
  l.log(`$ npm run ${args}  (exit ${r.status})\n${r.output.split("\n").map((x) => `    ${x}`).join("\n")}`);
  return r;
}

const evidenceLine = (out: string, stage: string) => out.split("\n").find((x) => x.includes(` ${stage} `))?.trim().replace(/\s+/g, " ") ?? out.split("\n").at(-1) ?? "";

/** `npm run release` into the first wave, committed; waits for Argo CD to sync it there. */
async function releaseToStaging(l: WaveLanes, component: string, digest: string, row: StepRow): Promise<{ c: { sha: string; at: number }; version: string }> {
  const stage = `${l.staging.environment}-${l.staging.region}`;
  let version = "";
  const c = await l.serial(async () => {
    version = nextVersion(l.repo, l.staging, component);
    const r = await npm(l, `release -- ${component} ${version} ${digest}`);
    if (r.status !== 0) throw new Error(`npm run release exited ${r.status}:\n${r.output}`);
    return commitAll(l.repo, `release ${component} ${version}`);
  });
  await l.until(`${stage}-${component} Synced at the release`, () => l.syncedAt(`${stage}-${component}`, c.sha), 300);
  row.toSynced = seconds(c.at);
  return { c, version };
}

export async function laneF(l: WaveLanes, row: StepRow): Promise<void> {
  const { component, digest } = l.promoted;
  const stage = `${l.staging.environment}-${l.staging.region}`;
  const target = `${l.next.environment}-${l.next.region}`;
  const refusals: string[] = [];
  const refused = (r: CommandResult, when: string) => {
    if (r.status !== 1 || !/^promote refused: /m.test(r.output)) row.problems.push(`${when}: promote exited ${r.status}, expected a refusal:\n${r.output}`);
    else if (!clean(l.repo)) row.problems.push(`${when}: the refused promote changed the repository:\n${git(l.repo, "status", "--porcelain")}`);
    else refusals.push(`${when}: "${evidenceLine(r.output, stage)}"`);
  };
  const { c, version } = await releaseToStaging(l, component, digest, row);
  refused(await l.serial(() => npm(l, `promote -- ${component}`)), "before staging promoted it");
  // Staging promotes by itself once its gate passes (promotion: automatic): the active Service
  // switches, and the post-promotion analysis judges production traffic while the soak counts.
  await l.until(`${stage}: ${component} switched`, async () => {
    const st = await l.rolloutStatus(l.staging, component);
    if (st.abort) throw new Error(`aborted: ${st.message}`);
    return st.currentPodHash && st.blueGreen?.activeSelector === st.currentPodHash && (await l.rolloutDigest(l.staging, component)) === digest ? true : undefined;
  }, 900);
  l.log(`(f) ${stage} switched to ${component} ${version} after ${seconds(c.at)} s`);
  refused(await l.serial(() => npm(l, `promote -- ${component}`)), "switched, soak not over");
  // Until the soak is over, a dry run keeps refusing; then it would move the version. Every 20 s:
  // each run is a Node start that takes a core for seconds, which the analyses running beside it need.
  let last = 0;
  const ready = await l.until("promote --dry-run accepts", async () => {
    if (Date.now() - last < 20_000) return undefined;
    last = Date.now();
    const r = await l.serial(() => run(l.shell, `npm run --silent promote -- ${component} --dry-run`, 120_000));
    return r.status === 0 ? r : undefined;
  }, 900);
  l.log(`(f) the dry run accepts:\n${ready.output}`);
  const moved = await l.serial(async () => {
    const r = await npm(l, `promote -- ${component}`);
    if (r.status !== 0) throw new Error(`npm run promote exited ${r.status} after a clean soak:\n${r.output}`);
    return { r, commit: commitAll(l.repo, `promote ${component} ${version} to ${target}`) };
  });
  const changed = git(l.repo, "show", "--stat", "--format=", moved.commit.sha, "--", "environments");
  if (!changed.includes(`environments/${l.next.environment}/regions/${l.next.region}.yaml`)) row.problems.push(`the promote commit does not change ${target}'s region file:\n${changed}`);
  await l.until(`${target}-${component} Synced at the promotion`, () => l.syncedAt(`${target}-${component}`, moved.commit.sha), 300);
  await l.until(`${target}: the Rollout runs the promoted digest`, async () => ((await l.rolloutDigest(l.next, component)) === digest ? true : undefined), 120);
  row.toDecision = seconds(c.at);
  row.observed = `refused ${refusals.length}×: ${refusals.join("; ")}; after the soak moved to ${target} (${evidenceLine(ready.output, stage)}); ${target}-${component} Synced ${seconds(moved.commit.at)} s after the promote commit, its Rollout on the new digest`;
}

export async function laneG(l: WaveLanes, row: StepRow): Promise<void> {
  const { component, digest } = l.rolledBack;
  const stage = `${l.staging.environment}-${l.staging.region}`;
  const before = (await l.rolloutStatus(l.staging, component)).stableRS;
  const { c, version } = await releaseToStaging(l, component, digest, row);
  // Promoted by the gate, then rolled back by the post-promotion analysis once it takes production traffic.
  let switched = false;
  const st = await l.until(`${stage}: ${component} rolled back`, async () => {
    const s = await l.rolloutStatus(l.staging, component);
    if (s.currentPodHash && s.currentPodHash !== before && s.blueGreen?.activeSelector === s.currentPodHash) switched = true;
    return s.abort ? s : undefined;
  }, 900);
  row.toDecision = seconds(c.at);
  if (!switched) row.problems.push("the active Service never switched to the release: aborted before the switch, not rolled back after it");
  if (st.stableRS !== before) row.problems.push(`after the rollback the stable ReplicaSet is ${st.stableRS}, not ${before}`);
  const r = await l.serial(() => npm(l, `promote -- ${component}`));
  if (r.status !== 1 || !/^promote refused: /m.test(r.output) || !/ rolled back after the switch /.test(r.output)) row.problems.push(`promote exited ${r.status}, expected a refusal naming the rollback:\n${r.output}`);
  if (!clean(l.repo)) row.problems.push(`the refused promote changed the repository:\n${git(l.repo, "status", "--porcelain")}`);
  row.observed = `${version}: ${switched ? "switched, then " : ""}rolled back at ${row.toDecision} s ("${st.message ?? ""}"); promote refused: "${evidenceLine(r.output, stage)}"`;
}
