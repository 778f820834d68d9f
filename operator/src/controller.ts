import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesObject,
  ListWatch,
  NetworkingV1Api,
  PatchStrategy,
  Watch,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { nextConditions, nextOrderFlow, targetProblems, verdicts } from "./conditions.ts";
import type { Metrics } from "./metrics.ts";
import { GROUP, KIND, PLURAL, VERSION, type AnalysisRunView, type BitActorCluster, type ClusterStatus, type Condition, type LatencyReading, type NodeView, type RolloutView } from "./model.ts";
import { MANAGER, orderFlowPolicy } from "./order-flow.ts";
import { describeError } from "./errors.ts";
import { readLatency } from "./prometheus.ts";

export interface ControllerOptions {
  readonly kc: KubeConfig;
  /** The BitActorCluster this operator reconciles: one per cluster, named after the stage. */
  readonly cluster: string;
  /** The stage's namespace (its Rollouts, AnalysisRuns and the order-flow NetworkPolicy). */
  readonly namespace: string;
  /**
   * Where Events about the cluster-scoped BitActorCluster go: `default`, the only namespace the API
   * server accepts them in ("involvedObject.namespace ... does not match event.namespace" elsewhere).
   */
  readonly eventsNamespace: string;
  readonly prometheusUrl: string;
  readonly identity: string;
  readonly metrics: Metrics;
  readonly log: (message: string) => void;
}

/** Longest wait between two reconciles; a failing reconcile backs off from 1 s up to this. */
const MAX_BACKOFF_MS = 60_000;
/** Prometheus' answer within this, or the reading is "unreachable" (the gate's timeoutSeconds is 10). */
const QUERY_TIMEOUT_MS = 10_000;
/** Latency readings per window of the shortest target: 15 s for a 60 s window, 10 queries a region. */
const READS_PER_WINDOW = 4;

interface Cached<T extends KubernetesObject> {
  readonly name: string;
  informer?: ListWatch<T>;
  /** Its first list has completed: until then an empty cache means "not read yet", not "none". */
  synced: boolean;
  list(): T[];
}

/**
 * Level-based: any change of the CR, a Rollout, an AnalysisRun or a Node marks the one key dirty, and
 * a reconcile reads everything afresh from the informers' caches and Prometheus. A reconcile also
 * runs every target window (latency changes without any object changing) and when a grace period
 * ends. The informers relist on 410 Gone themselves (client-node's ListWatch); on any other error
 * they stop, so each is restarted here with backoff and relists, which is how a watch that broke
 * while the API server restarted misses no change.
 */
export class Controller {
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly net: NetworkingV1Api;
  private readonly watch: Watch;
  private readonly caches: Cached<KubernetesObject>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private running = false;
  private dirty = false;
  private stopped = false;
  private failures = 0;
  private readonly restarts = new Map<string, number>();

  constructor(private readonly o: ControllerOptions) {
    this.custom = o.kc.makeApiClient(CustomObjectsApi);
    this.core = o.kc.makeApiClient(CoreV1Api);
    this.net = o.kc.makeApiClient(NetworkingV1Api);
    this.watch = new Watch(o.kc);
  }

  async start(): Promise<void> {
    const ns = this.o.namespace;
    const list = (p: Promise<unknown>) => p as Promise<{ metadata?: { resourceVersion?: string }; items: KubernetesObject[] }>;
    // Only a new generation of the BitActorCluster is news: its status is this operator's own write,
    // and a status whose message carries live figures (observations counted over the window) would
    // otherwise wake the next reconcile at once, which writes again (controller-runtime's
    // GenerationChangedPredicate, for the same reason). The npm run e2e:operator run showed that
    // loop: 1515 reconciles in 8 minutes on a region whose latency stayed over budget.
    const generations = new Map<string, number | undefined>();
    const newGeneration = (o: KubernetesObject) => {
      const key = o.metadata?.uid ?? o.metadata?.name ?? "";
      const changed = !generations.has(key) || generations.get(key) !== o.metadata?.generation;
      generations.set(key, o.metadata?.generation);
      return changed;
    };
    this.cache("bitactorclusters", `/apis/${GROUP}/${VERSION}/${PLURAL}`, () => list(this.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, fieldSelector: `metadata.name=${this.o.cluster}` })), `metadata.name=${this.o.cluster}`, newGeneration);
    this.cache("rollouts", `/apis/argoproj.io/v1alpha1/namespaces/${ns}/rollouts`, () => list(this.custom.listNamespacedCustomObject({ group: "argoproj.io", version: "v1alpha1", namespace: ns, plural: "rollouts" })));
    this.cache("analysisruns", `/apis/argoproj.io/v1alpha1/namespaces/${ns}/analysisruns`, () => list(this.custom.listNamespacedCustomObject({ group: "argoproj.io", version: "v1alpha1", namespace: ns, plural: "analysisruns" })));
    this.cache("nodes", "/api/v1/nodes", () => list(this.core.listNode()));
    await Promise.all(this.caches.map((c) => this.startInformer(c)));
    this.enqueue(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.all(this.caches.map((c) => c.informer?.stop()));
  }

  /** `isNews`: whether an update of this kind wakes a reconcile (default: every update does). */
  private cache(name: string, path: string, lister: () => Promise<{ metadata?: { resourceVersion?: string }; items: KubernetesObject[] }>, fieldSelector?: string, isNews: (o: KubernetesObject) => boolean = () => true): void {
    const c: Cached<KubernetesObject> = {
      name,
      synced: false,
      list: () => [...(c.informer?.list() ?? [])],
    };
    // Synced once a list has filled the cache. client-node's ListWatch applies a list's items right
    // after the lister's promise settles (cache.js doneHandler) and reports a failed list as an error
    // event, not by rejecting start(): so the flag is set just after the items land.
    const listed = async () => {
      const result = await lister();
      setImmediate(() => {
        c.synced = true;
        this.enqueue(0);
      });
      return result;
    };
    const informer = new ListWatch<KubernetesObject>(path, this.watch, listed as never, false, undefined, fieldSelector);
    informer.on("add", (o) => {
      isNews(o);
      this.enqueue(0);
    });
    informer.on("update", (o) => {
      if (isNews(o)) this.enqueue(0);
    });
    informer.on("delete", () => this.enqueue(0));
    informer.on("error", (e) => this.restartLater(c, `watch ${name} stopped`, e));
    informer.on("connect", () => this.restarts.set(name, 0));
    c.informer = informer;
    this.caches.push(c);
  }

  private async startInformer(c: Cached<KubernetesObject>): Promise<void> {
    if (this.stopped) return;
    try {
      await c.informer!.start();
      this.enqueue(0);
    } catch (e) {
      this.restartLater(c, `list ${c.name} failed`, e);
    }
  }

  /** Starts the informer again (a full relist) after a backoff that grows with its failures in a row. */
  private restartLater(c: Cached<KubernetesObject>, what: string, e: unknown): void {
    const n = (this.restarts.get(c.name) ?? 0) + 1;
    this.restarts.set(c.name, n);
    const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(n, 7));
    this.o.log(`${what} (${describeError(e)}); relisting in ${delay} ms`);
    setTimeout(() => void this.startInformer(c), delay);
  }

  /** Reconcile in `ms` (or sooner if already due sooner). */
  private enqueue(ms: number): void {
    if (this.stopped) return;
    const at = Date.now() + ms;
    if (this.running) {
      if (ms === 0) this.dirty = true;
      else if (at < this.timerAt) this.arm(at);
      return;
    }
    if (at < this.timerAt) this.arm(at);
  }

  private arm(at: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => void this.run(), Math.max(0, at - Date.now()));
  }

  private async run(): Promise<void> {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    this.running = true;
    this.dirty = false;
    const started = performance.now();
    let next: number;
    try {
      next = await this.reconcile();
      this.failures = 0;
      this.o.metrics.reconciled((performance.now() - started) / 1000, false);
    } catch (e) {
      this.failures++;
      next = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (this.failures - 1));
      this.o.metrics.reconciled((performance.now() - started) / 1000, true);
      this.o.log(`reconcile ${this.o.cluster} failed (${describeError(e)}); retrying in ${next} ms`);
    } finally {
      this.running = false;
    }
    this.enqueue(this.dirty ? 0 : next);
  }

  private find<T>(name: string): T[] {
    return this.caches.find((c) => c.name === name)!.list() as T[];
  }

  /** One reconcile; returns when the next one is due (ms). */
  private async reconcile(): Promise<number> {
    // As client-go's WaitForCacheSync: a cache that has not listed yet (its list failed, say while the
    // API server restarts) would read as "no Rollout" and write a false verdict. Its list enqueues again.
    const unsynced = this.caches.filter((c) => !c.synced).map((c) => c.name);
    if (unsynced.length > 0) {
      this.o.log(`waiting for the first list of ${unsynced.join(", ")} before judging`);
      return MAX_BACKOFF_MS;
    }
    const cr = this.find<BitActorCluster & KubernetesObject>("bitactorclusters").find((c) => c.metadata.name === this.o.cluster);
    if (!cr) {
      this.o.log(`no BitActorCluster ${this.o.cluster} yet`);
      return MAX_BACKOFF_MS;
    }
    const ns = this.o.namespace;
    const targets = cr.spec.targets ?? {};
    const latency = new Map<string, LatencyReading>();
    await Promise.all(
      Object.keys(cr.spec.components ?? {}).map(async (id) => {
        if (targetProblems(id, targets[id]).length === 0) latency.set(id, await readLatency(this.o.prometheusUrl, targets[id]!, QUERY_TIMEOUT_MS));
      }),
    );
    const now = new Date();
    const observation = {
      cluster: cr,
      namespace: ns,
      rollouts: new Map(this.find<RawObject>("rollouts").map((r) => [r.metadata.name, rolloutView(r)] as const)),
      analysisRuns: new Map(this.find<RawObject>("analysisruns").map((r) => [r.metadata.name, { name: r.metadata.name, phase: r.status?.phase as string | undefined, message: r.status?.message as string | undefined } satisfies AnalysisRunView] as const)),
      nodes: this.find<RawObject>("nodes").map(nodeView),
      latency,
      now,
    };
    const generation = cr.metadata.generation ?? 0;
    const { conditions, transitions } = nextConditions(cr.status?.conditions, verdicts(observation), generation, now);
    const trading = conditions.find((c) => c.type === "TradingReady")!;
    const spec = cr.spec.orderFlow;
    let flowResult: ReturnType<typeof nextOrderFlow>;
    if (!spec) flowResult = { flow: { state: "Closed", since: cr.status?.orderFlow?.state === "Closed" ? cr.status.orderFlow.since : now.toISOString(), reason: "spec.orderFlow is missing: nothing says which pods may reach which exchanges" } };
    else flowResult = nextOrderFlow(cr.status?.orderFlow, trading, spec.closeGraceSeconds, now);
    const { flow, closesAt } = flowResult;
    if (spec) await this.applyOrderFlow(cr, flow.state === "Open", flow.reason);

    const status: ClusterStatus = { observedGeneration: generation, conditions, orderFlow: flow };
    if (JSON.stringify(cr.status ?? {}) !== JSON.stringify(status)) {
      await this.custom.patchClusterCustomObjectStatus({ group: GROUP, version: VERSION, plural: PLURAL, name: this.o.cluster, body: { status } }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
    }
    if (cr.status?.orderFlow?.state !== flow.state) transitions.push({ type: "TradingReady", status: trading.status, observedGeneration: generation, lastTransitionTime: now.toISOString(), reason: `OrderFlow${flow.state}`, message: `order flow ${flow.state.toLowerCase()}: ${flow.reason}` } satisfies Condition);
    for (const t of transitions) await this.event(cr, t);
    this.o.metrics.status(this.o.cluster, conditions, flow.state === "Open", transitions.length);

    // Prometheus is read four times per (shortest) window, so a regression is judged within one
    // window of reaching the share: reading once per window could see it up to two windows late.
    const windows = Object.values(targets).map((t) => t?.windowSeconds).filter((w): w is number => typeof w === "number" && w > 0);
    let next = ((windows.length ? Math.min(...windows) : 60) * 1000) / READS_PER_WINDOW;
    if (closesAt) next = Math.min(next, Math.max(0, closesAt.getTime() - now.getTime()) + 50);
    return next;
  }

  private async applyOrderFlow(cr: BitActorCluster, open: boolean, reason: string): Promise<void> {
    const body = orderFlowPolicy(this.o.namespace, { name: cr.metadata.name, uid: cr.metadata.uid ?? "" }, cr.spec.orderFlow!, open, reason.slice(0, 1000));
    // Server-side apply with our own field manager: the object is ours alone, every field of it is
    // set each time, so a hand edit is put back at the next reconcile.
    await this.net.patchNamespacedNetworkPolicy({ name: body.metadata.name, namespace: this.o.namespace, body, fieldManager: MANAGER, force: true }, setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply));
  }

  private async event(cr: BitActorCluster, c: Condition): Promise<void> {
    const now = new Date();
    try {
      await this.core.createNamespacedEvent({
        namespace: this.o.eventsNamespace,
        body: {
          metadata: { generateName: `${this.o.cluster}.` },
          involvedObject: { apiVersion: `${GROUP}/${VERSION}`, kind: KIND, name: cr.metadata.name, uid: cr.metadata.uid },
          type: c.status === "True" ? "Normal" : "Warning",
          reason: c.reason,
          // Event messages are capped at 1 kB by the API server's validation.
          message: `${c.type} ${c.status}${c.message ? `: ${c.message}` : ""}`.slice(0, 1000),
          source: { component: MANAGER },
          reportingComponent: `${GROUP}/operator`,
          reportingInstance: this.o.identity,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    } catch (e) {
      // An Event is a report, not state: losing one must not fail the reconcile that made it.
      this.o.log(`event for ${c.type} not recorded: ${describeError(e)}`);
    }
  }
}

interface RawObject {
  metadata: { name: string; generation?: number; labels?: Record<string, string> };
  spec?: Record<string, unknown> & { template?: { spec?: { containers?: { image?: string }[] } }; unschedulable?: boolean };
  status?: Record<string, unknown> & { conditions?: { type: string; status: string }[]; allocatable?: Record<string, string> };
}

export function rolloutView(r: RawObject): RolloutView {
  return {
    name: r.metadata.name,
    generation: r.metadata.generation ?? 0,
    // Argo Rollouts writes status.observedGeneration as a string.
    observedGeneration: Number(r.status?.observedGeneration ?? -1),
    images: (r.spec?.template?.spec?.containers ?? []).map((c) => c.image ?? ""),
    currentPodHash: r.status?.currentPodHash as string | undefined,
    stableRS: r.status?.stableRS as string | undefined,
    phase: r.status?.phase as string | undefined,
  };
}

export function nodeView(n: RawObject): NodeView {
  return {
    name: n.metadata.name,
    ready: n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false,
    unschedulable: n.spec?.unschedulable === true,
    labels: n.metadata.labels ?? {},
    allocatable: n.status?.allocatable ?? {},
  };
}
