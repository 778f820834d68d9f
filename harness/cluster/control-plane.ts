import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeClient } from "./client.ts";
import { Managed, freePorts, removeOnExit, waitFor } from "./process.ts";
import { etcd, kubeApiserver } from "../../toolchain/cluster.ts";

/**
 * A real, throw-away Kubernetes control plane on loopback: etcd and a kube-apiserver, both built
 * from the Go module proxy at the versions tools/versions.json pins, with a temporary data dir, a self-signed serving
 * certificate, and one static admin token (group system:masters, RBAC on). `stop()` ends both
 * processes and deletes every file it made.
 */
/**
 * How long a kube-apiserver may take to answer /readyz. Not the default 90 s: in a fresh-clone CI
 * (2 cores, 7 December 2026) one of the gate e2e's ten API servers, started beside the GitOps e2e's
 * four and Argo CD, was still not ready at 90 s. Waiting longer hides no ordering bug: nothing else
 * starts until it answers.
 */
export const API_SERVER_READY_MS = 240_000;

export interface ControlPlane {
  readonly client: KubeClient;
  /** Where etcd data, keys and logs live until `stop()`. */
  readonly dir: string;
  readonly processes: readonly Managed[];
  /** A kubeconfig with the admin token and the server's CA, for other programs that join this cluster. */
  readonly kubeconfig: string;
  /** The admin token in a file (for programs that take a credentials file, such as Prometheus). */
  readonly tokenFile: string;
  /** The API server's self-signed serving certificate, to trust as CA. */
  readonly caFile: string;
  /** Its private key (for a stand-in that serves as the API server, such as harness/cluster/watch-proxy.ts). */
  readonly keyFile: string;
  /**
   * Stops the kube-apiserver and starts it again on the same port, certificate and etcd (etcd keeps
   * running): every watch breaks, as when a managed control plane is upgraded or fails over.
   */
  restartApiServer(): Promise<void>;
  /**
   * Compacts etcd's history up to its current revision, as the API server itself does every 5
   * minutes (`--etcd-compaction-interval`); returns that revision. A watch that asks etcd for an
   * older resource version is then answered 410 Gone (apiserver pkg/storage/etcd3/watcher.go).
   */
  compactEtcd(): Promise<number>;
  stop(): Promise<void>;
}

export interface ControlPlaneOptions {
  /**
   * Extra kube-apiserver flags, e.g. `--watch-cache-sizes=nodes#0`: nodes then watched straight from
   * etcd, so a compaction expires their watches (with the watch cache the API server serves watches
   * from memory and a compaction expires none).
   */
  readonly apiServerArgs?: readonly string[];
}

/** Another program can take a port between our probe and the server's bind; then we try new ones. */
const PORT_TAKEN = /address already in use/;
const ATTEMPTS = 3;

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const etcdBin = etcd();
  const apiserverBin = kubeApiserver();
  for (let attempt = 1; ; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), "bitactor-apiserver-"));
    const cleanup = removeOnExit(dir);
    const processes: Managed[] = [];
    const stop = async () => {
      for (const p of [...processes].reverse()) await p.stop();
      rmSync(dir, { recursive: true, force: true });
      cleanup.release();
    };
    try {
      const { client, restartApiServer, compactEtcd } = await start(dir, processes, etcdBin, apiserverBin, options.apiServerArgs ?? []);
      return { client, dir, processes, stop, restartApiServer, compactEtcd, ...writeCredentials(dir, client) };
    } catch (e) {
      const portTaken = processes.some((p) => !p.running && PORT_TAKEN.test(p.tail(40)));
      await stop();
      if (!portTaken || attempt === ATTEMPTS) throw e;
    }
  }
}

async function start(dir: string, processes: Managed[], etcdBin: string, apiserverBin: string, extraArgs: readonly string[]): Promise<{ client: KubeClient; restartApiServer(): Promise<void>; compactEtcd(): Promise<number> }> {
  const [clientPort, peerPort, securePort] = await freePorts(3);
  const etcdUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const etcdProc = new Managed("etcd", etcdBin, [
    `--data-dir=${join(dir, "etcd")}`,
    `--listen-client-urls=${etcdUrl}`,
    `--advertise-client-urls=${etcdUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=default=${peerUrl}`,
    // Single member on a temp dir: durability buys nothing here and fsync dominates start-up.
    "--unsafe-no-fsync",
  ], join(dir, "etcd.log"));
  processes.push(etcdProc);
  await waitFor("etcd", async () => (await fetch(`${etcdUrl}/health`)).ok, () => etcdProc.running, () => etcdProc.tail());

  // Service-account tokens need a signing key even though nothing here uses them.
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  writeFileSync(join(dir, "sa.key"), privateKey.export({ type: "pkcs1", format: "pem" }));
  const token = randomBytes(24).toString("hex");
  writeFileSync(join(dir, "tokens.csv"), `${token},admin,admin,"system:masters"\n`, { mode: 0o600 });
  writeFileSync(join(dir, "token"), token, { mode: 0o600 });
  const certDir = join(dir, "certs");
  const apiArgs = [
    `--etcd-servers=${etcdUrl}`,
    "--bind-address=127.0.0.1",
    "--advertise-address=127.0.0.1",
    `--secure-port=${securePort}`,
    `--cert-dir=${certDir}`,
    `--token-auth-file=${join(dir, "tokens.csv")}`,
    "--authorization-mode=RBAC",
    `--service-account-key-file=${join(dir, "sa.key")}`,
    `--service-account-signing-key-file=${join(dir, "sa.key")}`,
    "--service-account-issuer=https://kubernetes.default.svc",
    "--service-cluster-ip-range=10.96.0.0/16",
    "--profiling=false",
    // As on EKS, GKE and AKS, whose own node DaemonSets (kube-proxy, CNI agents) are privileged: the
    // flag defaults to false, and which namespace may run such pods is Pod Security admission's call.
    "--allow-privileged=true",
    ...extraArgs,
  ];
  let client: KubeClient | undefined;
  const launch = async () => {
    const api = new Managed("kube-apiserver", apiserverBin, apiArgs, join(dir, "kube-apiserver.log"));
    processes.push(api);
    // The checks /readyz last failed, to say why when it never gets there.
    let failing = "";
    await waitFor(
      "kube-apiserver",
      async () => {
        client ??= new KubeClient(`https://127.0.0.1:${securePort}`, token, readFileSync(join(certDir, "apiserver.crt"), "utf8"));
        const ready = await client.request("GET", "/readyz?verbose");
        failing = String(ready.body).split("\n").filter((l) => l.startsWith("[-]")).join("\n");
        return ready.status === 200;
      },
      () => api.running && etcdProc.running,
      () => `/readyz failing: ${failing || "(no answer)"}\n${api.tail()}\n--- etcd ---\n${etcdProc.tail(5)}`,
      API_SERVER_READY_MS,
    );
    return api;
  };
  let api = await launch();
  return {
    client: client!,
    async restartApiServer() {
      await api.stop();
      processes.splice(processes.indexOf(api), 1);
      api = await launch();
    },
    async compactEtcd() {
      // etcd's JSON gateway (etcd.io/docs/v3.6/dev-guide/api_grpc_gateway): any range answers with the store's revision.
      const post = async (path: string, body: unknown) => {
        const r = await fetch(`${etcdUrl}${path}`, { method: "POST", body: JSON.stringify(body) });
        if (!r.ok) throw new Error(`etcd ${path}: HTTP ${r.status} ${await r.text()}`);
        return (await r.json()) as { header?: { revision?: string } };
      };
      const revision = Number((await post("/v3/kv/range", { key: Buffer.from("/").toString("base64") })).header?.revision);
      await post("/v3/kv/compaction", { revision: String(revision), physical: true });
      return revision;
    },
  };
}

function writeCredentials(dir: string, client: KubeClient): { kubeconfig: string; tokenFile: string; caFile: string; keyFile: string } {
  const caFile = join(dir, "certs", "apiserver.crt");
  const keyFile = join(dir, "certs", "apiserver.key");
  const tokenFile = join(dir, "token");
  const kubeconfig = join(dir, "kubeconfig");
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "local", cluster: { server: client.server, "certificate-authority": caFile } }],
    users: [{ name: "admin", user: { tokenFile } }],
    contexts: [{ name: "local", context: { cluster: "local", user: "admin" } }],
    "current-context": "local",
  };
  writeFileSync(kubeconfig, JSON.stringify(config, null, 2), { mode: 0o600 });
  return { kubeconfig, tokenFile, caFile, keyFile };
}
