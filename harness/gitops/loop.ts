import { laneF, laneG } from "./waves.ts";
import { makeKit, waveLanes, type LoopContext } from "./kit.ts";
import { newRow, runStep, type StepRow } from "./steps.ts";
import { historyCheck } from "./history-step.ts";
import { bootstrapAndFirstReleases } from "./first-sync.ts";
import { hotfixLane, regressedLane } from "./hotfix-lanes.ts";
import { projectLanes } from "./project-lanes.ts";
import { addonUpgrade, unreadableRelease } from "./addon-upgrade.ts";
import { installPushWebhook } from "./push-webhook.ts";

/**
 * The GitOps loop, driven only by git commits to the test repository, as a user drives it: the
 * README's bootstrap and every stage's first release judged, then (u) an add-on upgraded by commit,
 * (v) an add-on committed at a release its source lacks and put back, then (a) a hotfix released straight
 * into production and promoted by the operator, (b) a regressed hotfix the gate aborts, (c) its
 * revert, (e) an object no AppProject admits, (d) a region removed, (f) a release through the waves
 * and (g) one rolled back in the first wave (harness/gitops/waves.ts), and last `npm run check` on the
 * history all of them made. (a), (b)+(c), (e)+(d), (f) and (g) run at the same time on different
 * Applications. Each step records seconds from its commit to Argo CD's Synced and to the decision,
 * and what it saw. Every commit reaches Argo CD as a real install's does, by the git host's push
 * webhook (push-webhook.ts); Argo CD's own poll is only the fallback.
 */
export async function runLoop(ctx: LoopContext): Promise<StepRow[]> {
  const kit = makeKit(ctx);
  const webhook = installPushWebhook(ctx.repo, ctx.access.server.url, ctx.shell.argocdServer);
  const { rel } = kit;
  const rows: StepRow[] = [];

  await bootstrapAndFirstReleases(kit, rows);
  if (rows.some((r) => r.problems.length)) return rows;

  // The platform moves first: every later step releases through the gate on the upgraded add-on.
  const up = ctx.upgrade;
  const rowU = newRow(rows, `(u) ${up.id} upgraded by commit: ${up.from} → ${up.to} in tools/versions.json`, `every stage's ${up.id} Application Synced at ${up.to} and Healthy, its Deployments on ${up.to}`);
  await runStep(rowU, (row) => addonUpgrade(kit, row));
  if (rowU.problems.length) return rows;
  // What a release its source lacks looks like, once, before the engine's steps: alone, so no other
  // commit's sync runs while its Applications cannot render.
  const rowV = newRow(rows, `(v) ${ctx.unreadable} committed at a release its source does not have, then put back`, `every stage's ${ctx.unreadable} Application Unknown with ComparisonError naming it, its Deployments unchanged; Synced and Healthy again once put back, its Deployments still unchanged`);
  await runStep(rowV, (row) => unreadableRelease(kit, row, ctx.unreadable));
  if (rowV.problems.length) return rows;

  const rowA = newRow(rows, `(a) a hotfix: new digest for ${ctx.component} straight into ${rel.environment}/${rel.region}`, "gate passes → operator promotes → Synced/Healthy on the new digest");
  const rowB = newRow(rows, `(b) a regressed ${ctx.regressedComponent} hotfix (p99 ≈ 1.3 × budget)`, "aborted; Application Degraded; active never leaves the old ReplicaSet");
  const rowC = newRow(rows, "(c) git revert of the regressed release", "Synced/Healthy on the old digest");
  const rowE = newRow(rows, "(e) a ClusterRoleBinding committed into a component's folder", "Argo CD refuses the sync (not permitted in the project); nothing is created");
  const gone = ctx.removed;
  const rowD = newRow(rows, `(d) ${gone.environment}/${gone.region} deleted and rendered`, "its ApplicationSet, Applications and objects pruned");
  const w = ctx.waves;
  const rowF = newRow(rows, `(f) npm run release of ${w.promoted.component} into ${w.staging.environment}/${w.staging.region}, then npm run promote`, `promote refuses until staging ran it promoted for the soak, then moves it to ${w.next.environment}-${w.next.region}, where Argo CD syncs it`);
  const rowG = newRow(rows, `(g) npm run release of a ${w.rolledBack.component} that degrades once live`, "staging's post-promotion analysis rolls it back; promote refuses, naming the rollback");
  const rowH = newRow(rows, "(h) npm run check on the history (a)-(g) made", "passes; the two hotfixes (a) and (b) reported with their reasons");

  const laneA = hotfixLane(kit, rowA);
  const laneB = regressedLane(kit, rowB, rowC);
  const laneC = projectLanes(kit, rowE, rowD);
  const lanes = waveLanes(kit);
  const laneWaves = Promise.all([runStep(rowF, (row) => laneF(lanes, row)), runStep(rowG, (row) => laneG(lanes, row))]);

  await Promise.all([laneA, laneB, laneC, laneWaves]);
  await historyCheck(kit, rowH);
  // A refused delivery leaves Argo CD to its poll: the steps pass, slower, so it is reported here.
  const refused = webhook.failures();
  if (refused.length > 0) rowH.problems.push(`the push webhook to Argo CD failed for ${refused.length} commit(s): ${refused.join("; ")}`);
  return rows;
}
