import { spawnSync } from "node:child_process";
import { judge, judgeOperator, type AnalysisRunJson, type ClusterJson, type DeploymentJson, type Evidence, type LeaseJson, type RolloutJson } from "./evidence.ts";
import { OPERATOR_RELEASE } from "../../generators/inputs/pins.ts";
import { operatorNames } from "../../generators/constructs/operator-access.ts";
import { BITACTOR_CLUSTER } from "../../generators/constructs/bitactor-cluster.ts";
import { POD_TEMPLATE_HASH_LABEL } from "../../generators/constructs/pod-monitor.ts";
import { names } from "../../generators/naming.ts";

/**
 * Reads a stage's Rollout and AnalysisRuns with the user's kubectl and kubeconfig (KUBECONFIG as
 * kubectl reads it), in the context named after the stage's cluster, as the README's bootstrap
 * registers it. kubectl, not a client of our own: the clouds' clusters authenticate through
 * kubeconfig exec plugins (aws eks get-token, gke-gcloud-auth-plugin, kubelogin) that kubectl runs.
 * `KUBECTL` names another binary.
 */

/** The kubectl the commands run: `KUBECTL` or kubectl on PATH. */
export const kubectlBin = () => process.env.KUBECTL ?? "kubectl";

export class LiveUnavailable extends Error {}

/** kubectl in `context` with a bounded request time; LiveUnavailable when kubectl cannot be run. */
function run(context: string, args: readonly string[]) {
  const r = spawnSync(kubectlBin(), ["--context", context, "--request-timeout=20s", ...args], { encoding: "utf8", maxBuffer: 1 << 28 });
  if (r.error) throw new LiveUnavailable(`cannot run ${kubectlBin()}: ${r.error.message} (install kubectl, or set KUBECTL)`);
  return r;
}

const failure = (context: string, args: readonly string[], stderr: string) => new LiveUnavailable(`kubectl --context ${context} ${args.join(" ")}: ${stderr.trim().split("\n")[0]}`);

/** kubectl's output in `context`; any failure is LiveUnavailable with kubectl's first line of error. */
export function kubectl(context: string, args: readonly string[]): string {
  const r = run(context, args);
  if (r.status !== 0) throw failure(context, args, r.stderr);
  return r.stdout;
}

function get<T>(context: string, args: readonly string[]): T | undefined {
  const r = run(context, ["get", ...args, "-o", "json"]);
  if (r.status !== 0) {
    if (/NotFound|not found/.test(r.stderr) && !/context .* not found|does not exist/.test(r.stderr)) return undefined;
    throw failure(context, ["get", ...args], r.stderr);
  }
  return JSON.parse(r.stdout) as T;
}

export interface LiveRollout {
  readonly rollout: RolloutJson | undefined;
  readonly runs: readonly AnalysisRunJson[];
}

/** The Rollout `name` and every AnalysisRun in `namespace` of `context`'s cluster. */
export function readRollout(context: string, namespace: string, name: string): LiveRollout {
  const rollout = get<RolloutJson>(context, ["-n", namespace, "rollouts.argoproj.io", name]);
  const runs = get<{ items: AnalysisRunJson[] }>(context, ["-n", namespace, "analysisruns.argoproj.io"])?.items ?? [];
  return { rollout, runs };
}

/**
 * One stage's evidence for `digest` of `component` (or of the operator: its Deployment, its
 * BitActorCluster and its Lease), judged as promote judges it (scripts/lib/evidence.ts);
 * a cluster kubectl cannot read is "no evidence", never a pass.
 */
export function stageEvidence(stage: { readonly id: string; readonly cluster: string }, component: string, digest: string, soakSeconds: number): Evidence {
  try {
    if (component === OPERATOR_RELEASE) {
      const ns = operatorNames.namespace(stage.id);
      return judgeOperator({
        stage: stage.id,
        digest,
        soakSeconds,
        now: Date.now(),
        deployment: get<DeploymentJson>(stage.cluster, ["-n", ns, "deployments.apps", operatorNames.deployment]),
        cluster: get<ClusterJson>(stage.cluster, [BITACTOR_CLUSTER.crdName, stage.id]),
        lease: get<LeaseJson>(stage.cluster, ["-n", ns, "leases.coordination.k8s.io", operatorNames.lease]),
      });
    }
    const live = readRollout(stage.cluster, stage.id, component);
    return judge({ stage: stage.id, component, digest, soakSeconds, now: Date.now(), ...live, hashLabel: POD_TEMPLATE_HASH_LABEL, firstReleaseRun: names.firstReleaseRun(component) });
  } catch (e) {
    if (e instanceof LiveUnavailable) return { stage: stage.id, ok: false, detail: `no evidence: ${e.message}` };
    throw e;
  }
}
