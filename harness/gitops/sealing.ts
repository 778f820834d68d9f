import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { Managed, freePorts } from "../cluster/process.ts";
import type { ControlPlane } from "../cluster/control-plane.ts";
import { serviceAccountToken } from "../cluster/client.ts";

/**
 * The management cluster's sealing key in the GitOps e2e, and the sealed-secrets controller that
 * holds it, as a team runs them: the key is made once and kept outside the cluster (a vault), the
 * repository credentials are sealed with its certificate and committed, and every bootstrap of the
 * management cluster, a rebuild included, applies the key before the controller starts
 * (sealed-secrets docs/bring-your-own-certificates.md), so what git holds still decrypts.
 */

/** The label the controller finds its keys by (bring-your-own-certificates.md; pkg/controller SealedSecretsKeyLabel). */
export const SEALING_KEY_LABEL = "sealedsecrets.bitnami.com/sealed-secrets-key";

export interface SealingKey {
  /** The certificate kubeseal seals with (`--cert`). */
  readonly certFile: string;
  /** The key as the Secret a bootstrap applies (kubernetes.io/tls in the controller's namespace, labelled active). */
  readonly secretFile: string;
}

/**
 * A fresh 4096-bit RSA key and its self-signed certificate, as bring-your-own-certificates.md makes
 * them (4096 bits: the controller's own default, `--key-size`), written as the Secret to apply.
 */
export function createSealingKey(dir: string, namespace: string): SealingKey {
  mkdirSync(dir, { recursive: true });
  const keyFile = join(dir, "sealing.key");
  const certFile = join(dir, "sealing.crt");
  execFileSync("openssl", ["req", "-x509", "-days", "2", "-nodes", "-newkey", "rsa:4096", "-keyout", keyFile, "-out", certFile, "-subj", "/CN=sealed-secret/O=sealed-secret"], { stdio: "ignore" });
  const secretFile = join(dir, "sealing-key.yaml");
  writeFileSync(secretFile, stringify({
    apiVersion: "v1",
    kind: "Secret",
    type: "kubernetes.io/tls",
    metadata: { name: "sealing-key-e2e", namespace, labels: { [SEALING_KEY_LABEL]: "active" } },
    data: { "tls.crt": readFileSync(certFile).toString("base64"), "tls.key": readFileSync(keyFile).toString("base64") },
  }), { mode: 0o600 });
  rmSync(keyFile);
  return { certFile, secretFile };
}

interface DeploymentShape {
  spec?: { template?: { spec?: { serviceAccountName?: string; containers?: { args?: string[] }[] } } };
}

export interface ControllerPod {
  /** Whether the program runs (it starts once Argo CD has synced its Deployment). */
  readonly started: () => boolean;
  stop(): Promise<void>;
}

/**
 * The kubelet's part for the management cluster's sealed-secrets controller: kwok's pods run no
 * program, so once Argo CD has synced the controller's Deployment (`management-sealed-secrets`),
 * this runs the controller binary of the release the add-on pins with the Deployment's own
 * arguments and the token of the account it names, as its pod would. The controller reads its
 * cluster only as a pod does (rest.InClusterConfig: the service account files under
 * /var/run/secrets/kubernetes.io/serviceaccount and KUBERNETES_SERVICE_HOST/PORT; it has no
 * kubeconfig flag), so it runs in its own user and mount namespaces (unshare(1); no root needed
 * where unprivileged user namespaces are allowed, as on Debian) whose /run is a folder of this run
 * holding those files; the machine's own /run is not touched. Its HTTP ports move to free loopback
 * ones (a pod has its own network namespace).
 */
export function runSealedSecretsController(cp: ControlPlane, binary: string, namespace: string, deployment: string, dir: string, log: (line: string) => void): ControllerPod {
  let proc: Managed | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    if (stopped) return;
    try {
      const r = await cp.client.request("GET", `/apis/apps/v1/namespaces/${namespace}/deployments/${deployment}`);
      if (r.status === 200) {
        const spec = (r.body as DeploymentShape).spec?.template?.spec;
        const account = spec?.serviceAccountName ?? "default";
        // /var/run is /run: this folder is the controller's /run.
        const run = join(dir, "run");
        const sa = join(run, "secrets", "kubernetes.io", "serviceaccount");
        mkdirSync(sa, { recursive: true });
        writeFileSync(join(sa, "token"), await serviceAccountToken(cp.client, namespace, account), { mode: 0o600 });
        writeFileSync(join(sa, "ca.crt"), readFileSync(cp.caFile));
        writeFileSync(join(sa, "namespace"), namespace);
        const [http, metrics] = await freePorts(2);
        const args = [...(spec?.containers?.[0]?.args ?? []), "--listen-addr", `127.0.0.1:${http}`, "--listen-metrics-addr", `127.0.0.1:${metrics}`];
        const server = new URL(cp.client.server);
        const quoted = [run, binary, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`);
        proc = new Managed("management/sealed-secrets-controller", "unshare", ["--user", "--map-root-user", "--mount", "sh", "-c", `mount --bind ${quoted[0]} /run && exec ${quoted.slice(1).join(" ")}`], join(dir, "sealed-secrets-controller.log"), {
          PATH: process.env.PATH,
          KUBERNETES_SERVICE_HOST: server.hostname,
          KUBERNETES_SERVICE_PORT: server.port,
          POD_NAMESPACE: namespace,
        });
        log(`management: Argo CD synced the sealed-secrets controller's Deployment; its program runs as the pod would (account ${namespace}/${account}, args ${args.join(" ")})`);
        return;
      }
    } catch (e) {
      log(`management: the sealed-secrets controller could not start yet (${(e as Error).message}); trying again`);
    }
    if (!stopped) timer = setTimeout(() => void tick(), 2000);
  };
  void tick();
  return {
    started: () => proc !== undefined,
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await proc?.stop();
    },
  };
}
