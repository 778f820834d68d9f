import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import type { KubeClient } from "../cluster/client.ts";
import type { KubeObject } from "../../lib/objects.ts";
import { POD_TEMPLATE_HASH_LABEL } from "../../generators/constructs/pod-monitor.ts";
import { applications, describeApp, list } from "./argo-state.ts";
import { run, type Shell } from "./bootstrap.ts";
import type { GitServer } from "./git-server.ts";
import { gitOk } from "./test-tree.ts";
import type { GitopsPlatform, StageCluster } from "./platform.ts";
import type { WaveLanes } from "./waves.ts";
import type { ServedAddon } from "./mirrors.ts";
import { commitInputs, until } from "./steps.ts";

/**
 * What the lanes of the GitOps loop share: the run's context, and the views and actions every lane
 * uses on it (the Applications as Argo CD reports them, the released stage, the serialised commit
 * queue, "synced at a commit").
 */

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
  /** The add-ons' local mirrors (their Applications are Synced at the mirror's tag, not at the test repository's commit). */
  readonly mirrors: readonly ServedAddon[];
  /** The add-on upgraded by commit after the bootstrap: the test tree starts it at `from`, the step moves it to `to` (the committed release). */
  readonly upgrade: { readonly id: string; readonly from: string; readonly to: string };
  /** The add-on committed at a release its source does not have in (v), then put back. */
  readonly unreadable: string;
  /**
   * The test repository's host, which serves only with its credential, and the Secrets (in
   * `namespace` on the management cluster) the sealed-secrets controller must unseal that credential into.
   */
  readonly access: { readonly server: GitServer; readonly credentials: readonly string[]; readonly namespace: string };
  /** The Applications of the management cluster's add-ons the test serves (`management-<id>`). */
  readonly managementApps: readonly string[];
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

export interface RolloutStatus {
  abort?: boolean;
  message?: string;
  stableRS?: string;
  currentPodHash?: string;
  phase?: string;
  pauseConditions?: { reason: string }[];
  blueGreen?: { activeSelector?: string; prePromotionAnalysisRunStatus?: { name: string; status: string } };
}

export async function rollout(client: KubeClient, ns: string, name: string): Promise<RolloutStatus> {
  const r = await client.request("GET", `/apis/argoproj.io/v1alpha1/namespaces/${ns}/rollouts/${name}`);
  if (r.status !== 200) throw new Error(`rollout ${ns}/${name}: HTTP ${r.status}`);
  return ((r.body as { status?: RolloutStatus }).status ?? {});
}

/** The pod-template hash of the ReplicaSet whose pods run `digest` (undefined until it exists). */
export async function hashOfDigest(client: KubeClient, ns: string, digest: string): Promise<string | undefined> {
  const rs = await list<{ metadata: { labels?: Record<string, string> }; spec: { template: { spec: { containers: { image: string }[] } } } }>(client, `/apis/apps/v1/namespaces/${ns}/replicasets`);
  return rs.find((r) => r.spec.template.spec.containers.some((c) => c.image.endsWith(`@${digest}`)))?.metadata.labels?.[POD_TEMPLATE_HASH_LABEL];
}

/**
 * Every pod-template hash a Service selects from now on, in order, through a watch (the e2e's own
 * way, run-scenario.ts): a selector that moved for an instant is seen. `ended` says why the watch
 * stopped early, if it did; a step that relies on `seen` fails then.
 */
export async function watchActive(client: KubeClient, ns: string, service: string): Promise<{ seen: string[]; ended(): string; stop(): void }> {
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

/** Everything a lane reads from the run and does to it; made once by `makeKit`. */
export type Kit = ReturnType<typeof makeKit>;

export function makeKit(ctx: LoopContext) {
  const { platform, repo, shell, log } = ctx;
  const mgmt = platform.management.client;
  const ns = platform.argocd.namespace;
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

  // The add-on Applications of a stage, as rendered in the test tree (only the add-ons the test serves).
  const stageAddonApps = (s: StageCluster) => {
    const prefix = `application-${s.environment}-${s.region}-`;
    return readdirSync(join(repo, "applicationsets", s.environment)).filter((f) => f.startsWith(prefix)).map((f) => f.replace(/^application-/, "").replace(/\.yaml$/, "")).sort();
  };

  const rel = ctx.released;
  const client = rel.cluster.cp.client;
  const rns = rel.releases[0]!.namespace;
  const regionFile = join(repo, "environments", rel.environment, "regions", `${rel.region}.yaml`);
  const promote = async (component: string) => {
    for (const command of [`kubectl config use-context ${rel.name}`, `kubectl argo rollouts promote ${component} -n ${rns}`]) {
      const r = await run(shell, command, 60_000);
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

  return { ctx, platform, repo, shell, log, mgmt, ns, appsNow, app, appReport, stageReport, stageApps, stageAddonApps, rel, client, rns, regionFile, promote, serial, commitEdit, contains, syncedAt, settledAt };
}

/** What the release-wave lanes (waves.ts) get from the run. */
export function waveLanes(kit: Kit): WaveLanes {
  return {
    ...kit.ctx.waves,
    repo: kit.repo,
    shell: kit.shell,
    log: kit.log,
    serial: kit.serial,
    until: (what, check, timeoutS) => until(what, check, timeoutS, kit.appReport),
    syncedAt: kit.syncedAt,
    rolloutStatus: (stage, component) => rollout(stage.cluster.cp.client, `${stage.environment}-${stage.region}`, component),
    rolloutDigest: async (stage, component) => {
      const r = await stage.cluster.cp.client.request("GET", `/apis/argoproj.io/v1alpha1/namespaces/${stage.environment}-${stage.region}/rollouts/${component}`);
      return (r.body as { spec?: { template?: { spec?: { containers?: { image: string }[] } } } }).spec?.template?.spec?.containers?.[0]?.image.split("@")[1];
    },
  };
}
