// One row of npm run e2e:operator from an empty cluster to its verdict: the operator first, then
// the engine's wave, polled once a second; then, where the row says, a regression and its grace.
import type { KubeClient } from "../cluster/client.ts";
import { installCrds } from "../cluster/dry-run.ts";
import { grantOperator, scrapeOperator, startOperatorReplica, type OperatorReplica } from "../operator/run.ts";
import type { E2ePrograms } from "./cluster.ts";
import { judgeRegion, type RegionObservation, type RegionScenario, type Sample } from "./operator-scenarios.ts";
import { clusterSpec, deployComponents, deployMonitoring, regionCluster, retune, type Region } from "./region.ts";
import { regressed } from "./scenarios.ts";

const POLL_MS = 1000;
/** From the engine's wave to the order flow's opening: the first releases' warm-up and four windows (engine/catalog.yaml firstRelease), with room for a loaded machine. */
const OPEN_DEADLINE_MS = 480_000;
/** The operator's first verdict on the empty region: a program starting on a loaded machine. */
const FIRST_VERDICT_MS = 120_000;

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Status {
  observedGeneration?: number;
  conditions?: { type: string; status: string; reason: string; message: string; lastTransitionTime: string }[];
  orderFlow?: { state: string };
}

export interface RegionRun extends RegionObservation {
  readonly problems: readonly string[];
  readonly diagnostics: string;
}

async function read(client: KubeClient, path: string): Promise<Any | undefined> {
  const r = await client.request("GET", path);
  if (r.status === 404) return undefined;
  if (r.status !== 200) throw new Error(`GET ${path}: HTTP ${r.status}`);
  return r.body;
}

export async function runRegionScenario(s: RegionScenario, region: Region, programs: E2ePrograms, runtimeRoot: string, log: (line: string) => void): Promise<RegionRun> {
  const spec = clusterSpec(region.cluster.object);
  const cluster = await regionCluster(programs, s.id, region, s.behaviour(region));
  const client = cluster.cp.client;
  let operator: OperatorReplica | undefined;
  const crPath = `/apis/bitactor.io/v1alpha1/bitactorclusters/${region.stage}`;
  const policyPath = `/apis/networking.k8s.io/v1/namespaces/${region.stage}/networkpolicies/${spec.orderFlow.policyName}`;
  const runNames = Object.keys(spec.components).sort().map((c) => spec.targets[c]!.firstReleaseRun);
  let t0 = Date.now();

  const sample = async (): Promise<Sample & { status: Status }> => {
    // The policy first: a run read after it cannot have been Successful later than the policy opened.
    const policy = await read(client, policyPath);
    const runs = ((await read(client, `/apis/argoproj.io/v1alpha1/namespaces/${region.stage}/analysisruns`))?.items ?? []) as Any[];
    const status: Status = (await read(client, crPath))?.status ?? {};
    const trading = status.conditions?.find((c) => c.type === "TradingReady");
    return {
      at: Date.now() - t0,
      policy: policy === undefined ? "absent" : (policy.spec.egress ?? []).length > 0 ? "open" : "closed",
      runs: Object.fromEntries(runNames.map((n) => [n, runs.some((r) => r.metadata.name === n) ? (runs.find((r) => r.metadata.name === n).status?.phase ?? "") : "absent"])),
      conditions: Object.fromEntries((status.conditions ?? []).map((c) => [c.type, c.status])),
      trading: { reason: trading?.reason ?? "", message: trading?.message ?? "" },
      status,
    };
  };

  const samples: Sample[] = [];
  let empty: RegionObservation["empty"] = null;
  let provenAt: number | null = null;
  let openedAt: number | null = null;
  let regression: RegionObservation["regression"];
  let memory: RegionObservation["memory"];
  try {
    // The platform Application: the CRD, the BitActorCluster as committed, the operator's access; then its pod.
    await installCrds(client, [region.crd]);
    const created = await client.request("POST", "/apis/bitactor.io/v1alpha1/bitactorclusters", region.cluster.object);
    if (created.status !== 201) throw new Error(`${region.cluster.file}: HTTP ${created.status}`);
    // The monitoring Application (an earlier wave): the stage's namespace, where the order-flow policy lives, and its Prometheus.
    await deployMonitoring(cluster, region);
    const grant = await grantOperator(cluster.cp, region.access, region.stage);
    operator = await startOperatorReplica({ root: runtimeRoot, kubeconfig: grant.kubeconfig, stage: region.stage, prometheusUrl: cluster.prometheusUrl, identity: `${s.id}-operator`, logDir: cluster.cp.dir });
    const started = Date.now();
    for (;;) {
      const x = await sample();
      if (x.status.observedGeneration !== undefined && x.policy !== "absent") {
        empty = { trading: x.conditions.TradingReady ?? "(none)", policy: x.policy };
        break;
      }
      if (Date.now() - started > FIRST_VERDICT_MS) throw new Error(`the operator gave no verdict within ${FIRST_VERDICT_MS / 1000} s:\n${operator.proc.tail(10)}`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const first = await scrapeOperator(operator);
    log(`${s.id}: empty region: TradingReady ${empty.trading}, order flow ${empty.policy} (${((Date.now() - started) / 1000).toFixed(0)} s after the operator started)`);

    await deployComponents(cluster, region);
    t0 = Date.now();
    log(`${s.id}: ${region.releases.length} components applied (${region.releases.map((r) => r.componentName).join(", ")})`);
    // Held one more (shortest) window once a row that must stay closed has settled: the operator reads four times in it.
    const shortestWindowMs = Math.min(...Object.values(spec.targets).map((t) => t.windowSeconds)) * 1000;
    const terminal = (p: string) => ["Successful", "Failed", "Error", "Inconclusive"].includes(p);
    let settledAt: number | null = null;
    while (Date.now() - t0 < OPEN_DEADLINE_MS) {
      const x = await sample();
      samples.push(x);
      if (provenAt === null && Object.values(x.runs).every((p) => p === "Successful")) provenAt = x.at;
      if (openedAt === null && x.policy === "open") {
        openedAt = x.at;
        log(`${s.id}: order flow open at ${(x.at / 1000).toFixed(0)} s (every first release Successful at ${provenAt === null ? "—" : (provenAt / 1000).toFixed(0)} s)`);
      }
      if (s.opens && openedAt !== null) break;
      // A row that must stay closed: once every run has ended and the operator has said why, one more window.
      if (!s.opens && settledAt === null && Object.values(x.runs).every(terminal) && Object.values(x.runs).some((p) => p !== "Successful") && x.conditions.TradingReady === "False") {
        settledAt = Date.now();
        log(`${s.id}: every first release ended (${Object.entries(x.runs).map(([n, p]) => `${n} ${p}`).join(", ")}); TradingReady ${x.conditions.TradingReady}: ${x.trading.message}`);
      }
      if (settledAt !== null && Date.now() - settledAt > shortestWindowMs) break;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }

    if (s.regress && openedAt !== null) {
      const release = region.releases.find((r) => r.componentName === s.regress)!;
      const windowSeconds = spec.targets[s.regress]!.windowSeconds;
      const graceSeconds = spec.orderFlow.closeGraceSeconds;
      const slow = regressed(release.component.budgetNs);
      await retune(cluster, release, { stable: slow, releaseActive: slow });
      const at = Date.now();
      log(`${s.id}: ${s.regress} regressed (p99 ≈ 1.3 × ${release.component.budgetNs} ns); window ${windowSeconds} s, grace ${graceSeconds} s`);
      let seenAfter: number | null = null;
      let tradingFalseAt: number | null = null;
      let lastOpenAfterFalse: number | null = null;
      let closedAfterFalse: number | null = null;
      const deadline = at + (2 * windowSeconds + graceSeconds + 30) * 1000;
      while (Date.now() < deadline && closedAfterFalse === null) {
        const x = await sample();
        samples.push(x);
        if (seenAfter === null && x.conditions.LatencyWithinTargets === "False") {
          seenAfter = Date.now() - at;
          log(`${s.id}: LatencyWithinTargets False ${(seenAfter / 1000).toFixed(1)} s after the regression`);
        }
        const trading = x.status.conditions?.find((c) => c.type === "TradingReady");
        // The operator's own transition time: the grace period counts from it.
        if (tradingFalseAt === null && trading?.status === "False") tradingFalseAt = Date.parse(trading.lastTransitionTime);
        if (tradingFalseAt !== null) {
          if (x.policy === "open") lastOpenAfterFalse = Date.now() - tradingFalseAt;
          else if (x.policy === "closed") {
            closedAfterFalse = Date.now() - tradingFalseAt;
            log(`${s.id}: order flow closed ${(closedAfterFalse / 1000).toFixed(1)} s after TradingReady turned False (last seen open at ${lastOpenAfterFalse === null ? "—" : (lastOpenAfterFalse / 1000).toFixed(1)} s)`);
          }
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
      regression = { windowSeconds, graceSeconds, seenAfter, lastOpenAfterFalse, closedAfterFalse };
    }
    const last = await scrapeOperator(operator);
    memory = { heapStart: first.heap, heapEnd: last.heap, reconcilesStart: first.reconciles, reconcilesEnd: last.reconciles };
    log(`${s.id}: operator live heap ${(first.heap / 2 ** 20).toFixed(1)} MiB after ${first.reconciles} reconciles, ${(last.heap / 2 ** 20).toFixed(1)} MiB after ${last.reconciles}`);
    const observation: RegionObservation = { scenario: s, empty, samples, provenAt, openedAt, ...(regression ? { regression } : {}), memory };
    const problems = judgeRegion(observation);
    const diagnostics = problems.length ? `last sample: ${JSON.stringify(samples.at(-1) ?? null)}\n--- operator ---\n${operator.proc.tail(15)}\n--- rollouts-controller ---\n${cluster.rollouts.tail(15)}` : "";
    return { ...observation, problems, diagnostics };
  } finally {
    await operator?.proc.stop();
    await cluster.stop();
  }
}
