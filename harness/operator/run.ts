/**
 * The BitActor operator as its image runs it, beside a loopback control plane: the image's own node
 * binary and bundle (toolchain/operator-image.ts), unpacked from the image, run on the host as the
 * rendered account, so what is judged is what ships and what the render grants. Used by
 * test/operator.test.ts (a stand-in Prometheus) and npm run e2e:operator (the stage's real one).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Located } from "../../lib/objects.ts";
import { writeLayout, type OciImage } from "../../toolchain/oci.ts";
import { buildOperatorImage, imageInputs } from "../../toolchain/operator-image.ts";
import { operatorNames } from "../../generators/constructs/operator-access.ts";
import { KubeClient, serviceAccountToken, statusMessage } from "../cluster/client.ts";
import type { ControlPlane } from "../cluster/control-plane.ts";
import { Managed, freePorts } from "../cluster/process.ts";

/**
 * The image as a runtime sees it: its OCI layout in `dir/layout`, and its layers unpacked in order by
 * GNU tar (another implementation than the writer's) into `dir/root`, owners and modes kept (root only).
 */
export function unpackImage(image: OciImage, dir: string): { readonly layout: string; readonly root: string } {
  const layout = join(dir, "layout");
  const root = join(dir, "root");
  writeLayout(image, layout);
  mkdirSync(root, { recursive: true });
  for (const l of image.layers) execFileSync("tar", ["-xf", join(layout, "blobs", "sha256", l.digest.slice("sha256:".length)), "-C", root, "--same-owner", "--same-permissions"]);
  return { layout, root };
}

/**
 * Builds the operator's image (from the download cache when warm) and unpacks it under `dir`: its
 * root, its digest and its tag, and whether the digest is the one operator/image.json records (it
 * is not while operator/ has uncommitted changes).
 */
export async function operatorRuntime(dir: string): Promise<{ readonly root: string; readonly digest: string; readonly tag: string; readonly recorded: boolean }> {
  const image = await buildOperatorImage();
  return { root: unpackImage(image, dir).root, digest: image.digest, tag: image.tag, recorded: image.digest === imageInputs().digest };
}

/** How a run names the operator it runs: tag, short digest, and whether it is the recorded one. */
export const imageText = (image: { readonly tag: string; readonly digest: string; readonly recorded: boolean }): string =>
  `${image.tag}@${image.digest.slice(0, 19)}… (${image.recorded ? "the digest operator/image.json records" : "NOT the recorded digest: operator/ has changes not pinned"})`;

/** Kinds of the operator's platform objects that are not its access: its monitoring and its pods. */
const NOT_ACCESS = new Set(["PodMonitor", "PrometheusRule", "Deployment", "PodDisruptionBudget", "NetworkPolicy"]);
/** The order its access is created in: a binding's role and account exist before it. */
const ACCESS_ORDER = ["Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"];

/**
 * The operator's rendered access among a stage's platform objects (constructs/operator-access.ts):
 * its namespace, account, ClusterRole and binding, its Roles and bindings in its own namespace, the
 * stage's and the Events namespace. Not its monitoring (PodMonitor, rule, the stage Prometheus'
 * Role) nor its pods (the Deployment, its budget, its namespace's policies): a harness runs the
 * program itself.
 */
export function operatorAccess(platform: readonly Located[], stage: string): Located[] {
  const ns = operatorNames.namespace(stage);
  const picked = platform.filter(({ object: o }) => {
    if (NOT_ACCESS.has(o.kind) || o.metadata.name === `${stage}-prometheus`) return false;
    return o.metadata.namespace === ns || o.metadata.name === ns || o.metadata.name === operatorNames.clusterRole(stage) || (o.metadata.namespace === stage && o.metadata.name === operatorNames.stageRole) || o.metadata.name === operatorNames.eventsRole;
  });
  return ACCESS_ORDER.flatMap((kind) => picked.filter((o) => o.object.kind === kind));
}

/** What a harness needs to run replicas as the rendered account. */
export interface OperatorGrant {
  /** A kubeconfig with the account's token (and `server` when given: a proxy in front of the API server). */
  readonly kubeconfig: string;
  /** The account's own client, for what it must be refused. */
  readonly client: KubeClient;
}

/**
 * Creates the operator's access (`operatorAccess`, in order) and a kubeconfig that authenticates as
 * its service account (`operatorCredentials`). `server`: another address serving the API server's
 * certificate.
 */
export async function grantOperator(cp: ControlPlane, access: readonly Located[], stage: string, server?: string): Promise<OperatorGrant> {
  const api = cp.client;
  for (const { file, object } of access) {
    const r = await api.request("POST", await api.collectionPath(object), object);
    if (r.status !== 201) throw new Error(`${file}: ${object.kind} ${object.metadata.name} was refused: ${statusMessage(r)}`);
  }
  return operatorCredentials(cp, stage, server);
}

/**
 * A kubeconfig that authenticates as the operator's service account (created already, by
 * `grantOperator` or by Argo CD's sync) with a bound token, as the kubelet mounts one in its pod.
 * client-node reads a token file only as `token-file`: the token is inline.
 */
export async function operatorCredentials(cp: ControlPlane, stage: string, server?: string): Promise<OperatorGrant> {
  const api = cp.client;
  const ns = operatorNames.namespace(stage);
  const token = await serviceAccountToken(api, ns, operatorNames.account);
  const config = JSON.parse(readFileSync(cp.kubeconfig, "utf8")) as { clusters: { cluster: { server: string } }[]; users: { user: unknown }[] };
  if (server) config.clusters[0]!.cluster.server = server;
  config.users[0]!.user = { token };
  const kubeconfig = join(cp.dir, `operator-kubeconfig-${stage}`);
  writeFileSync(kubeconfig, JSON.stringify(config), { mode: 0o600 });
  return { kubeconfig, client: new KubeClient(api.server, token, readFileSync(cp.caFile, "utf8")) };
}

/** One running replica. */
export interface OperatorReplica {
  readonly identity: string;
  readonly proc: Managed;
  /** Its /metrics URL. */
  readonly metrics: string;
}

/**
 * Starts one replica with the environment its Deployment sets (operator/src/main.ts). --expose-gc
 * lets /metrics report the live heap after a full collection (operator/src/metrics.ts), so a
 * memory figure is not garbage awaiting collection.
 */
export async function startOperatorReplica(opts: { readonly root: string; readonly kubeconfig: string; readonly stage: string; readonly prometheusUrl: string; readonly identity: string; readonly logDir: string }): Promise<OperatorReplica> {
  const [port] = await freePorts(1);
  const proc = new Managed(opts.identity, join(opts.root, "nodejs/bin/node"), ["--expose-gc", join(opts.root, "app/operator.mjs")], join(opts.logDir, `${opts.identity}.log`), {
    ...process.env,
    KUBECONFIG: opts.kubeconfig,
    BITACTOR_CLUSTER: opts.stage,
    PROMETHEUS_URL: opts.prometheusUrl,
    POD_NAMESPACE: operatorNames.namespace(opts.stage),
    POD_NAME: opts.identity,
    METRICS_ADDRESS: `127.0.0.1:${port}`,
  });
  return { identity: opts.identity, proc, metrics: `http://127.0.0.1:${port}/metrics` };
}

/** A replica's own figures, from its /metrics. */
export interface OperatorFigures {
  readonly text: string;
  readonly rss: number;
  /** Live heap after a full collection (bytes). */
  readonly heap: number;
  readonly reconciles: number;
}

export async function scrapeOperator(o: { readonly metrics: string }): Promise<OperatorFigures> {
  const text = await (await fetch(o.metrics)).text();
  const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text)?.[1]);
  return { text, rss: value("process_resident_memory_bytes"), heap: value("nodejs_heap_used_bytes"), reconciles: value('bitactor_operator_reconciles_total\\{result="success"\\}') };
}
