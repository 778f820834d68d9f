// About 300 lines: one scenario's run from start to verdict (release, watch, judge) reads best as one file.
import type { KubeClient } from "../cluster/client.ts";
import { statusMessage } from "../cluster/client.ts";
import { describe } from "../cluster/dry-run.ts";
import { waitFor } from "../cluster/process.ts";
import type { KubeObject, Located } from "../../lib/objects.ts";
import { POD_TEMPLATE_HASH_LABEL } from "../../generators/constructs/pod-monitor.ts";
import { ALERTS } from "../../generators/constructs/component-rules.ts";
import { pendingPods, pendingText, startE2eCluster, type E2eCluster, type E2ePrograms, type FakeNode } from "./cluster.ts";
import type { FixtureBehaviour } from "./fixture.ts";
import { analysisMetrics, fakeNodes, fixtureOf, pointAtPrometheus, releaseImage, rolloutSpec, type Release } from "./release.ts";
import { defaultBehaviour, mustNeverBeActive, type AnalysisExpectation, type Decision, type Scenario } from "./scenarios.ts";

/** What one scenario showed. */
export interface Observation {
  readonly scenario: Scenario;
  readonly decision: Decision;
  /** Seconds from the release (image change accepted) to the decision; null when undecided. */
  readonly seconds: number | null;
  /** Every pod-template hash the active Service selected after the release, in order. */
  readonly activeHashes: readonly string[];
  readonly oldHash: string;
  readonly newHash: string;
  readonly prePromotion?: { phase: string; message: string };
  readonly postPromotion?: { phase: string; message: string };
  /**
   * What the monitoring saw at the decision, through the rendered PodMonitor and PrometheusRule:
   * the role label of the old and the new pods, and the p99 alerts pending or firing. Absent when
   * the scenario stops Prometheus.
   */
  readonly monitoring?: { readonly oldRoles: readonly string[]; readonly newRoles: readonly string[]; readonly alerts: readonly string[] };
  /** Pods the scheduler could place on no node at the decision, with its message (`pod <ns>/<name> Pending: ...`). */
  readonly unschedulable?: readonly string[];
  /** Each way the observation differs from the scenario's expectation (empty: as expected). */
  readonly problems: readonly string[];
  /** Controller log tail and Rollout status, kept for a mismatch report. */
  readonly diagnostics: string;
}

const HASH = POD_TEMPLATE_HASH_LABEL;
/**
 * Promotes as the Rollouts dashboard's PROMOTE button does: `PUT <root>/api/v1/rollouts/{ns}/{name}/promote`
 * with `{"full":false}` (ui/src/app/components/rollout-actions/rollout-actions.tsx; the route is
 * pkg/apiclient/rollout/rollout.proto's, v1.10.2). The server runs the same promote as
 * `kubectl argo rollouts promote` (server/server.go PromoteRollout: pkg/kubectl-argo-rollouts/cmd/promote);
 * PROMOTE-FULL (`full: true`) would skip the analysis, which the gate forbids.
 * Throws with the server's answer when it refuses.
 */
export async function promoteThroughDashboard(dashboardApi: string, namespace: string, rollout: string): Promise<void> {
  const url = `${dashboardApi}/rollouts/${namespace}/${rollout}/promote`;
  const r = await fetch(url, { method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ full: false }) });
  if (r.ok) return;
  // grpc-gateway answers an error as {"code": <gRPC code>, "message": ...}.
  const text = await r.text();
  let message = text.slice(0, 500);
  try {
    message = String((JSON.parse(text) as { message?: unknown }).message ?? message);
  } catch {
    // not JSON: the text as it came
  }
  throw new Error(`the Rollouts dashboard refused the promote (PUT ${url}): HTTP ${r.status}: ${message}`);
}
/**
 * How long the controller may leave a stored change unacted on before the e2e calls it lost: a
 * release whose spec generation it has not observed, or a promote after which it still reports
 * Paused. Argo Rollouts up to v1.9.x could miss a change that landed while a reconcile was in flight
 * (writeBackToInformer put its older copy over the change in its informer cache; nothing woke it
 * until the 15 min resync: argoproj/argo-rollouts#4694, #4073). v1.10.0 requeues on a stale cache
 * instead (PR #4786), so the e2e no longer nudges: a lost change is a named problem and the scenario
 * fails. A healthy controller reacts within one reconcile (well under a second here), so 30 s never
 * blames a controller that is merely slow.
 */
const LOST_AFTER_MS = 30_000;
/**
 * The change the controller has left unacted on for more than LOST_AFTER_MS since the last one it
 * was given (the release, then the promote), or "" while none is: the spec generation it has not
 * observed, or a promote after which it still says Paused with no pause condition left.
 */
export function lostChange(msSinceChange: number, promoted: boolean, generation: number | undefined, st: RolloutStatus): string {
  if (msSinceChange <= LOST_AFTER_MS) return "";
  const s = (msSinceChange / 1000).toFixed(0);
  if (String(generation) !== String(st.observedGeneration)) {
    return `the controller still acted on generation ${st.observedGeneration} of ${generation} ${s} s after the release (a lost change, argo-rollouts#4073)`;
  }
  if (promoted && !st.pauseConditions?.length && st.phase === "Paused") {
    return `promoted ${s} s ago, the Rollout still says Paused with no pause condition (a lost promote, argo-rollouts#4694)`;
  }
  return "";
}

/** A scenario that has not decided this long after the release is reported undecided. */
const DECISION_DEADLINE_S = 480;
const POLL_MS = 500;

export interface RolloutStatus {
  abort?: boolean;
  currentPodHash?: string;
  stableRS?: string;
  phase?: string;
  message?: string;
  pauseConditions?: { reason: string }[];
  /** The spec generation the controller last acted on (Argo writes it as a string). */
  observedGeneration?: string;
  conditions?: { type: string; status: string; message?: string }[];
}
interface AnalysisRun extends KubeObject {
  status?: { phase?: string; message?: string; metricResults?: { name: string; measurements?: unknown[] }[] };
}

async function must(client: KubeClient, method: string, path: string, body?: unknown, contentType?: string): Promise<unknown> {
  const r = await client.request(method, path, body, contentType);
  if (r.status < 200 || r.status > 299) throw new Error(`${method} ${path}: ${statusMessage(r)}`);
  return r.body;
}

function checkAnalysis(what: string, want: AnalysisExpectation | undefined, got: { phase: string; message: string } | undefined): string[] {
  if (!want) return [];
  if (!got) return [`${what}: no AnalysisRun (expected ${want.phase})`];
  const out: string[] = [];
  if (got.phase !== want.phase) out.push(`${what}: phase ${got.phase}, expected ${want.phase}`);
  if (!want.message.test(got.message)) out.push(`${what}: message ${JSON.stringify(got.message)} does not match ${want.message}`);
  return out;
}

/** Compares what happened with what the scenario expects. Pure, so the report logic is tested without a cluster. */
export function judge(s: Scenario, o: Omit<Observation, "problems" | "scenario" | "diagnostics">): string[] {
  // A pod no node can hold is a failure whatever was decided: the stage does not fit its machines.
  const problems: string[] = [...(o.unschedulable ?? [])];
  if (!s.accept.includes(o.decision)) problems.push(`decision "${o.decision}", expected ${s.accept.map((d) => `"${d}"`).join(" or ")}`);
  if (mustNeverBeActive(s) && o.activeHashes.includes(o.newHash)) problems.push(`the active Service selected the release (${o.newHash}) although it must never be promoted`);
  problems.push(...checkAnalysis("pre-promotion AnalysisRun", s.prePromotion, o.prePromotion));
  problems.push(...checkAnalysis("post-promotion AnalysisRun", s.postPromotion, o.postPromotion));
  if (!s.prometheusOutage) {
    const m = o.monitoring;
    if (!m) problems.push("monitoring: no observation from Prometheus");
    else {
      // Argo keeps the release's pods "preview" until it is fully promoted (post-promotion analysis
      // passed) and the stable pods "active"; the PodMonitor must carry both into every series.
      if (m.oldRoles.length === 0 || m.oldRoles.some((r) => r !== "active")) problems.push(`monitoring: the stable pods (${o.oldHash}) are labelled [${m.oldRoles.join(", ")}], expected active`);
      if (m.newRoles.length === 0 || m.newRoles.some((r) => r !== "preview")) problems.push(`monitoring: the release's pods (${o.newHash}) are labelled [${m.newRoles.join(", ")}], expected preview`);
      if (m.alerts.length > 0) problems.push(`monitoring: ${m.alerts.join(", ")} pending or firing: a release the gate is judging must not page`);
    }
  }
  return problems;
}

/** How long the first revision may take to become stable: it is never analysed (Argo Rollouts), its pods only have to run. */
const FIRST_REVISION_MS = 120_000;

/**
 * Creates the release's namespace, applies `objects` and waits for the first revision to be stable
 * (Healthy, the active Service on its hash); returns its hash. A timeout names every Pending pod
 * with the scheduler's message, so a pod that fits no node fails here, saying why.
 */
export async function deployFirstRevision(cluster: E2eCluster, release: Release, objects: readonly Located[], what: string, timeoutMs = FIRST_REVISION_MS): Promise<string> {
  const client = cluster.cp.client;
  const ns = release.namespace;
  const rolloutPath = `/apis/argoproj.io/v1alpha1/namespaces/${ns}/rollouts/${release.rollout.metadata.name}`;
  const svcPath = `/api/v1/namespaces/${ns}/services/${release.activeService}`;
  await must(client, "POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  await waitFor(`${what}: default ServiceAccount`, async () => (await client.request("GET", `/api/v1/namespaces/${ns}/serviceaccounts/default`)).status === 200, () => true, () => "kube-controller-manager did not create it");
  // The stage's Prometheus (its account and Role need the stage's namespace), in prometheus-operator's namespace.
  await must(client, "POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: release.prometheus.namespace } });
  for (const { file, object } of [...release.prometheus.objects, ...objects]) {
    const r = await client.request("POST", `${await client.collectionPath(object)}?fieldValidation=Strict`, object);
    if (r.status !== 201) throw new Error(`${file}: ${describe(object)} was refused: ${statusMessage(r)}`);
  }
  // The gate must not start before Prometheus scrapes what the operator made of the PodMonitors and rules applied.
  const monitors = objects.filter((o) => o.object.kind === "PodMonitor").map((o) => `${o.object.metadata.namespace ?? ns}/${o.object.metadata.name}`);
  const rules = objects.filter((o) => o.object.kind === "PrometheusRule").length;
  if (monitors.length > 0 || rules > 0) await cluster.prometheusConfigured(monitors, rules);
  let hash = "";
  try {
    await waitFor(
      `${what}: first revision stable`,
      async () => {
        const st = ((await must(client, "GET", rolloutPath)) as { status?: RolloutStatus }).status ?? {};
        const svc = (await must(client, "GET", svcPath)) as { spec: { selector: Record<string, string> } };
        hash = st.stableRS ?? "";
        return st.phase === "Healthy" && hash !== "" && svc.spec.selector[HASH] === hash;
      },
      () => cluster.rollouts.running,
      () => cluster.rollouts.tail(),
      timeoutMs,
    );
  } catch (e) {
    const pending = pendingText(await pendingPods(client, ns).catch(() => []));
    throw new Error(`${(e as Error).message}${pending.length ? `\n${pending.join("\n")}` : ""}`);
  }
  return hash;
}

/** A cluster for one release: `nodes`, its rendered PodMonitor and rules, and the fixture imitating it. */
export function releaseCluster(programs: E2ePrograms, name: string, release: Release, nodes: readonly FakeNode[], behaviour: FixtureBehaviour): Promise<E2eCluster> {
  return startE2eCluster(programs, {
    name,
    nodes,
    // Production promotes by hand, through the dashboard (docs/runbook.md).
    dashboard: true,
    prometheus: release.prometheus,
    fixtures: [fixtureOf(release, behaviour)],
  });
}

export async function runScenario(s: Scenario, release: Release, programs: E2ePrograms, log: (line: string) => void): Promise<Observation> {
  const spec = rolloutSpec(release.rollout);
  const newImage = releaseImage(spec.template.spec.containers[0]!.image, s.id);
  const prometheusMetrics = new Set(analysisMetrics(release.objects).filter((m) => m.provider.prometheus).map((m) => m.name));
  const cluster = await releaseCluster(programs, s.id, release, fakeNodes([release]), { ...defaultBehaviour(release.component), ...s.behaviour(release.component), releaseImage: newImage });
  const client = cluster.cp.client;
  const ns = release.namespace;
  const rolloutPath = `/apis/argoproj.io/v1alpha1/namespaces/${ns}/rollouts/${release.rollout.metadata.name}`;
  const svcPath = `/api/v1/namespaces/${ns}/services/${release.activeService}`;
  let watch: { stop(): void } | undefined;
  try {
    const pointed = pointAtPrometheus(release.objects, cluster.prometheusUrl).objects;
    const applied = s.mutate ? s.mutate(pointed) : { objects: pointed, changed: [] };
    for (const c of applied.changed) log(`${s.id}: CONTROL, changed on purpose: ${c}`);
    const oldHash = await deployFirstRevision(cluster, release, applied.objects, s.id);

    // Every change of the active Service from here on, so a selector that moved for an instant is seen.
    const svc = (await must(client, "GET", svcPath)) as KubeObject & { metadata: { resourceVersion: string } };
    const activeHashes: { hash: string; at: number }[] = [];
    let watchEnded = "";
    watch = client.watch(
      `/api/v1/namespaces/${ns}/services?watch=1&fieldSelector=metadata.name%3D${release.activeService}&resourceVersion=${svc.metadata.resourceVersion}`,
      (_type, obj) => {
        const hash = (obj as unknown as { spec: { selector?: Record<string, string> } }).spec.selector?.[HASH] ?? "";
        if (activeHashes.at(-1)?.hash !== hash) activeHashes.push({ hash, at: Date.now() });
      },
      (why) => (watchEnded = why),
    );

    await must(client, "PATCH", rolloutPath, [{ op: "replace", path: "/spec/template/spec/containers/0/image", value: newImage }], "application/json-patch+json");
    const t0 = Date.now();
    log(`${s.id}: released ${newImage.split("@")[1]!.slice(0, 19)}… over ${oldHash}`);

    let newHash = "";
    let decision: Decision = "undecided";
    let decidedAt: number | null = null;
    let outageDone = false;
    let operatorPromotedAt: number | null = null;
    // The release (the image change) is the first change the controller must act on.
    let lastChangeAt = Date.now();
    let lost = "";
    const runs = async (type: string): Promise<AnalysisRun[]> =>
      newHash
        ? ((await must(client, "GET", `/apis/argoproj.io/v1alpha1/namespaces/${ns}/analysisruns?labelSelector=rollout-type%3D${type},${HASH}%3D${newHash}`)) as { items: AnalysisRun[] }).items
        : [];
    const terminal = (ar: AnalysisRun | undefined) => ["Successful", "Failed", "Error", "Inconclusive"].includes(ar?.status?.phase ?? "");

    while (Date.now() - t0 < DECISION_DEADLINE_S * 1000) {
      if (watchEnded) throw new Error(`${s.id}: the Service watch ended: ${watchEnded}`);
      const ro = (await must(client, "GET", rolloutPath)) as { metadata: { generation?: number }; status?: RolloutStatus };
      const st = ro.status ?? {};
      if (st.currentPodHash && st.currentPodHash !== oldHash) newHash = st.currentPodHash;
      // The operator of a manual production promotion, as eager as possible: promote the moment the
      // Rollout offers it. The gate, not the operator, must decide.
      if (st.pauseConditions?.some((c) => c.reason === "BlueGreenPause")) {
        await promoteThroughDashboard(cluster.dashboardApi!, ns, release.rollout.metadata.name!);
        operatorPromotedAt = lastChangeAt = Date.now();
        log(`${s.id}: operator promoted through the Rollouts dashboard at ${((Date.now() - t0) / 1000).toFixed(0)} s (the Rollout was paused after its analysis)`);
      } else if ((lost = lostChange(Date.now() - lastChangeAt, operatorPromotedAt !== null, ro.metadata.generation, st))) {
        log(`${s.id}: ${lost}`);
        break;
      }
      if (s.prometheusOutage && !outageDone) {
        const pre = (await runs("PrePromotion"))[0];
        if (pre?.status?.metricResults?.some((m) => prometheusMetrics.has(m.name) && (m.measurements?.length ?? 0) > 0)) {
          await cluster.prometheus.stop();
          outageDone = true;
          log(`${s.id}: Prometheus stopped at ${((Date.now() - t0) / 1000).toFixed(0)} s, after the first measurement`);
        }
      }
      const promotedAt = newHash ? activeHashes.find((h) => h.hash === newHash)?.at : undefined;
      const rolledBackAt = promotedAt ? activeHashes.find((h) => h.at >= promotedAt && h.hash === oldHash)?.at : undefined;
      if (rolledBackAt) {
        [decision, decidedAt] = ["rolled back", rolledBackAt];
        break;
      }
      if (st.abort && !promotedAt) {
        [decision, decidedAt] = ["aborted", Date.now()];
        break;
      }
      // Promoted: at once, or, when the scenario judges the post-promotion analysis, once it passed too.
      if (promotedAt && (!s.postPromotion || (await runs("PostPromotion"))[0]?.status?.phase === "Successful")) {
        [decision, decidedAt] = ["promoted", promotedAt];
        break;
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }

    // What monitoring saw at the decision: each ReplicaSet's role label as scraped, and any p99 page.
    let monitoring: Observation["monitoring"];
    if (!s.prometheusOutage) {
      const q = async (expr: string) => {
        const r = (await (await fetch(`${cluster.prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as { data: { result: { metric: Record<string, string> }[] } };
        return r.data.result.map((x) => x.metric);
      };
      const { hash: hashLabel, role } = release.seriesLabels;
      const roles = async (hash: string) => (await q(`up{namespace="${ns}", ${hashLabel}="${hash}"}`)).map((m) => m[role] ?? "(none)").sort();
      monitoring = {
        oldRoles: await roles(oldHash),
        newRoles: await roles(newHash),
        alerts: (await q(`ALERTS{namespace="${ns}", alertname="${ALERTS.latencyOverBudget}"}`)).map((m) => `${m.alertname} ${m.alertstate} (${m[role]})`),
      };
      // What a p99 alert without the role filter would have judged: the preview's own share.
      const preview = await q(`${release.withinBudgetRecord}{namespace="${ns}", ${role}="preview"} < ${release.quantile}`);
      log(`${s.id}: monitoring: stable pods ${monitoring.oldRoles.join("/")}, release pods ${monitoring.newRoles.join("/")}, p99 pages: ${monitoring.alerts.length}${preview.length ? " (the preview is under budget share; an alert without the role filter would be pending)" : ""}`);
    }

    // The AnalysisRuns are terminal before Argo acts on them; allow the status write to land.
    const settle = async (type: string, wanted: boolean) => {
      if (!wanted) return undefined;
      let ar: AnalysisRun | undefined;
      const end = Date.now() + 15_000;
      do {
        ar = (await runs(type))[0];
        if (terminal(ar)) break;
        await new Promise((r) => setTimeout(r, POLL_MS));
      } while (Date.now() < end);
      return ar ? { phase: ar.status?.phase ?? "(none)", message: ar.status?.message ?? "" } : undefined;
    };
    const prePromotion = await settle("PrePromotion", true);
    const postPromotion = await settle("PostPromotion", s.postPromotion !== undefined);
    const finalStatus = ((await must(client, "GET", rolloutPath)) as { status?: RolloutStatus }).status ?? {};
    const unschedulable = pendingText((await pendingPods(client, ns)).filter((p) => p.unschedulable));
    for (const line of unschedulable) log(`${s.id}: ${line}`);
    const observed = {
      decision,
      seconds: decidedAt === null ? null : (decidedAt - t0) / 1000,
      activeHashes: activeHashes.map((h) => h.hash),
      oldHash,
      newHash,
      prePromotion,
      postPromotion,
      monitoring,
      unschedulable,
    };
    // A change the controller never acted on fails the scenario whatever else was seen.
    const problems = [...(lost ? [lost] : []), ...judge(s, observed)];
    const diagnostics = problems.length
      ? `Rollout status: ${JSON.stringify({ phase: finalStatus.phase, message: finalStatus.message, abort: finalStatus.abort, conditions: finalStatus.conditions })}\n--- rollouts-controller ---\n${cluster.rollouts.tail(30)}\n--- fixture ---\n${cluster.fixture.tail(5)}`
      : "";
    return { scenario: s, ...observed, problems, diagnostics };
  } finally {
    watch?.stop();
    await cluster.stop();
  }
}
