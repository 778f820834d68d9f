import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { KubeClient } from "../cluster/client.ts";
import type { KubeObject } from "../../scripts/lib/objects.ts";
import { parse } from "yaml";
import { releaseImage, rolloutSpec } from "../e2e/release.ts";
import { renderCommand } from "../../scripts/lib/run.ts";
import { POD_TEMPLATE_HASH_LABEL } from "../../generators/constructs/pod-monitor.ts";
import { applications, describeApp, list, projects, projectViolations, settled } from "./argo-state.ts";
import { bootstrapCommands, run, type Shell } from "./bootstrap.ts";
import { editYaml, git, gitOk } from "./test-tree.ts";
import type { GitopsPlatform, StageCluster } from "./platform.ts";
import { laneF, laneG, type WaveLanes } from "./waves.ts";

/**
 * The GitOps loop, driven only by git commits to the test repository, as a user drives it: the
 * README's bootstrap and every stage's first release judged, then (a) a hotfix released straight
 * into production and promoted by the operator, (b) a regressed hotfix the gate aborts, (c) its
 * revert, (e) an object no AppProject admits, (d) a region removed, (f) a release through the waves
 * and (g) one rolled back in the first wave (harness/gitops/waves.ts), and last `npm run check` on the
 * history all of them made. (a), (b)+(c), (e)+(d), (f) and (g) run at the same time on different
 * Applications. Each step records seconds from its commit to Argo CD's Synced and to the decision,
 * and what it saw.
 */

export interface StepRow {
  readonly step: string;
  readonly expected: string;
  observed: string;
  problems: string[];
  /** Seconds from the commit to the Application(s) Synced at that commit. */
  toSynced: number | null;
  /** Seconds from the commit to the step's decision. */
  toDecision: number | null;
}

export interface LoopContext {
  readonly platform: GitopsPlatform;
  /** The test repository (a git work tree, main checked out). */
  readonly repo: string;
  /** The README the bootstrap is read from. */
  readonly readme: string;
  readonly shell: Shell;
  /** The stage whose component is released (production, on its own cluster). */
  readonly released: StageCluster;
  /** The component released in (a). */
  readonly component: string;
  /** The component whose regressed release (b) aborts and (c) reverts, at the same time as (a). */
  readonly regressedComponent: string;
  /** The component whose folder receives the object no project admits (e). */
  readonly refusedIn: string;
  /** The stage removed in (d). */
  readonly removed: StageCluster;
  /** The fixture's regressed image of a component, for (b). */
  readonly regressedImage: (component: string) => string;
  /** The Application whose first version the fixture makes regress: its first-release gate must fail. */
  readonly regressedFirst: { readonly stage: StageCluster; readonly component: string };
  /** The release waves (harness/gitops/waves.ts): the first wave's stage, the next one's, and the two releases. */
  readonly waves: Pick<WaveLanes, "staging" | "next" | "promoted" | "rolledBack">;
  readonly log: (line: string) => void;
}

const POLL_MS = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value (not undefined); throws with `describe()` after `timeoutS`. */
async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutS: number, describe: () => Promise<string>): Promise<T> {
  const end = Date.now() + timeoutS * 1000;
  for (;;) {
    let v: T | undefined;
    try {
      v = await check();
    } catch {
      v = undefined;
    }
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not after ${timeoutS} s\n${await describe()}`);
    await sleep(POLL_MS);
  }
}


/** Edits the inputs, renders and commits, as a user does; returns the commit and when it was made. */
async function commitInputs(repo: string, message: string, edit: () => void): Promise<{ sha: string; at: number }> {
  edit();
  await renderCommand(repo);
  git(repo, "add", "-A");
  git(repo, "commit", "-q", "-m", message);
  return { sha: git(repo, "rev-parse", "HEAD"), at: Date.now() };
}

function commitRaw(repo: string, message: string): { sha: string; at: number } {
  git(repo, "add", "-A");
  git(repo, "commit", "-q", "-m", message);
  return { sha: git(repo, "rev-parse", "HEAD"), at: Date.now() };
}

const seconds = (from: number) => Math.round((Date.now() - from) / 1000);

interface RolloutStatus {
  abort?: boolean;
  message?: string;
  stableRS?: string;
  currentPodHash?: string;
  phase?: string;
  pauseConditions?: { reason: string }[];
  blueGreen?: { activeSelector?: string; prePromotionAnalysisRunStatus?: { name: string; status: string } };
}

async function rollout(client: KubeClient, ns: string, name: string): Promise<RolloutStatus> {
  const r = await client.request("GET", `/apis/argoproj.io/v1alpha1/namespaces/${ns}/rollouts/${name}`);
  if (r.status !== 200) throw new Error(`rollout ${ns}/${name}: HTTP ${r.status}`);
  return ((r.body as { status?: RolloutStatus }).status ?? {});
}

/** The pod-template hash of the ReplicaSet whose pods run `digest` (undefined until it exists). */
async function hashOfDigest(client: KubeClient, ns: string, digest: string): Promise<string | undefined> {
  const rs = await list<{ metadata: { labels?: Record<string, string> }; spec: { template: { spec: { containers: { image: string }[] } } } }>(client, `/apis/apps/v1/namespaces/${ns}/replicasets`);
  return rs.find((r) => r.spec.template.spec.containers.some((c) => c.image.endsWith(`@${digest}`)))?.metadata.labels?.[POD_TEMPLATE_HASH_LABEL];
}

/**
 * Every pod-template hash a Service selects from now on, in order, through a watch (the e2e's own
 * way, run-scenario.ts): a selector that moved for an instant is seen. `ended` says why the watch
 * stopped early, if it did; a step that relies on `seen` fails then.
 */
async function watchActive(client: KubeClient, ns: string, service: string): Promise<{ seen: string[]; ended(): string; stop(): void }> {
  const r = await client.request("GET", `/api/v1/namespaces/${ns}/services/${service}`);
  if (r.status !== 200) throw new Error(`service ${ns}/${service}: HTTP ${r.status}`);
  const svc = r.body as KubeObject & { metadata: { resourceVersion: string }; spec: { selector?: Record<string, string> } };
  const seen: string[] = [];
  const note = (selector: Record<string, string> | undefined) => {
    const hash = selector?.[POD_TEMPLATE_HASH_LABEL];
    if (hash && seen.at(-1) !== hash) seen.push(hash);
  };
  note(svc.spec.selector);
  let ended = "";
  const w = client.watch(
    `/api/v1/namespaces/${ns}/services?watch=1&fieldSelector=metadata.name%3D${service}&resourceVersion=${svc.metadata.resourceVersion}`,
    (_type, obj) => note((obj as unknown as { spec: { selector?: Record<string, string> } }).spec.selector),
    (why) => (ended ||= why),
  );
  let stopped = false;
  return { seen, ended: () => (stopped ? "" : ended), stop: () => ((stopped = true), w.stop()) };
}

export async function runLoop(ctx: LoopContext): Promise<StepRow[]> {
  const { platform, repo, shell, log } = ctx;
  const mgmt = platform.management.client;
  const ns = platform.argocd.namespace;
  const rows: StepRow[] = [];
  const appsNow = () => applications(mgmt, ns);
  const app = async (name: string) => (await appsNow()).find((a) => a.metadata.name === name);
  const appReport = async () => (await appsNow()).map(describeApp).join("\n") + `\n--- Argo CD ---\n${platform.argocd.logs(8)}`;
  // What each stage's Rollouts and first-release analyses say: why an Application is not Healthy.
  const stageReport = async () => {
    const lines: string[] = [];
    for (const s of platform.stages) {
      for (const r of s.releases) {
        const c = s.cluster.cp.client;
        const ro = await c.request("GET", `/apis/argoproj.io/v1alpha1/namespaces/${r.namespace}/rollouts/${r.componentName}`);
        const ar = await c.request("GET", `/apis/argoproj.io/v1alpha1/namespaces/${r.namespace}/analysisruns/${r.componentName}-first-release`);
        const rs = (ro.body as { status?: { phase?: string; message?: string } }).status;
        const as = (ar.body as { status?: { phase?: string; message?: string; metricResults?: { name: string; phase: string; measurements?: { value?: string; phase: string }[] }[] } }).status;
        const metrics = (as?.metricResults ?? []).map((m) => `${m.name} ${m.phase} [${(m.measurements ?? []).map((x) => `${x.phase}:${x.value ?? ""}`).join(", ")}]`).join("; ");
        lines.push(`${r.namespace}/${r.componentName}: Rollout ${rs?.phase ?? `HTTP ${ro.status}`} ${rs?.message ?? ""}; first-release ${as?.phase ?? `HTTP ${ar.status}`} ${as?.message ?? ""} ${metrics}`);
      }
    }
    return lines.join("\n");
  };

  // The Applications a stage's ApplicationSet generates: its list generator's elements, as rendered.
  const stageApps = (s: StageCluster) => {
    const set = parse(readFileSync(join(repo, "applicationsets", s.environment, `applicationset-${s.environment}-${s.region}.yaml`), "utf8")) as { spec: { generators: { list: { elements: { name: string }[] } }[] } };
    return set.spec.generators[0]!.list.elements.map((e) => e.name);
  };

  // Bootstrap: the README's commands, then every Application of the test stages settles.
  {
    const row: StepRow = { step: "bootstrap: the README's commands on an empty cluster", expected: "every Application Synced and Healthy; every object where its AppProject allows", observed: "", problems: [], toSynced: null, toDecision: null };
    rows.push(row);
    const start = Date.now();
    const head = git(repo, "rev-parse", "HEAD");
    for (const command of bootstrapCommands(ctx.readme)) {
      const r = run(shell, command);
      log(`$ ${command}  (exit ${r.status}, ${r.seconds.toFixed(1)} s)`);
      if (r.status !== 0) {
        row.problems.push(`\`${command}\` exited ${r.status}:\n${r.output}`);
        row.observed = "a README command failed";
        return rows;
      }
      if (/^argocd app list/.test(command)) log(r.output);
    }
    const envs = [...new Set(platform.stages.map((s) => s.environment))];
    const expected = [...envs.flatMap((e) => [`${e}-root`, `${e}-applicationsets`]), ...platform.stages.flatMap(stageApps)].sort();
    const failedFirst = `${ctx.regressedFirst.stage.releases[0]!.namespace}-${ctx.regressedFirst.component}`;
    try {
      await until("every Application Synced and Healthy (the regressed first version Degraded)", async () => {
        const apps = await appsNow();
        const ok = expected.every((n) => apps.some((a) => a.metadata.name === n && (n === failedFirst
          ? a.status?.sync?.status === "Synced" && a.status.sync.revision === head && a.status.health?.status === "Degraded"
          : settled(a, head))));
        return ok ? true : undefined;
      }, 900, async () => `${await appReport()}\n--- Rollouts and first-release analyses ---\n${await stageReport()}`);
      row.toSynced = seconds(start);
    } catch (e) {
      row.problems.push((e as Error).message);
      row.observed = "not every Application settled";
      return rows;
    }
    // Every object landed where its project admits it, and exists on that cluster.
    const apps = await appsNow();
    const projs = await projects(mgmt, ns);
    let objects = 0;
    for (const s of platform.stages) {
      for (const name of stageApps(s)) {
        const a = apps.find((x) => x.metadata.name === name)!;
        const project = projs.find((p) => p.metadata.name === a.spec.project)!;
        const resources = [];
        for (const r of a.status?.resources ?? []) {
          const group = r.group ?? "";
          const info = await s.cluster.cp.client.resource(group ? `${group}/${r.version}` : r.version, r.kind);
          if (!info) {
            row.problems.push(`${name}: ${r.kind} ${r.name}: the API server of ${s.name} does not serve its kind`);
            continue;
          }
          const base = group ? `/apis/${group}/${r.version}` : `/api/${r.version}`;
          const path = `${base}${info.namespaced ? `/namespaces/${r.namespace}` : ""}/${info.plural}/${r.name}`;
          const got = await s.cluster.cp.client.request("GET", path);
          if (got.status !== 200) row.problems.push(`${name}: ${r.kind} ${r.namespace ?? ""}/${r.name} is not on ${s.name} (HTTP ${got.status})`);
          resources.push({ group, kind: r.kind, namespace: r.namespace, name: r.name, namespaced: info.namespaced });
          objects++;
        }
        row.problems.push(...projectViolations(a, project, resources));
      }
    }
    row.toDecision = seconds(start);
    row.observed = `${expected.length} Applications Synced, all Healthy but ${failedFirst}; ${objects} objects on ${platform.stages.length} clusters, each where its AppProject allows`;
    log(row.observed);

    // Every first release judged: each component's first-release AnalysisRun, on every cluster.
    const first: StepRow = { step: "first releases: every component of every stage, one regressed", expected: `each first-release AnalysisRun Successful; ${failedFirst}'s Failed and its Application Degraded`, observed: "", problems: [], toSynced: row.toSynced, toDecision: null };
    rows.push(first);
    let successful = 0;
    let failedMessage = "";
    for (const s of platform.stages) {
      for (const r of s.releases) {
        const got = await s.cluster.cp.client.request("GET", `/apis/argoproj.io/v1alpha1/namespaces/${r.namespace}/analysisruns/${r.componentName}-first-release`);
        const st = (got.body as { status?: { phase?: string; message?: string } }).status;
        const isRegressed = s === ctx.regressedFirst.stage && r.componentName === ctx.regressedFirst.component;
        if (got.status !== 200) first.problems.push(`${r.namespace}/${r.componentName}-first-release: HTTP ${got.status}`);
        else if (isRegressed) {
          if (st?.phase !== "Failed" || !/^Metric "first-release-p\d+-le-\d+ns" assessed Failed/.test(st.message ?? "")) first.problems.push(`${r.namespace}/${r.componentName}-first-release: ${st?.phase} ${st?.message ?? ""}, expected Failed on the p99 share`);
          failedMessage = st?.message ?? "";
        } else if (st?.phase === "Successful") successful++;
        else first.problems.push(`${r.namespace}/${r.componentName}-first-release: ${st?.phase} ${st?.message ?? ""}, expected Successful`);
      }
    }
    const degraded = (await appsNow()).find((a) => a.metadata.name === failedFirst);
    first.toDecision = row.toSynced;
    first.observed = `${successful} Successful; ${failedFirst}: ${degraded?.status?.health?.status} (${failedMessage})`;
  }
  if (rows.some((r) => r.problems.length)) return rows;

  const rel = ctx.released;
  const client = rel.cluster.cp.client;
  const rns = rel.releases[0]!.namespace;
  const regionFile = join(repo, "environments", rel.environment, "regions", `${rel.region}.yaml`);
  const promote = (component: string) => {
    for (const command of [`kubectl config use-context ${rel.name}`, `kubectl argo rollouts promote ${component} -n ${rns}`]) {
      const r = run(shell, command, 60_000);
      log(`$ ${command}  (exit ${r.status})`);
      if (r.status !== 0) throw new Error(`\`${command}\` exited ${r.status}: ${r.output}`);
    }
  };
  // Steps on different Applications run at once (each waits on real analysis windows); their
  // commits are serialised, and "synced at a commit" means at that commit or a later one.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T> | T): Promise<T> => {
    const next = queue.then(fn);
    queue = next.catch(() => undefined);
    return next;
  };
  const commitEdit = (message: string, edit: () => void) => serial(() => commitInputs(repo, message, edit));
  const contains = (revision: string | undefined, sha: string) => !!revision && (revision === sha || gitOk(repo, "merge-base", "--is-ancestor", sha, revision));
  const syncedAt = async (name: string, sha: string) => {
    const a = await app(name);
    return a?.status?.sync?.status === "Synced" && contains(a.status.sync.revision, sha) ? a : undefined;
  };
  const settledAt = async (name: string, sha: string) => {
    const a = await syncedAt(name, sha);
    return a && a.status?.health?.status === "Healthy" && a.status.operationState?.phase === "Succeeded" ? a : undefined;
  };

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

  // (a) A new digest, promoted by the operator once the gate passed.
  const laneA = runStep(rowA, async (row) => {
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
      promote(component);
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

  // (b) A regressed release: the gate aborts it, the Application is Degraded, production stays;
  // (c) the revert commit restores Healthy.
  const laneB = (async () => {
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
  })();

  // (e) An object no AppProject admits, then (d) a region removed.
  const laneC = (async () => {
    await runStep(rowE, async (row) => {
      const component = ctx.refusedIn;
      const appName = `${rns}-${component}`;
      const file = join(repo, "rollouts", rel.environment, rel.region, component, "clusterrolebinding-e2e-escalation.yaml");
      // Written by hand, as a person would slip it in (no render header), and held in the tree until
      // Argo CD has refused it: the other lanes' commits wait, because a render would refuse to run
      // over a file it did not write (and one it did write would be pruned by the next render).
      const back = await serial(async () => {
        writeFileSync(file, `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: e2e-escalation\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: cluster-admin\nsubjects:\n  - kind: ServiceAccount\n    name: ${component}\n    namespace: ${rns}\n`);
        const c = commitRaw(repo, `a ClusterRoleBinding in ${component}'s folder, which no project admits`);
        try {
          const message = await until("Argo CD refuses", async () => {
            const a = await app(appName);
            const s = a?.status;
            const op = s?.operationState;
            if (!s || !contains(s.sync?.revision, c.sha)) return undefined;
            const texts = [op?.message ?? "", ...(op?.syncResult?.resources ?? []).map((r) => r.message ?? ""), ...(s.conditions ?? []).map((x) => x.message)];
            return texts.find((t) => /not permitted in project/.test(t));
          }, 300, appReport);
          row.toDecision = seconds(c.at);
          row.observed = `refused: "${message.replace(/ Retrying attempt #\d+.*$/, "")}"`;
          const crb = await client.request("GET", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/e2e-escalation");
          if (crb.status !== 404) row.problems.push(`the ClusterRoleBinding exists on ${rel.name} (HTTP ${crb.status})`);
        } finally {
          rmSync(file, { force: true });
        }
        return commitRaw(repo, "remove the ClusterRoleBinding");
      });
      // Without the binding, git and the cluster agree again: Synced and Healthy. The refused sync's
      // operation keeps its Failed result (and its retries, SYNC_RETRY: 10 s doubling, five times)
      // until a sync runs; none is needed, as nothing differs.
      await until("Synced and Healthy after removing it", async () => {
        const a = await syncedAt(appName, back.sha);
        return a?.status?.health?.status === "Healthy" ? a : undefined;
      }, 300, appReport);
      row.observed += `; the commit removing it Synced/Healthy ${seconds(back.at)} s later`;
    });
    await runStep(rowD, async (row) => {
      const names = stageApps(gone);
      const gns = gone.releases[0]!.namespace;
      const c = await commitEdit(`remove ${gone.region}`, () => rmSync(join(repo, "environments", gone.environment, "regions", `${gone.region}.yaml`)));
      await until("the ApplicationSets synced", () => syncedAt(`${gone.environment}-applicationsets`, c.sha), 300, appReport);
      row.toSynced = seconds(c.at);
      await until("its Applications deleted", async () => ((await appsNow()).some((a) => names.includes(a.metadata.name)) ? undefined : true), 600, appReport);
      const gclient = gone.cluster.cp.client;
      const leftovers = async () => {
        const out: string[] = [];
        for (const [kind, path] of [["Rollout", `/apis/argoproj.io/v1alpha1/namespaces/${gns}/rollouts`], ["AnalysisRun", `/apis/argoproj.io/v1alpha1/namespaces/${gns}/analysisruns`], ["Service", `/api/v1/namespaces/${gns}/services`], ["Deployment", `/apis/apps/v1/namespaces/${gns}/deployments`], ["NetworkPolicy", `/apis/networking.k8s.io/v1/namespaces/${gns}/networkpolicies`]] as const) {
          for (const o of await list<{ metadata: { name: string } }>(gclient, path)) out.push(`${kind} ${o.metadata.name}`);
        }
        for (const o of await list<{ metadata: { name: string } }>(gclient, "/apis/bitactor.io/v1alpha1/bitactorclusters")) out.push(`BitActorCluster ${o.metadata.name}`);
        for (const [kind, plural] of [["BackupStorageLocation", "backupstoragelocations"], ["Schedule", "schedules"]] as const) {
          for (const o of await list<{ metadata: { name: string } }>(gclient, `/apis/velero.io/v1/namespaces/velero/${plural}`)) out.push(`${kind} velero/${o.metadata.name}`);
        }
        return out;
      };
      await until("its objects deleted", async () => ((await leftovers()).length === 0 ? true : undefined), 300, async () => (await leftovers()).join("\n"));
      row.toDecision = seconds(c.at);
      // Its projects go after its Applications (reverse sync-wave order), and no other project admits its cluster.
      await until("its AppProjects deleted", async () => ((await projects(mgmt, ns)).some((p) => p.metadata.name.startsWith(gns)) ? undefined : true), 120, async () => (await projects(mgmt, ns)).map((p) => p.metadata.name).join(", "));
      const still = (await projects(mgmt, ns)).filter((p) => p.spec.destinations.some((d) => d.name === gone.name));
      if (still.length) row.problems.push(`${still.map((p) => p.metadata.name).join(", ")} still admit ${gone.name}`);
      // Argo CD never deletes a CustomResourceDefinition with an Application (controller/appcontroller.go,
      // shouldBeDeleted: deleting it would delete every resource of its kind), so the BitActorCluster CRD stays, empty.
      row.observed = `ApplicationSet ${gns}, its ${names.length} Applications and its AppProjects gone; no Rollout, AnalysisRun, Service, Deployment, NetworkPolicy, BitActorCluster or Velero object left on ${gone.name} (its BitActorCluster CRD stays, empty: Argo CD never deletes a CRD with an Application)`;
    });
  })();

  const lanes: WaveLanes = {
    ...ctx.waves,
    repo,
    shell,
    log,
    serial,
    until: (what, check, timeoutS) => until(what, check, timeoutS, appReport),
    syncedAt,
    rolloutStatus: (stage, component) => rollout(stage.cluster.cp.client, `${stage.environment}-${stage.region}`, component),
    rolloutDigest: async (stage, component) => {
      const r = await stage.cluster.cp.client.request("GET", `/apis/argoproj.io/v1alpha1/namespaces/${stage.environment}-${stage.region}/rollouts/${component}`);
      return (r.body as { spec?: { template?: { spec?: { containers?: { image: string }[] } } } }).spec?.template?.spec?.containers?.[0]?.image.split("@")[1];
    },
  };
  const laneWaves = Promise.all([runStep(rowF, (row) => laneF(lanes, row)), runStep(rowG, (row) => laneG(lanes, row))]);

  await Promise.all([laneA, laneB, laneC, laneWaves]);
  // The history every lane made, judged as CI judges a merge request.
  await runStep(rowH, async (row) => {
    const r = run(shell, "npm run --silent check", 300_000);
    log(`$ npm run check  (exit ${r.status})\n${r.output}`);
    const hotfixes = r.output.split("\n").filter((l) => /^check: hotfix: /.test(l));
    if (r.status !== 0) row.problems.push(`npm run check exited ${r.status}:\n${r.output}`);
    if (hotfixes.length !== 2) row.problems.push(`expected the two hotfixes of (a) and (b), got:\n${hotfixes.join("\n")}`);
    row.observed = `${r.output.split("\n").find((l) => /release order kept/.test(l)) ?? r.output.split("\n").at(-1)}; ${hotfixes.map((h) => h.replace(/^check: hotfix: /, "")).join("; ")}`;
  });
  return rows;
}

function newRow(rows: StepRow[], step: string, expected: string): StepRow {
  const row: StepRow = { step, expected, observed: "", problems: [], toSynced: null, toDecision: null };
  rows.push(row);
  return row;
}

async function runStep(row: StepRow, body: (row: StepRow) => Promise<void>): Promise<void> {
  try {
    await body(row);
  } catch (e) {
    row.problems.push((e as Error).message);
    if (!row.observed) row.observed = "failed";
  }
}
