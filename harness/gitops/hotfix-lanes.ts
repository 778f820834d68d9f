import { releaseImage, rolloutSpec } from "../e2e/release.ts";
import { list } from "./argo-state.ts";
import { editYaml, git } from "./test-tree.ts";
import { hashOfDigest, rollout, watchActive, type Kit } from "./kit.ts";
import { runStep, seconds, until, type StepRow } from "./steps.ts";

/** The hotfix lanes, straight into the released production stage: one promoted, one the gate aborts and its revert. */

/** (a) A new digest, promoted by the operator once the gate passed. */
export function hotfixLane(kit: Kit, rowA: StepRow): Promise<void> {
  const { ctx, log, appReport, rel, client, rns, regionFile, promote, commitEdit, syncedAt, settledAt } = kit;
  return runStep(rowA, async (row) => {
    const component = ctx.component;
    const appName = `${rns}-${component}`;
    const digest = releaseImage(rolloutSpec(rel.releases.find((r) => r.componentName === component)!.rollout).template.spec.containers[0]!.image, "healthy-release").split("@")[1]!;
    const active = await watchActive(client, rns, rel.releases.find((r) => r.componentName === component)!.activeService);
    try {
      const c = await commitEdit(`${component} ${digest.slice(7, 19)} in ${rel.region} (hotfix)`, () => editYaml(regionFile, (d) => {
        d.setIn(["components", component, "digest"], digest);
        d.setIn(["components", component, "hotfix"], { digest, reason: "e2e: straight into production, past the waves" });
      }));
      await until("Synced at the release commit", () => syncedAt(appName, c.sha), 300, appReport);
      row.toSynced = seconds(c.at);
      const paused = await until("the Rollout paused for promotion after the gate", async () => {
        const st = await rollout(client, rns, component);
        if (st.abort) throw new Error("aborted");
        return st.pauseConditions?.some((p) => p.reason === "BlueGreenPause") && st.blueGreen?.prePromotionAnalysisRunStatus?.status === "Successful" ? st : undefined;
      }, 600, appReport);
      const hash = paused.currentPodHash!;
      log(`(a) gate passed (${paused.blueGreen?.prePromotionAnalysisRunStatus?.name}); promoting as the operator`);
      await promote(component);
      await until("Synced and Healthy on the new digest", async () => {
        const st = await rollout(client, rns, component);
        return (await settledAt(appName, c.sha)) && st.stableRS === hash && st.blueGreen?.activeSelector === hash ? true : undefined;
      }, 900, appReport);
      row.toDecision = seconds(c.at);
      row.observed = `promoted; ${appName} Synced/Healthy; active ${hash} runs ${digest.slice(0, 19)}…; the active Service selected ${active.seen.join(" → ")}`;
      if (active.ended()) row.problems.push(`the watch of the active Service ended: ${active.ended()}`);
    } finally {
      active.stop();
    }
  });
}

/**
 * (b) A regressed release: the gate aborts it, the Application is Degraded, production stays;
 * (c) the revert commit restores Healthy.
 */
export async function regressedLane(kit: Kit, rowB: StepRow, rowC: StepRow): Promise<void> {
  const { ctx, repo, app, appReport, rel, client, rns, regionFile, serial, commitEdit, syncedAt, settledAt } = kit;
  const component = ctx.regressedComponent;
  const appName = `${rns}-${component}`;
  const digest = ctx.regressedImage(component).split("@")[1]!;
  const before = (await rollout(client, rns, component)).stableRS;
  const active = await watchActive(client, rns, rel.releases.find((r) => r.componentName === component)!.activeService);
  let regressedCommit = "";
  try {
    await runStep(rowB, async (row) => {
      const c = await commitEdit(`${component} ${digest.slice(7, 19)} in ${rel.region} (regressed hotfix)`, () => editYaml(regionFile, (d) => {
        d.setIn(["components", component, "digest"], digest);
        d.setIn(["components", component, "hotfix"], { digest, reason: "e2e: a regressed build straight into production" });
      }));
      regressedCommit = c.sha;
      await until("Synced at the regressed commit", () => syncedAt(appName, c.sha), 300, appReport);
      row.toSynced = seconds(c.at);
      const a = await until("the Application Degraded", async () => {
        const x = await app(appName);
        return x?.status?.health?.status === "Degraded" ? x : undefined;
      }, 600, appReport);
      row.toDecision = seconds(c.at);
      const st = await rollout(client, rns, component);
      const badHash = await hashOfDigest(client, rns, digest);
      if (!st.abort) row.problems.push("the Rollout is not aborted");
      if (!badHash) row.problems.push("no ReplicaSet runs the regressed digest");
      if (badHash && active.seen.includes(badHash)) row.problems.push(`the active Service selected the regressed ReplicaSet ${badHash}`);
      if (active.seen.some((h) => h !== before)) row.problems.push(`the active Service left ${before}: ${active.seen.join(" → ")}`);
      if (active.ended()) row.problems.push(`the watch of the active Service ended: ${active.ended()}`);
      const runs = await list<{ metadata: { name: string }; status?: { phase?: string; message?: string } }>(client, `/apis/argoproj.io/v1alpha1/namespaces/${rns}/analysisruns`);
      const pre = runs.find((r) => badHash && r.metadata.name.startsWith(`${component}-${badHash}-`) && r.metadata.name.endsWith("-pre"));
      row.observed = `aborted: pre-promotion ${pre?.status?.phase}: ${pre?.status?.message ?? ""}; ${appName} ${a.status?.health?.status}, Rollout "${st.message ?? ""}"; active stayed ${before}`;
    });
    if (rowB.problems.length) {
      rowC.observed = "not run: (b) failed";
      rowC.problems.push(rowC.observed);
      return;
    }
    await runStep(rowC, async (row) => {
      const c = await serial(() => {
        git(repo, "revert", "--no-edit", regressedCommit);
        return { sha: git(repo, "rev-parse", "HEAD"), at: Date.now() };
      });
      await until("Synced at the revert", () => syncedAt(appName, c.sha), 300, appReport);
      row.toSynced = seconds(c.at);
      await until("Healthy again on the old digest", async () => {
        const st = await rollout(client, rns, component);
        return (await settledAt(appName, c.sha)) && !st.abort && st.stableRS === before ? true : undefined;
      }, 600, appReport);
      row.toDecision = seconds(c.at);
      row.observed = `Synced/Healthy; active ${before}: ${active.seen.join(" → ")}`;
    });
  } finally {
    active.stop();
  }
}
