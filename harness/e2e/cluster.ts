import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { stringify } from "yaml";
import { startControlPlane, type ControlPlane } from "../cluster/control-plane.ts";
import { installCrds } from "../cluster/dry-run.ts";
import { Managed, freePorts, waitFor } from "../cluster/process.ts";
import { statusMessage, type KubeClient } from "../cluster/client.ts";
import { targetCrds } from "../../toolchain/sources.ts";
import { parseFiles, type Located } from "../../lib/objects.ts";
import { REPO } from "../../lib/repo.ts";
import { kubeControllerManager, kubeScheduler, kwok, prometheus as prometheusBin, prometheusOperator, rolloutsController, rolloutsPlugin } from "../../toolchain/cluster.ts";
import { startConfigSync, type ConfigSync, type OperatorPrometheusRef } from "./operator-prometheus.ts";
import { moduleDir } from "../../toolchain/build.ts";
import { toolVersions } from "../../lib/versions.ts";
import { HOST_KEY } from "../../generators/nodes/labels.ts";
import { millicores, quantityUnits } from "../../generators/nodes/quantity.ts";
import type { FixtureConfig } from "./fixture.ts";

/**
 * One throw-away cluster for one e2e scenario, every program real and on loopback: etcd and
 * kube-apiserver (the validation issue's control plane), kube-scheduler, kube-controller-manager,
 * kwok (fake nodes and a kubelet-like pod lifecycle), the Argo Rollouts controller, Prometheus
 * (3.x, tools/versions.json) scraping the latency fixture every second, and the fixture itself.
 */

/** A fake node kwok manages: its labels, taints and status as a kubelet of its machine would report them. */
export interface FakeNode {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly { key: string; value?: string; effect: string }[];
  /** status.capacity, as quantities. */
  readonly capacity: Readonly<Record<string, string>>;
  /** status.allocatable, as quantities: what the scheduler fits pods into. */
  readonly allocatable: Readonly<Record<string, string>>;
}

/** Quantities as exact units (CPU in millicores), so the API server's canonical spelling compares equal. */
const asUnits = (q: Readonly<Record<string, string>>): Record<string, string> =>
  Object.fromEntries(Object.entries(q).map(([k, v]) => [k, String(k === "cpu" ? millicores(v) : quantityUnits(v))]).sort(([a], [b]) => a.localeCompare(b)));

/**
 * Where a node's status differs from what was created (kwok's node-initialize stage keeps a
 * status.capacity and status.allocatable it finds; a kwok whose stage wrote its own defaults
 * would make every fit meaningless): "" when both are as created.
 */
export function statusDrift(want: FakeNode, got: { capacity?: Record<string, string>; allocatable?: Record<string, string> } | undefined): string {
  const out: string[] = [];
  for (const field of ["capacity", "allocatable"] as const) {
    const a = JSON.stringify(asUnits(want[field]));
    const b = JSON.stringify(asUnits(got?.[field] ?? {}));
    if (a !== b) out.push(`${want.name}: status.${field} is ${b}, created as ${a}`);
  }
  return out.join("\n");
}

/** A pod that is not running yet, and why: its PodScheduled condition's message (the scheduler's reason). */
export interface PendingPod {
  readonly name: string;
  /** The scheduler tried and found no node (PodScheduled False, reason Unschedulable). */
  readonly unschedulable: boolean;
  readonly message: string;
}

interface PodShape {
  metadata: { name: string; namespace: string };
  spec?: { nodeName?: string };
  status?: { phase?: string; conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

/** Every Pending pod of the namespace, with the scheduler's message where it could not place one. */
export async function pendingPods(client: KubeClient, namespace: string): Promise<PendingPod[]> {
  const r = await client.request("GET", `/api/v1/namespaces/${namespace}/pods`);
  if (r.status !== 200) throw new Error(`listing pods of ${namespace}: ${statusMessage(r)}`);
  return (r.body as { items: PodShape[] }).items
    .filter((p) => (p.status?.phase ?? "Pending") === "Pending")
    .map((p) => {
      const scheduled = p.status?.conditions?.find((c) => c.type === "PodScheduled");
      const unschedulable = scheduled?.status === "False" && scheduled.reason === "Unschedulable";
      const message = unschedulable
        ? (scheduled.message ?? "(the scheduler gave no message)")
        : p.spec?.nodeName
          ? `scheduled on ${p.spec.nodeName}, not started yet`
          : `not scheduled yet${scheduled?.message ? `: ${scheduled.message}` : ""}`;
      return { name: `${p.metadata.namespace}/${p.metadata.name}`, unschedulable, message };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** One line per Pending pod: `pod <namespace>/<name> Pending: <why>`. */
export const pendingText = (pods: readonly PendingPod[]): string[] => pods.map((p) => `pod ${p.name} Pending: ${p.message}`);

/**
 * Whether a CRD is one an add-on Application brings (its crdSources entry names a served add-on): the
 * harness does not install those on the stages' clusters, Argo CD's sync of the add-on does.
 */
export function broughtByAddon(crd: Located, servedAddons: readonly string[], sources = toolVersions().crdSources): boolean {
  return sources.some((s) => s.addon !== undefined && servedAddons.includes(s.addon) && crd.file.startsWith(`${s.module}@${s.version}/`));
}

/** What every e2e cluster runs, found or built once per run (not once per scenario). */
export interface E2ePrograms {
  readonly scheduler: string;
  readonly controllerManager: string;
  readonly kwok: string;
  readonly rollouts: string;
  /** The kubectl plugin of the same Argo Rollouts release, whose `dashboard` command is the Rollouts dashboard. */
  readonly rolloutsPlugin: string;
  /** prometheus-operator at the add-on release (tools/prometheus-operator). */
  readonly prometheusOperator: string;
  /** The CRDs of every controller we target (tools/versions.json). */
  readonly crds: readonly Located[];
  /**
   * All of prometheus-operator's CRDs, as the release embeds them (`operator full-crds`): its install
   * brings ten, and its controllers wait for every informer's kind (Probe, ScrapeConfig, ...), not
   * only the four our objects use. Parsed on first use (about 0.8 s for 5 MB of YAML): the GitOps
   * e2e never asks, its add-on Application brings them.
   */
  operatorCrds(): readonly Located[];
  /**
   * kwok's stages: its own node-initialize and node-heartbeat-with-lease (the fake nodes renew
   * leases, --node-lease-duration-seconds), pod-ready and pod-delete, and our pod-complete
   * (kwok-pod-complete.yaml). Since v0.8.0 the kwok binary adds no default stage of a kind when
   * its configuration has stages of another (pkg/kwok/cmd/root.go): without the node stages the
   * nodes never become Ready. kwokctl adds the same two node stages (pkg/kwokctl/runtime/cluster.go).
   */
  readonly kwokStages: string;
}

export function e2ePrograms(): E2ePrograms {
  const stage = join(moduleDir("sigs.k8s.io/kwok", toolVersions().kwok.version), "kustomize", "stage");
  const stages = [
    join(stage, "node", "fast", "node-initialize.yaml"),
    join(stage, "node", "heartbeat-with-lease", "node-heartbeat-with-lease.yaml"),
    join(stage, "pod", "fast", "pod-ready.yaml"),
    join(stage, "pod", "fast", "pod-delete.yaml"),
    join(REPO, "harness", "e2e", "kwok-pod-complete.yaml"),
  ];
  const operator = prometheusOperator();
  let operatorCrds: Located[] | undefined;
  return {
    scheduler: kubeScheduler(),
    controllerManager: kubeControllerManager(),
    kwok: kwok(),
    rollouts: rolloutsController(),
    rolloutsPlugin: rolloutsPlugin(),
    prometheusOperator: operator,
    crds: targetCrds(),
    operatorCrds: () => (operatorCrds ??= parseFiles(new Map([["prometheus-operator full-crds", execFileSync(operator, ["full-crds"], { encoding: "utf8", maxBuffer: 64 << 20 })]]))),
    kwokStages: stages.map((f) => readFileSync(f, "utf8").trim()).join("\n---\n") + "\n",
  };
}

export interface E2eCluster {
  readonly cp: ControlPlane;
  /** Base URL of this cluster's Prometheus (what the AnalysisTemplates are pointed at). */
  readonly prometheusUrl: string;
  readonly prometheus: Managed;
  readonly rollouts: Managed;
  readonly fixture: Managed;
  /** Base URL of the latency fixture (`PUT /behaviour` changes a component's latency while it runs: fixture.ts). */
  readonly fixtureUrl: string;
  /** Copies the operator's configuration of the stage's Prometheus into the Prometheus process. */
  readonly config: ConfigSync;
  /**
   * The Rollouts dashboard's API root (`.../rollouts/api/v1`) when the cluster was started with
   * `dashboard`: the server behind the dashboard's buttons.
   */
  readonly dashboardApi?: string;
  /**
   * Waits until Prometheus runs the operator's configuration with a scrape job for each of
   * `podMonitors` (`namespace/name`) and at least `ruleFiles` rule files: what the operator makes
   * of the rendered objects once they are applied.
   */
  prometheusConfigured(podMonitors: readonly string[], ruleFiles: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startE2eCluster(programs: E2ePrograms, opts: {
  readonly name: string;
  readonly nodes: readonly FakeNode[];
  /**
   * The stage's rendered Prometheus (monitoring/prometheus-<stage>.yaml), which the real operator
   * configures the gate's Prometheus from once it is applied (by the scenario, or by Argo CD).
   */
  readonly prometheus: OperatorPrometheusRef;
  /** One per imitated component. */
  readonly fixtures: readonly Omit<FixtureConfig, "server" | "token" | "ca">[];
  /**
   * The CRDs the harness installs, standing in for the controllers' installs. @default programs.crds,
   * with prometheus-operator's own ten for its four; the GitOps e2e leaves out those its add-on
   * Applications bring.
   */
  readonly crds?: readonly Located[];
  /**
   * Run the Rollouts dashboard (`kubectl argo rollouts dashboard` of the pinned release) against
   * this cluster, as an operator does on a laptop. @default false
   */
  readonly dashboard?: boolean;
}): Promise<E2eCluster> {
  const cp = await startControlPlane();
  const extra: Managed[] = [];
  // Loops that start or feed processes: stopped before the processes.
  const stopFirst: (() => void)[] = [];
  const stop = async () => {
    for (const f of stopFirst) f();
    for (const p of [...extra].reverse()) await p.stop();
    await cp.stop();
  };
  try {
    const dir = cp.dir;
    const kc = cp.kubeconfig;
    const [schedPort, kcmPort, kwokPort, roMetrics, roHealth, promPort, operatorPort, dashboardPort] = await freePorts(8);
    const start = (name: string, bin: string, args: string[], env?: NodeJS.ProcessEnv) => {
      const m = new Managed(`${opts.name}/${name}`, bin, args, join(dir, `${name}.log`), env);
      extra.push(m);
      return m;
    };
    // Only what a Rollout's life needs: ReplicaSets make pods, Jobs run the analysis load,
    // service accounts must exist before a pod is admitted, owners' deletions cascade, and node
    // lifecycle lifts the not-ready taint admission puts on every new node once kwok reports it Ready.
    // For the GitOps e2e, whose Applications hold every kind of a stage and whose health Argo CD
    // reads from their status: Deployments (the OpenTelemetry Collector), PodDisruptionBudgets
    // (disruption writes their status), and the token controller, which fills a service account's
    // token Secret: `argocd cluster add` waits for one for Argo CD's own account on the cluster.
    // DaemonSets: the node agents' (a platform Application is Healthy only once they have rolled
    // out on their pools' nodes, and without the controller their status is never written).
    // StatefulSets: prometheus-operator runs the stage's Prometheus as one, and reports the
    // Prometheus Available (Argo CD's health for it) only once its pods are Ready.
    startNodeProcesses(cp, programs, ["deployment", "replicaset", "statefulset", "daemonset", "disruption", "job", "serviceaccount", "serviceaccount-token", "garbagecollector", "namespace", "nodelifecycle"], start, [schedPort!, kcmPort!, kwokPort!]);
    const rollouts = start("rollouts-controller", programs.rollouts, [`--kubeconfig=${kc}`, "--leader-elect=false", `--metricsPort=${roMetrics}`, `--healthzPort=${roHealth}`]);
    // The dashboard serves its UI and API under --root-path (default "rollouts"), its API as
    // rollout.proto's HTTP rules say (pkg/apiclient/rollout/rollout.proto, v1.10.2).
    const dashboardApi = opts.dashboard ? `http://127.0.0.1:${dashboardPort}/rollouts/api/v1` : undefined;
    if (opts.dashboard) start("rollouts-dashboard", programs.rolloutsPlugin, ["dashboard", `--kubeconfig=${kc}`, "--address=127.0.0.1", `--port=${dashboardPort}`]);

    // CRDs first (Argo Rollouts' and prometheus-operator's: a component folder holds a PodMonitor):
    // the Rollouts controller waits for them, and nothing else can be applied before. Where Argo CD
    // brings them instead, the controller's informers list again until they exist (client-go's
    // reflector retries a failed list with backoff) and it starts then.
    await installCrds(cp.client, opts.crds ?? [...programs.crds.filter((c) => !broughtByAddon(c, ["prometheus-operator"])), ...programs.operatorCrds()]);
    await createFakeNodes(cp, opts.nodes);

    const credentials = { server: cp.client.server, token: readFileSync(cp.tokenFile, "utf8"), ca: readFileSync(cp.caFile, "utf8") };
    const fixtureCfg: FixtureConfig[] = opts.fixtures.map((f) => ({ ...f, ...credentials }));
    writeFileSync(join(dir, "fixture.json"), JSON.stringify(fixtureCfg), { mode: 0o600 });
    // The fixture binds a port of the kernel's choosing and says which (see fixture-main.ts); Prometheus' configuration needs it.
    const fixture = start("latency-fixture", process.execPath, ["--import", "tsx", join(REPO, "harness", "e2e", "fixture-main.ts"), "0", join(dir, "fixture.json"), join(dir, "fixture.port")]);
    await waitFor(`${opts.name}: latency fixture's port`, async () => existsSync(join(dir, "fixture.port")), () => fixture.running, () => `--- latency-fixture ---\n${fixture.tail()}`);
    const fixturePort = Number(readFileSync(join(dir, "fixture.port"), "utf8"));
    mkdirSync(join(dir, "prometheus"));
    // Empty until the operator's configuration arrives (as the pod's init reloader waits for it);
    // --web.enable-lifecycle lets the sync reload it, as the config reloader does.
    writeFileSync(join(dir, "prometheus.yml"), stringify({ scrape_configs: [] }));
    const prometheus = start("prometheus", prometheusBin(), [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "prometheus")}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      "--web.enable-lifecycle",
      "--storage.tsdb.retention.time=1h",
    ]);
    const prometheusUrl = `http://127.0.0.1:${promPort}`;
    // The operator starts once its CRDs exist: it checks them at start-up and leaves a controller off
    // for good when its CRD is missing (cmd/operator/main.go checkPrerequisites). Where Argo CD brings
    // them, that is after this returns.
    let operatorProcess: Managed | undefined;
    const operator = whenCrdEstablished(cp.client, OPERATOR_CRD, () => {
      operatorProcess = start("prometheus-operator", programs.prometheusOperator, [
        `--web.listen-address=127.0.0.1:${operatorPort}`,
        // Kubelets' Service is for ServiceMonitors of kubelets, which we do not render.
        "--kubelet-service=",
      ], { ...process.env, KUBECONFIG: kc });
    });
    stopFirst.push(() => operator.stop());
    const config = startConfigSync(cp.client, opts.prometheus, join(dir, "prometheus.yml"), prometheusUrl, { kubeconfig: kc, fixtureAddress: `127.0.0.1:${fixturePort}`, rulesDir: join(dir, "prometheus-rules"), podName: `prometheus-${opts.prometheus.name}-0` });
    stopFirst.push(() => config.stop());

    const alive = () => extra.every((p) => p.running);
    const whoDied = () => extra.filter((p) => !p.running).map((p) => `--- ${p.name} ---\n${p.tail()}`).join("\n") || "(all running)";
    await waitFor(`${opts.name}: Prometheus`, async () => (await fetch(`${prometheusUrl}/-/ready`)).ok, alive, whoDied);
    await waitFor(`${opts.name}: latency fixture`, async () => (await fetch(`http://127.0.0.1:${fixturePort}/healthz`)).ok, alive, whoDied);
    await waitFor(`${opts.name}: Argo Rollouts controller`, async () => (await fetch(`http://127.0.0.1:${roHealth}/healthz`)).ok, alive, whoDied);
    await waitNodesReady(cp, opts.name, opts.nodes, alive, whoDied);
    if (dashboardApi) await waitFor(`${opts.name}: Rollouts dashboard`, async () => (await fetch(`${dashboardApi}/version`)).ok, alive, whoDied);
    const prometheusConfigured = async (podMonitors: readonly string[], ruleFiles: number, timeoutMs?: number) => {
      const want = podMonitors.map((m) => `podMonitor/${m}/`);
      await waitFor(
        `${opts.name}: Prometheus configured by prometheus-operator (${podMonitors.join(", ")}; ${ruleFiles} rule files)`,
        async () => want.every((w) => config.jobs().some((j) => j.startsWith(w))) && config.ruleFiles().length >= ruleFiles,
        alive,
        () => `${whoDied()}\nconfig sync: ${config.lastError() ?? "no error"}; jobs ${JSON.stringify(config.jobs())}\n--- prometheus-operator ---\n${operatorProcess?.tail(15) ?? `not started: no ${OPERATOR_CRD} yet`}`,
        timeoutMs,
      );
    };
    return { cp, prometheusUrl, prometheus, rollouts, fixture, fixtureUrl: `http://127.0.0.1:${fixturePort}`, config, prometheusConfigured, stop, ...(dashboardApi ? { dashboardApi } : {}) };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The CRD prometheus-operator's Prometheus controller needs at start-up. */
export const OPERATOR_CRD = "prometheuses.monitoring.coreos.com";

/** Calls `start` once, as soon as the CRD `name` is Established (polled every second until stopped). */
export function whenCrdEstablished(client: KubeClient, name: string, start: () => void): { started(): boolean; stop(): void } {
  let started = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    const r = await client.request("GET", `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`).catch(() => undefined);
    const conditions = (r?.status === 200 ? (r.body as { status?: { conditions?: { type: string; status: string }[] } }).status?.conditions : undefined) ?? [];
    if (stopped) return;
    if (conditions.some((c) => c.type === "Established" && c.status === "True")) {
      started = true;
      start();
      return;
    }
    timer = setTimeout(() => void tick(), 1000);
  };
  void tick();
  return { started: () => started, stop: () => { stopped = true; if (timer) clearTimeout(timer); } };
}

/**
 * What makes a control plane's fake nodes run pods: kube-scheduler, kube-controller-manager with
 * `controllers`, and kwok (fake nodes and a kubelet-like pod lifecycle), started through `start`
 * (which names, logs and stops them) on the three given ports.
 */
export function startNodeProcesses(cp: ControlPlane, programs: Pick<E2ePrograms, "scheduler" | "controllerManager" | "kwok" | "kwokStages">, controllers: readonly string[], start: (name: string, bin: string, args: string[]) => Managed, [schedPort, kcmPort, kwokPort]: readonly number[]): void {
  const dir = cp.dir;
  const kc = cp.kubeconfig;
  const served = ["--bind-address=127.0.0.1", `--authentication-kubeconfig=${kc}`, `--authorization-kubeconfig=${kc}`];
  start("kube-scheduler", programs.scheduler, [`--kubeconfig=${kc}`, "--leader-elect=false", `--secure-port=${schedPort}`, `--cert-dir=${join(dir, "scheduler-certs")}`, ...served]);
  start("kube-controller-manager", programs.controllerManager, [
    `--kubeconfig=${kc}`,
    "--leader-elect=false",
    `--controllers=${controllers.join(",")}`,
    `--service-account-private-key-file=${join(dir, "sa.key")}`,
    `--root-ca-file=${cp.caFile}`,
    `--secure-port=${kcmPort}`,
    `--cert-dir=${join(dir, "kcm-certs")}`,
    ...served,
  ]);
  writeFileSync(join(dir, "kwok-stages.yaml"), programs.kwokStages);
  start("kwok", programs.kwok, [
    `--kubeconfig=${kc}`,
    `--config=${join(dir, "kwok-stages.yaml")}`,
    "--manage-all-nodes=false",
    "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
    // Renew node Leases as a kubelet does. kwok only defaults this (to 40 s) when its config file
    // holds a KwokConfiguration; ours holds Stages only, and without leases kube-controller-manager
    // marks every node NotReady after its 40 s grace period and every pod unready with it.
    "--node-lease-duration-seconds=40",
    `--server-address=127.0.0.1:${kwokPort}`,
  ]);
}

/** Creates the fake nodes (kwok picks them up by their annotation). */
export async function createFakeNodes(cp: ControlPlane, nodes: readonly FakeNode[]): Promise<void> {
  for (const n of nodes) {
    const r = await cp.client.request("POST", "/api/v1/nodes", {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: n.name, labels: { [HOST_KEY]: n.name, ...n.labels }, annotations: { "kwok.x-k8s.io/node": "fake" } },
      spec: { taints: n.taints },
      status: { capacity: n.capacity, allocatable: n.allocatable },
    });
    if (r.status !== 201) throw new Error(`creating node ${n.name}: ${statusMessage(r)}`);
  }
}

/** Waits until kwok reports every node Ready, and fails if it changed a node's capacity or allocatable. */
export async function waitNodesReady(cp: ControlPlane, name: string, nodes: readonly FakeNode[], alive: () => boolean, whoDied: () => string): Promise<void> {
  type NodeStatus = { capacity?: Record<string, string>; allocatable?: Record<string, string>; conditions?: { type: string; status: string }[] };
  let ready: { metadata: { name: string }; status?: NodeStatus }[] = [];
  await waitFor(
    `${name}: kwok nodes Ready`,
    async () => {
      const r = await cp.client.request("GET", "/api/v1/nodes");
      ready = (r.body as { items: typeof ready }).items;
      return ready.length === nodes.length && ready.every((n) => n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
    },
    alive,
    whoDied,
  );
  // kwok initialised every node by now: its status must still be the machine's, or no fit here means anything.
  const drift = nodes.map((n) => statusDrift(n, ready.find((x) => x.metadata.name === n.name)?.status)).filter(Boolean);
  if (drift.length) throw new Error(`${name}: kwok changed the nodes' status:\n${drift.join("\n")}`);
}
