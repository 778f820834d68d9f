/**
 * The kubelet's part for the BitActor operator in the GitOps e2e: kwok's pods run no program, so
 * where Argo CD has synced a stage's operator Deployment (the region file pins the operator), this
 * runs the program the Deployment names, as the pod would: one replica of the image the harness
 * built (harness/operator/run.ts), only when the Deployment pins that image's digest, with a token
 * of the account Argo CD synced, against the stage's API server and its Prometheus. Argo CD then
 * reads the operator's verdict through argocd-cm's BitActorCluster health check, as in a cluster.
 */
import { operatorNames } from "../../generators/constructs/operator-access.ts";
import { operatorCredentials, startOperatorReplica, type OperatorReplica } from "../operator/run.ts";
import type { StageCluster } from "./platform.ts";

const POLL_MS = 2000;

interface DeploymentShape {
  spec?: { template?: { spec?: { containers?: { image?: string }[] } } };
}

export interface OperatorPods {
  stop(): Promise<void>;
}

/**
 * Watches each stage for the operator's Deployment and starts the operator once it exists and pins
 * `image.digest`; a Deployment that pins another digest is reported once (`log`) and not run: the
 * harness has only the image it built.
 */
export function runSyncedOperators(stages: readonly StageCluster[], image: { readonly root: string; readonly digest: string }, log: (line: string) => void): OperatorPods {
  const running: { stage: string; replica: OperatorReplica }[] = [];
  const reported = new Set<string>();
  let stopped = false;
  const timers: NodeJS.Timeout[] = [];
  for (const s of stages) {
    const stage = `${s.environment}-${s.region}`;
    const path = `/apis/apps/v1/namespaces/${operatorNames.namespace(stage)}/deployments/${operatorNames.deployment}`;
    const tick = async () => {
      if (stopped) return;
      try {
        const r = await s.cluster.cp.client.request("GET", path);
        if (r.status === 200) {
          const pinned = (r.body as DeploymentShape).spec?.template?.spec?.containers?.[0]?.image ?? "";
          if (!pinned.endsWith(`@${image.digest}`)) {
            if (!reported.has(pinned)) log(`${stage}: the operator's Deployment pins ${pinned}, not the image this harness built (${image.digest.slice(0, 19)}…): not run`);
            reported.add(pinned);
          } else {
            const grant = await operatorCredentials(s.cluster.cp, stage);
            const replica = await startOperatorReplica({ root: image.root, kubeconfig: grant.kubeconfig, stage, prometheusUrl: s.cluster.prometheusUrl, identity: `${stage}-operator-0`, logDir: s.cluster.cp.dir });
            running.push({ stage, replica });
            log(`${stage}: Argo CD synced the operator's Deployment (${pinned.split("@")[1]!.slice(0, 19)}…); its program runs as the pod would`);
            return;
          }
        }
      } catch (e) {
        log(`${stage}: the operator could not start yet (${(e as Error).message}); trying again`);
      }
      if (!stopped) timers.push(setTimeout(() => void tick(), POLL_MS));
    };
    void tick();
  }
  return {
    stop: async () => {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      for (const r of running) await r.replica.proc.stop();
    },
  };
}
