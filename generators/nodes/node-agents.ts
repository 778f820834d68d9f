/**
 * Which node agents (catalog nodeAgents) a stage runs, and on which pools: the GPU device plugin on
 * every pool whose machine has GPUs where the cloud's nodes bring no plugin of their own, and the
 * node-tuning agent on every engine pool where the cloud has no setting for the kernel arguments
 * (engine/machines.yaml kernelArguments). Pure planning; constructs/node-agents.ts renders it.
 */
import type { Catalog, RegionSettings } from "../inputs/types.ts";
import type { MachineCatalog } from "../inputs/machines.ts";
import { stagePools } from "../infrastructure/pools.ts";
import { kernelArguments } from "./al2023-user-data.ts";

export type NodeAgentId = "gpuDevicePlugin" | "nodeTuning";

/** One agent on one pool. */
export interface PoolAgent {
  readonly agent: NodeAgentId;
  readonly pool: string;
  /** The kernel command line the node-tuning agent makes the pool's nodes boot with. */
  readonly kernelArguments?: string;
}

/** The namespace of a stage's node agents (Pod Security "privileged", outside the mesh). */
export const nodeAgentsNamespace = (stage: string) => `${stage}-node-agents`;

/** Label on every node agent's pods: the catalog key of the agent (the policy gate reads its allowed host access). */
export const NODE_AGENT_LABEL = "bitactor.io/node-agent";

/** DaemonSet (and ServiceAccount) name of an agent on a pool. */
export const nodeAgentName = (agent: NodeAgentId, pool: string) => `${agent === "gpuDevicePlugin" ? "gpu-device-plugin" : "node-tuning"}-${pool}`;

export function stageNodeAgents(catalog: Catalog, machines: MachineCatalog, region: RegionSettings): PoolAgent[] {
  const cloud = machines.clouds[region.cloud];
  return stagePools(catalog, region).flatMap((p) => {
    const out: PoolAgent[] = [];
    if (cloud.gpuDevicePlugin === "rendered" && cloud.types[p.instanceType]?.gpus) out.push({ agent: "gpuDevicePlugin", pool: p.name });
    if (cloud.kernelArguments === "nodeAgent") out.push({ agent: "nodeTuning", pool: p.name, kernelArguments: kernelArguments({ pool: p.name, tuning: catalog.nodeTuning, hugepages: p.hugepages }) });
    return out;
  });
}

/** Where the node-tuning agent keeps its one attempt: a second boot without the arguments stops instead of rebooting again. */
const MARKER = "/var/lib/bitactor-node-tuning";

/**
 * The script the node-tuning agent runs in the host's namespaces (nsenter into PID 1) on the pools'
 * Ubuntu images: if the running kernel lacks any argument, write a GRUB drop-in, update-grub and
 * reboot, once; after that boot every argument must be there, or it fails (a crash loop the
 * DaemonSet shows) rather than rebooting a node forever.
 */
export function nodeTuningScript(args: string): string {
  return [
    "set -eu",
    `args='${args}'`,
    "missing=''",
    'for a in $args; do',
    '  case " $(cat /proc/cmdline) " in',
    '    *" $a "*) ;;',
    '    *) missing="$missing $a" ;;',
    "  esac",
    "done",
    'if [ -z "$missing" ]; then',
    '  echo "node tuning: the kernel runs with every argument"',
    `  rm -f ${MARKER}/rebooted`,
    "  exit 0",
    "fi",
    `if [ -e ${MARKER}/rebooted ]; then`,
    '  echo "node tuning: rebooted once and still missing:$missing" >&2',
    "  exit 1",
    "fi",
    `mkdir -p ${MARKER}`,
    "# The variable is GRUB's own: it expands when update-grub sources the drop-in.",
    "# shellcheck disable=SC2016",
    `printf 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT %s"\\n' "$args" > /etc/default/grub.d/99-bitactor-node-tuning.cfg`,
    "update-grub",
    `touch ${MARKER}/rebooted`,
    'echo "node tuning: added$missing; rebooting"',
    "systemctl reboot",
    // The reboot takes the pod with it; until then the init container must not succeed.
    "sleep 600",
    "exit 1",
    "",
  ].join("\n");
}
