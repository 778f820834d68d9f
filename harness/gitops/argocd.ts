import { chmodSync, copyFileSync, mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import type { ControlPlane } from "../cluster/control-plane.ts";
import { statusMessage } from "../cluster/client.ts";
import { Managed, freePorts, waitFor } from "../cluster/process.ts";
import { argocd as argocdBin, helm, kustomize } from "../../toolchain/cluster.ts";
import { moduleDir } from "../../toolchain/build.ts";
import { toolVersions } from "../../lib/versions.ts";

/**
 * A real Argo CD on a management cluster, run the way its install manifest runs it but as local
 * processes: Redis, the repo-server, the application controller, the applicationset controller and
 * the API server (one binary, dispatched on its name, cmd/main.go); the UI's assets are not built.
 *
 * This stands in for "install Argo CD" (install.yaml of the same release): the ConfigMap and Secret
 * that manifest creates, with the labels the controllers look for, plus the health overrides named
 * in HEALTH_OVERRIDES. Everything after that is the README's bootstrap, done with kubectl.
 */

export interface ArgoCd {
  readonly namespace: string;
  /** host:port of the API server (TLS, self-signed): what ARGOCD_SERVER names for the CLI. */
  readonly server: string;
  /** Directory holding the binary under each of its names (for PATH). */
  readonly binDir: string;
  readonly processes: readonly Managed[];
  /** The last log lines of every Argo CD process, for a failure report. */
  logs(lines?: number): string;
  stop(): Promise<void>;
}

/**
 * Health checks for kinds whose controllers do not run in this harness, and only those. Argo CD's
 * own checks (resource_customizations/) would wait forever for a status no controller writes:
 *   - karpenter.sh/NodePool, karpenter.k8s.aws/EC2NodeClass: Karpenter needs an AWS account to
 *     reconcile them (its Ready condition reports the EC2 calls); here there is none. The objects
 *     still pass the real API server with Karpenter's CRDs, CEL rules included, before they count.
 * Kinds with no health check at all (PodMonitor, PrometheusRule, PeerAuthentication,
 * NetworkAttachmentDefinition, Velero's) do not count for an Application's health in Argo CD either
 * way, so they need no override. BitActorCluster's is ours (engine/addons.yaml, in the argocd-cm Argo
 * CD's own Application syncs) and needs none either: the operator runs here where a stage pins it
 * (operator-pods.ts). Rollouts, Deployments, Services, CRDs keep Argo CD's own checks: their
 * controllers run here.
 */
export const HEALTH_OVERRIDES: Readonly<Record<string, string>> = {
  "karpenter.sh_NodePool": 'hs = {}\nhs.status = "Healthy"\nhs.message = "harness: no Karpenter (no AWS account); accepted by the API server with its CRD"\nreturn hs\n',
  "karpenter.k8s.aws_EC2NodeClass": 'hs = {}\nhs.status = "Healthy"\nhs.message = "harness: no Karpenter (no AWS account); accepted by the API server with its CRD"\nreturn hs\n',
};

/** The Argo CD module directory (its hack/ scripts stand in for the image's /usr/local/bin). */
function argocdModule(): string {
  const v = toolVersions().crdSources.find((c) => c.module === "github.com/argoproj/argo-cd/v3")!;
  return moduleDir(v.module, v.version);
}

async function must(cp: ControlPlane, method: string, path: string, body: unknown): Promise<void> {
  const r = await cp.client.request(method, path, body);
  if (r.status < 200 || r.status > 299) throw new Error(`${method} ${path}: ${statusMessage(r)}`);
}

export async function startArgoCd(cp: ControlPlane, opts: { readonly namespace: string; readonly dir: string }): Promise<ArgoCd> {
  const ns = opts.namespace;
  const bin = argocdBin();
  const dir = join(opts.dir, "argocd");
  mkdirSync(join(dir, "bin"), { recursive: true });
  // The multi-call binary picks its role from argv[0]; the image links each name to it.
  for (const name of ["argocd-application-controller", "argocd-repo-server", "argocd-applicationset-controller", "argocd-server", "argocd"]) symlinkSync(bin, join(dir, "bin", name));
  // The repo-server renders the add-ons' kustomizations and charts with these, as its image does
  // (Dockerfile: /usr/local/bin/helm and kustomize, at hack/tool-versions.sh's versions).
  symlinkSync(helm(), join(dir, "bin", "helm"));
  symlinkSync(kustomize(), join(dir, "bin", "kustomize"));
  // The repo-server runs git through these wrappers, which its image puts on PATH (hack/ in the module).
  // Copied, not linked: the Go module cache keeps files read-only and not executable, and a wrapper
  // that cannot run fails every manifest generation with a bare "permission denied".
  for (const script of ["git-verify-wrapper.sh", "gpg-wrapper.sh", "git-ask-pass.sh"]) {
    copyFileSync(join(argocdModule(), "hack", script), join(dir, "bin", script));
    chmodSync(join(dir, "bin", script), 0o755);
  }

  await must(cp, "POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  const partOf = { "app.kubernetes.io/part-of": "argocd" };
  await must(cp, "POST", `/api/v1/namespaces/${ns}/configmaps`, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "argocd-cm", namespace: ns, labels: { ...partOf, "app.kubernetes.io/name": "argocd-cm" } },
    data: Object.fromEntries(Object.entries(HEALTH_OVERRIDES).map(([k, lua]) => [`resource.customizations.health.${k}`, lua])),
  });
  await must(cp, "POST", `/api/v1/namespaces/${ns}/secrets`, {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "argocd-secret", namespace: ns, labels: { ...partOf, "app.kubernetes.io/name": "argocd-secret" } },
    stringData: { "server.secretkey": randomBytes(32).toString("base64") },
  });

  const [redisPort, repoPort, repoMetrics, ctrlMetrics, appsetMetrics, appsetProbe, appsetWebhook, serverPort, serverMetrics] = await freePorts(9);
  const processes: Managed[] = [];
  const stop = async () => {
    for (const p of [...processes].reverse()) await p.stop();
  };
  const env = (name: string): NodeJS.ProcessEnv => {
    mkdirSync(join(dir, name, "tmp"), { recursive: true });
    return {
      PATH: `${join(dir, "bin")}:${process.env.PATH}`,
      HOME: join(dir, name),
      TMPDIR: join(dir, name, "tmp"),
      ARGOCD_GPG_ENABLED: "false",
      ARGOCD_ASK_PASS_SOCK: join(dir, name, "askpass.sock"),
      // Out of cluster: "in-cluster" (https://kubernetes.default.svc) is the cluster KUBECONFIG names.
      ARGOCD_FAKE_IN_CLUSTER: "true",
      KUBECONFIG: cp.kubeconfig,
    };
  };
  const start = (name: string, command: string, args: string[]) => {
    const m = new Managed(`argocd/${name}`, command, args, join(dir, `${name}.log`), env(name));
    processes.push(m);
    return m;
  };
  const redis = `127.0.0.1:${redisPort}`;
  try {
    start("redis", "redis-server", ["--bind", "127.0.0.1", "--port", String(redisPort), "--save", "", "--appendonly", "no"]);
    start("repo-server", join(dir, "bin", "argocd-repo-server"), [
      "--address=127.0.0.1", `--port=${repoPort}`, "--metrics-address=127.0.0.1", `--metrics-port=${repoMetrics}`, `--redis=${redis}`,
      // Plain gRPC on loopback; its default CA path is a file inside the image.
      "--disable-tls", "--client-ca-path=",
      // A webhook's refresh resolves main past this cache (push-webhook.ts); the 3 s (default
      // 3 minutes) are for the poll, so a commit whose webhook failed is seen at the next one.
      "--revision-cache-expiration=3s",
      "--loglevel=info",
    ]);
    start("application-controller", join(dir, "bin", "argocd-application-controller"), [
      `--kubeconfig=${cp.kubeconfig}`, `--namespace=${ns}`, `--redis=${redis}`,
      `--repo-server=127.0.0.1:${repoPort}`, "--repo-server-plaintext", `--metrics-port=${ctrlMetrics}`,
      // Commits reach it by the push webhook (push-webhook.ts), as in a real install; the poll is
      // the fallback. Every 5 s, as before the webhook, it compared all 44 Applications' 581
      // objects and was the run's busiest program after the API servers (about 0.6 of a core); 60 s
      // is half Argo CD's default (timeout.reconciliation, 120 s), so a sync that failed to compare
      // (a repository not yet readable) is retried within a minute.
      "--app-resync=60", "--app-resync-jitter=0",
      "--loglevel=info",
    ]);
    start("applicationset-controller", join(dir, "bin", "argocd-applicationset-controller"), [
      `--kubeconfig=${cp.kubeconfig}`, `--namespace=${ns}`, `--argocd-repo-server=127.0.0.1:${repoPort}`, "--repo-server-plaintext",
      `--metrics-addr=127.0.0.1:${appsetMetrics}`, `--probe-addr=127.0.0.1:${appsetProbe}`, `--webhook-addr=127.0.0.1:${appsetWebhook}`,
      "--enable-leader-election=false", "--loglevel=info",
    ]);
    // The API server the argocd CLI talks to (argocd login, cluster add, app list). Its TLS
    // certificate is the self-signed one it makes at first start, and it writes the initial admin
    // password to argocd-initial-admin-secret, as in a fresh install.
    mkdirSync(join(dir, "static"), { recursive: true });
    start("server", join(dir, "bin", "argocd-server"), [
      `--kubeconfig=${cp.kubeconfig}`, `--namespace=${ns}`, `--redis=${redis}`,
      `--repo-server=127.0.0.1:${repoPort}`, "--repo-server-plaintext",
      "--address=127.0.0.1", `--port=${serverPort}`, "--metrics-address=127.0.0.1", `--metrics-port=${serverMetrics}`,
      `--staticassets=${join(dir, "static")}`, "--loglevel=info",
    ]);
    const alive = () => processes.every((p) => p.running);
    const whoDied = () => processes.filter((p) => !p.running).map((p) => `--- ${p.name} ---\n${p.tail()}`).join("\n") || "(all running)";
    await waitFor("Argo CD application controller", async () => (await fetch(`http://127.0.0.1:${ctrlMetrics}/metrics`)).ok, alive, whoDied);
    await waitFor("Argo CD applicationset controller", async () => (await fetch(`http://127.0.0.1:${appsetMetrics}/metrics`)).ok, alive, whoDied);
    await waitFor("Argo CD repo-server", async () => (await fetch(`http://127.0.0.1:${repoMetrics}/metrics`)).ok, alive, whoDied);
    await waitFor("Argo CD API server", async () => (await fetch(`http://127.0.0.1:${serverMetrics}/metrics`)).ok, alive, whoDied);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    namespace: ns,
    server: `127.0.0.1:${serverPort}`,
    binDir: join(dir, "bin"),
    processes,
    logs: (lines = 20) => processes.map((p) => `--- ${p.name} ---\n${p.tail(lines)}`).join("\n"),
    stop,
  };
}
