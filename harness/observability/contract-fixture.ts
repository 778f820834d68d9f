import { createServer, type Server } from "node:http";
import { Worker } from "node:worker_threads";
import type { Catalog, RegionSettings } from "../../generators/inputs/types.ts";
import { POD_TEMPLATE_HASH_LABEL } from "../../generators/constructs/pod-monitor.ts";
import type { K8sObject } from "../../generators/render.ts";
import { targetGroups } from "./pod-monitor-config.ts";
import { DRILL_JOB, DRILL_METRICS } from "../../generators/constructs/dr-drill.ts";
import { productionRate } from "../e2e/scenarios.ts";
import { leText, shareAtMost, type Latency, type LeSpelling } from "../e2e/latency.ts";

/**
 * The engine's whole metric contract (engine/catalog.yaml) for one stage, served for fake pods: per
 * component, two active pods (one writing `le` as Go does, one as JavaScript does) and one preview
 * pod, each with its latency histogram, events by venue (the region's exchanges) and errors; the
 * business gauges' exporter also serves P&L, position value and risk exposure by symbol. Counters
 * grow with wall time at fixed rates, so `rate()` has data after two scrapes.
 *
 * Pods are derived from the rendered Rollouts: their template labels plus Argo Rollouts'
 * active/preview metadata and a pod-template hash, their container and metrics port. It is also
 * Prometheus' HTTP SD (`/targets`), so the rendered PodMonitors' relabelling
 * is what labels the series.
 */

export interface FakePod {
  readonly component: string;
  readonly role: "active" | "preview";
  readonly le: LeSpelling;
  /** Observations (and events) per second. */
  readonly rate: number;
  readonly latency: Latency;
  readonly pod: { metadata: { name: string; namespace: string; labels: Record<string, string> }; spec: { containers: { name: string; image: string; ports: { name?: string; containerPort: number }[] }[] }; status: { phase: string; conditions: { type: string; status: string }[] } };
}

/** Instruments the business gauges are served for (fixture data, not a trading universe). */
export const SYMBOLS = ["AAPL", "MSFT", "NVDA"] as const;

/** Share of events that fail on every fake pod: half the availability SLO's budget, so nothing burns. */
const ERROR_SHARE = 0.00005;

interface RolloutShape {
  metadata: { name: string; namespace?: string };
  spec: { template: { metadata: { labels: Record<string, string> }; spec: { containers: { name: string; image: string; ports: { name?: string; containerPort: number }[] }[] } }; strategy: { blueGreen: { activeMetadata?: { labels?: Record<string, string> }; previewMetadata?: { labels?: Record<string, string> } } } };
}

/** Fake pods for every rendered Rollout of a stage. */
export function fakePods(catalog: Catalog, rollouts: readonly K8sObject[]): FakePod[] {
  return rollouts.flatMap((o) => {
    const r = o as unknown as RolloutShape;
    const c = catalog.components[r.metadata.name];
    if (!c) throw new Error(`Rollout ${r.metadata.name} is not a catalog component`);
    // Healthy: median 40 % of the budget, 99.95 % at or under it (the 99.9 % SLO holds).
    const latency: Latency = { medianNs: 0.4 * c.budgetNs, pin: { ns: c.budgetNs, quantile: 0.9995 } };
    // Production traffic as the e2e models it (24 × the post-promotion floor rate).
    const rate = productionRate(c);
    const make = (role: "active" | "preview", hash: string, i: number, le: LeSpelling): FakePod => {
      const bg = r.spec.strategy.blueGreen;
      const ephemeral = role === "active" ? bg.activeMetadata?.labels : bg.previewMetadata?.labels;
      return {
        component: r.metadata.name,
        role,
        le,
        rate: role === "active" ? rate / 2 : rate * 10,
        latency,
        pod: {
          metadata: {
            name: `${r.metadata.name}-${hash}-${i}`,
            namespace: o.metadata.namespace!,
            labels: { ...r.spec.template.metadata.labels, ...ephemeral, [POD_TEMPLATE_HASH_LABEL]: hash },
          },
          spec: { containers: r.spec.template.spec.containers.map((k) => ({ name: k.name, image: k.image, ports: k.ports })) },
          status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] },
        },
      };
    };
    return [make("active", "6d5f8b7c9", 1, "go"), make("active", "6d5f8b7c9", 2, "javascript"), make("preview", "7c9d4e5f6", 1, "go")];
  });
}

/** The exposition text of one pod at `seconds` since start. */
export function exposition(catalog: Catalog, region: RegionSettings, p: FakePod, seconds: number): string {
  const c = catalog.components[p.component]!;
  const n = p.rate * seconds;
  const lines: string[] = [];
  const h = c.metric.name;
  lines.push(`# TYPE ${h} histogram`);
  for (const b of c.metric.bucketsNs) lines.push(`${h}_bucket{le="${leText(b / 1e9, p.le)}"} ${Math.floor(n * shareAtMost(p.latency, b))}`);
  lines.push(`${h}_bucket{le="+Inf"} ${Math.floor(n)}`, `${h}_sum ${(n * p.latency.medianNs) / 1e9}`, `${h}_count ${Math.floor(n)}`);
  lines.push(`# TYPE ${c.counters.events} counter`);
  region.exchanges.forEach((x, i) => lines.push(`${c.counters.events}{${catalog.venueLabel}="${x.id}"} ${(n * (i + 1)) / ((region.exchanges.length * (region.exchanges.length + 1)) / 2)}`));
  lines.push(`# TYPE ${c.counters.errors} counter`, `${c.counters.errors} ${n * ERROR_SHARE}`);
  const b = catalog.businessMetrics;
  if (b.exporter === p.component) {
    for (const [metric, scale] of [[b.pnl, 1e5], [b.positionValue, 1e7], [b.riskExposure, 2e7]] as const) {
      lines.push(`# TYPE ${metric} gauge`);
      SYMBOLS.forEach((s, i) => lines.push(`${metric}{${catalog.symbolLabel}="${s}"} ${(scale * (i + 1) * (1 + Math.sin(seconds / 30 + i))).toFixed(2)}`));
    }
  }
  return lines.join("\n") + "\n";
}

/**
 * What the Pushgateway serves for a stage whose last restore drill passed (constructs/dr-drill.ts
 * pushes it): the grouping key's labels on every series, as the Pushgateway adds them.
 */
export function drillExposition(catalog: Catalog, stage: string, lastRunSecondsAgo: number): string {
  const labels = `{job="${DRILL_JOB}",${catalog.namespaceLabel}="${stage}"}`;
  const values: Record<keyof typeof DRILL_METRICS, number> = {
    success: 1,
    restoreSeconds: 48,
    rtoSeconds: 300,
    backupAgeSeconds: 412,
    itemsRestored: 57,
    missingObjects: 0,
    lastRun: Math.round(Date.now() / 1000 - lastRunSecondsAgo),
  };
  return Object.entries(values).map(([k, v]) => `# TYPE ${DRILL_METRICS[k as keyof typeof DRILL_METRICS]} gauge\n${DRILL_METRICS[k as keyof typeof DRILL_METRICS]}${labels} ${v}\n`).join("");
}

/** A Pushgateway's pod, which serves what the stage's restore drill pushed, found by the labels and port the add-on data names. */
export interface FakePushgateway {
  readonly stage: string;
  readonly lastRunSecondsAgo: number;
  readonly pod: FakePod["pod"];
}

/**
 * Serves `/targets` (HTTP SD) and `/metrics?pod=<name>` for the pods, and with `drill`, the stage's
 * restore drill result as the Pushgateway pod's `/metrics`.
 *
 * The server runs in a worker thread: Prometheus scrapes it every second with a 1 s timeout (the
 * rendered PodMonitors'), and a test's own synchronous work (a whole render takes seconds on a busy
 * machine) must not make a scrape fail, which would be reported as a down pod.
 */
export async function serveContract(catalog: Catalog, region: RegionSettings, pods: readonly FakePod[], drill?: FakePushgateway): Promise<{ address: string; close(): Promise<void> }> {
  const worker = new Worker(new URL("./contract-worker.mjs", import.meta.url), { workerData: { catalog, region, pods, drill } satisfies ContractData });
  try {
    const address = await new Promise<string>((resolve, reject) => {
      worker.once("message", (m: { address: string }) => resolve(m.address));
      worker.once("error", reject);
      worker.once("exit", (code) => reject(new Error(`the contract fixture's worker exited with ${code} before listening`)));
    });
    return { address, close: async () => void (await worker.terminate()) };
  } catch (e) {
    await worker.terminate();
    throw e;
  }
}

/** What the worker needs to serve the contract (structured-cloned into it). */
export interface ContractData {
  readonly catalog: Catalog;
  readonly region: RegionSettings;
  readonly pods: readonly FakePod[];
  readonly drill?: FakePushgateway;
}

/** The contract's HTTP server, listening on a free loopback port (run by contract-worker.ts). */
export async function listenContract({ catalog, region, pods, drill }: ContractData): Promise<{ address: string; server: Server }> {
  const start = Date.now();
  let address = "";
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/targets") {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(targetGroups([...pods.map((p) => p.pod), ...(drill ? [drill.pod] : [])], address)));
      return;
    }
    if (drill && url.pathname === "/metrics" && url.searchParams.get("pod") === drill.pod.metadata.name) {
      res.setHeader("content-type", "text/plain; version=0.0.4");
      res.end(drillExposition(catalog, drill.stage, drill.lastRunSecondsAgo));
      return;
    }
    const pod = pods.find((p) => p.pod.metadata.name === url.searchParams.get("pod"));
    if (url.pathname !== "/metrics" || !pod) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.setHeader("content-type", "text/plain; version=0.0.4");
    res.end(exposition(catalog, region, pod, (Date.now() - start) / 1000));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  address = `127.0.0.1:${port}`;
  return { address, server };
}
