import { createServer, type Server } from "node:http";
import { KubeClient } from "../cluster/client.ts";
import { Histogram, type Latency, type LeSpelling } from "./latency.ts";

/**
 * The e2e's stand-in for the engine and its load generator: it serves the engine's metric contract
 * (a latency histogram per pod) for the pods that exist in the cluster, and makes those histograms
 * grow only where traffic really flows:
 *   - production traffic goes to the pods the active Service selects (Argo Rollouts edits that
 *     selector, so traffic follows its decisions);
 *   - a Running load-generator pod sends `--rate` requests/s to the Service named in its `--target`
 *     (the loadgen's CLI contract, engine/catalog.yaml), spread over the pods that Service selects.
 * Prometheus finds the pods itself (Kubernetes discovery against the API server, as configured by
 * prometheus-operator: operator-prometheus.ts) and scrapes `/metrics?pod=<name>` here, as the pods
 * are kwok's fakes with no reachable address.
 */

export interface FixtureBehaviour {
  /** Latency of pods running any image other than the release's. */
  readonly stable: Latency;
  /** The image of the release under test. */
  readonly releaseImage: string;
  /** Latency of release pods while the active Service does not select them (the preview). */
  readonly releasePreview: Latency;
  /** Latency of release pods once the active Service selects them (under production traffic). */
  readonly releaseActive: Latency;
  /** Production requests per second, spread over the pods the active Service selects. */
  readonly productionRatePerSecond: number;
  /** Share of the load generator's requests that reach their target (0 = all lost on the way). */
  readonly loadReach: number;
  /** How `le` is written. */
  readonly le: LeSpelling;
}

export interface FixtureConfig {
  readonly server: string;
  readonly token: string;
  readonly ca: string;
  readonly namespace: string;
  /** Labels that select the component's pods (the Rollout's selector). */
  readonly podSelector: Readonly<Record<string, string>>;
  /** Labels of the analysis load Job's pods. */
  readonly loadPodSelector: Readonly<Record<string, string>>;
  readonly activeService: string;
  readonly metric: string;
  readonly boundsNs: readonly number[];
  readonly behaviour: FixtureBehaviour;
}

interface Pod {
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: { containers: { name: string; image: string; args?: string[]; ports?: { name?: string; containerPort: number }[] }[] };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}
interface Service {
  metadata: { name: string };
  spec: { selector?: Record<string, string> };
}

const matches = (labels: Record<string, string> | undefined, selector: Readonly<Record<string, string>>): boolean =>
  Object.entries(selector).every(([k, v]) => labels?.[k] === v);
const ready = (p: Pod): boolean => p.status?.phase === "Running" && (p.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
const arg = (p: Pod, name: string): string | undefined =>
  p.spec.containers.flatMap((c) => c.args ?? []).find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

/** Requests/s each pod receives right now, and which latency it shows. Pure: the traffic model. */
export function trafficNow(pods: readonly Pod[], services: readonly Service[], cfg: FixtureConfig): Map<string, { rate: number; latency: Latency }> {
  const b = cfg.behaviour;
  const engine = pods.filter((p) => matches(p.metadata.labels, cfg.podSelector) && ready(p));
  const selectedBy = (svc: Service | undefined) => (svc?.spec.selector ? engine.filter((p) => matches(p.metadata.labels, svc.spec.selector!)) : []);
  const active = selectedBy(services.find((s) => s.metadata.name === cfg.activeService));
  const rate = new Map<string, number>(engine.map((p) => [p.metadata.name, 0]));
  for (const p of active) rate.set(p.metadata.name, rate.get(p.metadata.name)! + b.productionRatePerSecond / active.length);
  for (const load of pods.filter((p) => matches(p.metadata.labels, cfg.loadPodSelector) && p.status?.phase === "Running")) {
    // --target=<service>.<namespace>.svc.cluster.local:<port>
    const [svcName, ns] = (arg(load, "target") ?? "").split(".");
    const targets = ns === cfg.namespace ? selectedBy(services.find((s) => s.metadata.name === svcName)) : [];
    const loadRate = Number(arg(load, "rate") ?? 0) * b.loadReach;
    for (const p of targets) rate.set(p.metadata.name, rate.get(p.metadata.name)! + loadRate / targets.length);
  }
  const activeNames = new Set(active.map((p) => p.metadata.name));
  return new Map(
    engine.map((p) => {
      const release = p.spec.containers.some((c) => c.image === b.releaseImage);
      const latency = !release ? b.stable : activeNames.has(p.metadata.name) ? b.releaseActive : b.releasePreview;
      return [p.metadata.name, { rate: rate.get(p.metadata.name)!, latency }];
    }),
  );
}

/** One component's histograms: advanced by the traffic its pods receive. */
export class LatencyFixture {
  private readonly histograms = new Map<string, Histogram>();
  private current: FixtureConfig;

  constructor(cfg: FixtureConfig) {
    this.current = cfg;
  }

  get cfg(): FixtureConfig {
    return this.current;
  }

  /**
   * Changes how the component behaves from now on (a regression of the running version, say);
   * what its histograms counted so far stays, as a real process' counters do.
   */
  retune(change: Partial<Omit<FixtureBehaviour, "releaseImage" | "le">>): void {
    this.current = { ...this.current, behaviour: { ...this.current.behaviour, ...change } };
  }

  /** Whether this component serves the pod's metrics (its namespace and the Rollout's selector). */
  owns(p: Pod): boolean {
    return p.metadata.namespace === this.cfg.namespace && matches(p.metadata.labels, this.cfg.podSelector);
  }

  private histogram(pod: string): Histogram {
    let h = this.histograms.get(pod);
    if (!h) this.histograms.set(pod, (h = new Histogram(this.cfg.boundsNs)));
    return h;
  }

  /** Advances every pod's histogram by the traffic it received in `seconds`. */
  advance(pods: readonly Pod[], services: readonly Service[], seconds: number): void {
    for (const [pod, t] of trafficNow(pods, services, this.cfg)) this.histogram(pod).observe(t.rate * seconds, t.latency);
  }

  exposition(pod: string): string {
    return this.histogram(pod).exposition(this.cfg.metric, this.cfg.behaviour.le);
  }
}

/**
 * The fixture process: one HTTP server for every component it imitates (all in one cluster, same
 * credentials). Each tick lists the pods and Services of each namespace once and advances every
 * component; `/metrics?pod=` answers with the histogram of the
 * component that owns the pod.
 */
export class FixtureServer {
  private readonly client: KubeClient;
  private readonly fixtures: LatencyFixture[];
  private last = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private server: Server | undefined;
  private pods: Pod[] = [];
  /** The last error talking to the API server (logged, never fatal: traffic just pauses). */
  lastError = "";

  constructor(configs: readonly FixtureConfig[]) {
    if (configs.length === 0) throw new Error("the fixture needs at least one component");
    const { server, token, ca } = configs[0]!;
    if (configs.some((c) => c.server !== server || c.token !== token || c.ca !== ca)) throw new Error("one fixture serves one cluster: every component's server, token and CA must be the same");
    this.client = new KubeClient(server, token, ca);
    this.fixtures = configs.map((c) => new LatencyFixture(c));
  }

  /** Advances every component by the traffic it received since the last tick. */
  async tick(): Promise<void> {
    const namespaces = [...new Set(this.fixtures.map((f) => f.cfg.namespace))];
    const listed = await Promise.all(namespaces.map(async (ns) => {
      const [pods, svcs] = await Promise.all([
        this.client.request("GET", `/api/v1/namespaces/${ns}/pods`),
        this.client.request("GET", `/api/v1/namespaces/${ns}/services`),
      ]);
      if (pods.status !== 200 || svcs.status !== 200) throw new Error(`listing pods/services in ${ns}: HTTP ${pods.status}/${svcs.status}`);
      return { ns, pods: (pods.body as { items: Pod[] }).items, services: (svcs.body as { items: Service[] }).items };
    }));
    const now = Date.now();
    const seconds = (now - this.last) / 1000;
    this.last = now;
    this.pods = listed.flatMap((l) => l.pods);
    for (const f of this.fixtures) {
      const l = listed.find((x) => x.ns === f.cfg.namespace)!;
      f.advance(l.pods, l.services, seconds);
    }
  }

  /** Serves on `port` (0: one the kernel picks) and returns the port it listens on. */
  async start(port: number, tickMs = 250): Promise<number> {
    const loop = async () => {
      try {
        await this.tick();
        this.lastError = "";
      } catch (e) {
        this.lastError = (e as Error).message;
        console.error(`fixture: ${this.lastError}`);
      }
      this.timer = setTimeout(loop, tickMs);
    };
    await loop();
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://fixture");
      if (url.pathname === "/healthz") {
        res.end("ok\n");
        return;
      }
      if (url.pathname === "/behaviour" && req.method === "PUT") {
        void this.retune(url, req).then(
          (message) => res.end(`${message}\n`),
          (e: Error) => res.writeHead(400).end(`${e.message}\n`),
        );
        return;
      }
      const name = url.searchParams.get("pod");
      const pod = this.pods.find((p) => p.metadata.name === name);
      const owner = pod && this.fixtures.find((f) => f.owns(pod));
      if (url.pathname !== "/metrics" || !name) {
        res.writeHead(404).end("GET /metrics?pod=<name> or /healthz\n");
        return;
      }
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      // A pod of no imitated component (a load Job, the collector) exposes nothing.
      res.end(owner ? owner.exposition(name) : "");
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(port, "127.0.0.1", resolve);
    });
    return (this.server.address() as { port: number }).port;
  }

  /**
   * `PUT /behaviour?namespace=<ns>&metric=<metric name>` with a JSON body of the behaviour fields to
   * change (stable, releasePreview, releaseActive, productionRatePerSecond, loadReach): how a harness
   * makes a component regress while it runs. Refuses an unknown component or field, naming what is.
   */
  private async retune(url: URL, req: AsyncIterable<Buffer>): Promise<string> {
    let body = "";
    for await (const chunk of req) body += chunk.toString();
    const ns = url.searchParams.get("namespace");
    const metric = url.searchParams.get("metric");
    const f = this.fixtures.find((x) => x.cfg.namespace === ns && x.cfg.metric === metric);
    if (!f) throw new Error(`no component ${ns}/${metric}: this fixture serves ${this.fixtures.map((x) => `${x.cfg.namespace}/${x.cfg.metric}`).join(", ")}`);
    const change = JSON.parse(body) as Record<string, unknown>;
    const allowed = ["stable", "releasePreview", "releaseActive", "productionRatePerSecond", "loadReach"];
    const unknown = Object.keys(change).filter((k) => !allowed.includes(k));
    if (unknown.length) throw new Error(`cannot change ${unknown.join(", ")}: only ${allowed.join(", ")}`);
    f.retune(change);
    return `${ns}/${metric}: ${Object.keys(change).join(", ")} changed`;
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    await new Promise((r) => (this.server ? this.server.close(r) : r(undefined)));
  }
}
