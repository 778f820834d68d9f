/**
 * The node types a stage's pods can land on, each with the labels and taints its nodes carry and
 * the allocatable the kubelet reports for it, computed from the node catalog (engine/machines.yaml)
 * the way each managed service documents it:
 *   allocatable = capacity − kube/system reservation − hard eviction threshold − pre-allocated hugepages
 * (kubernetes.io/docs/tasks/administer-cluster/reserve-compute-resources, "Node Allocatable"; the kubelet
 * takes pre-allocated hugepages out of memory allocatable: pkg/kubelet/nodestatus/setters.go MachineInfo).
 * Where the node applies the catalog's `reservedSystemCpus` (kubelet --reserved-cpus), that list
 * replaces the CPU reservation. The fit check, the policy gate and the e2e's fake nodes all read this.
 */
import type { Catalog, Cloud, RegionSettings } from "../inputs/types.ts";
import type { CloudMachines, KubeletReservation, MachineCatalog, MachineType, ReservationTier } from "../inputs/machines.ts";
import { stagePools } from "../infrastructure/pools.ts";
import { parseCpuset } from "./cpuset.ts";
import { quantityUnits, millicores } from "./quantity.ts";
import { ARCH_KEY, INSTANCE_TYPE_KEY, NODE_POOL_KEY, OS_KEY } from "./labels.ts";

/** The resource name NVIDIA's device plugin (and GKE's) advertises GPUs under (github.com/NVIDIA/k8s-device-plugin). */
export const GPU_RESOURCE = "nvidia.com/gpu";
/** 2 MiB hugepages as a resource name (kubernetes.io/docs/tasks/manage-hugepages/scheduling-hugepages). */
export const HUGEPAGES_2MI = "hugepages-2Mi";

export interface NodeTaint {
  readonly key: string;
  readonly value?: string;
  readonly effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

/** A kind of node in a stage: one engine pool on its instance type, or the system nodes. */
export interface NodeType {
  /** The catalog pool id, or `system` for the cluster's own nodes. */
  readonly pool: string;
  readonly cloud: Cloud;
  readonly instanceType: string;
  readonly machine: MachineType;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly NodeTaint[];
  /** What the kubelet reports as capacity, in whole units (CPU in millicores, bytes, pages' bytes, devices). */
  readonly capacity: Readonly<Record<string, bigint>>;
  /** What the kubelet reports as allocatable, same units. */
  readonly allocatable: Readonly<Record<string, bigint>>;
  /** How the allocatable was reached, for error messages and docs. */
  readonly reserved: { readonly cpu: bigint; readonly memory: bigint; readonly hugepages: bigint };
}

const GI = 1n << 30n;
const MI = 1n << 20n;

/** Reservation by tiers: `percent` of each successive `size` (in `unit`s) of `total`; the last tier takes the rest. */
function tiered(tiers: readonly ReservationTier[], total: bigint, unit: bigint): bigint {
  let left = total;
  let kept = 0n;
  for (const t of tiers) {
    if (left <= 0n) break;
    const size = t.size === undefined ? left : (BigInt(Math.round(t.size * 1000)) * unit) / 1000n;
    const take = left < size ? left : size;
    // percent in hundredths, rounded up to a whole unit: the kubelet's reservation is never smaller.
    kept += (take * BigInt(Math.round(t.percent * 100)) + 9999n) / 10000n;
    left -= take;
  }
  return kept;
}

/** The kubelet's CPU reservation on a machine, in millicores. */
export function reservedCpu(r: KubeletReservation, vcpus: number): bigint {
  const total = BigInt(vcpus) * 1000n;
  if ("tiers" in r.cpu) return tiered(r.cpu.tiers, total, 1000n);
  const row = r.cpu.table.find((x) => vcpus <= x.cores) ?? r.cpu.table[r.cpu.table.length - 1]!;
  return BigInt(row.millicores);
}

/** The kubelet's memory reservation plus the eviction threshold, in bytes. */
export function reservedMemory(r: KubeletReservation, capacity: bigint, maxPods: number): bigint {
  const eviction = BigInt(r.evictionMi) * MI;
  if ("tiers" in r.memory) return tiered(r.memory.tiers, capacity, GI) + eviction;
  const perPod = (BigInt(r.memory.baseMi) + BigInt(r.memory.perPodMi) * BigInt(maxPods)) * MI;
  const cap = r.memory.capPercent === undefined ? perPod : (capacity * BigInt(Math.round(r.memory.capPercent * 100))) / 10000n;
  return (perPod < cap ? perPod : cap) + eviction;
}

/** The memory the kubelet counts as capacity: the published figure less what the OS and firmware keep. */
export function memoryCapacity(cloud: CloudMachines, machine: MachineType): bigint {
  const published = quantityUnits(machine.memory);
  const overhead = BigInt(Math.round((cloud.reservation.memoryOverheadPercent ?? 0) * 100));
  return published - (published * overhead) / 10000n;
}

interface TypeProps {
  readonly cloud: Cloud;
  readonly machines: MachineCatalog;
  readonly pool: string;
  readonly instanceType: string;
  readonly labels: Record<string, string>;
  readonly taints: NodeTaint[];
  /** CPUs the node keeps for the system by list (kubelet reservedSystemCPUs), if it applies one. */
  readonly reservedCpus?: number;
  /** Bytes of 2 MiB hugepages the node reserves at boot. */
  readonly hugepages: bigint;
  /** Extended resources a device plugin advertises on this node (VFs), in devices. */
  readonly extended: Record<string, bigint>;
}

/** One node type, or an error naming the missing catalog entry. */
export function nodeType(p: TypeProps): NodeType {
  const cloud = p.machines.clouds[p.cloud];
  const machine = cloud.types[p.instanceType];
  if (!machine) throw new Error(`${p.instanceType} is not in engine/machines.yaml clouds.${p.cloud}.types: add it with its published figures`);
  const cpu = BigInt(machine.vcpus) * 1000n;
  const memory = memoryCapacity(cloud, machine);
  const cpuKept = p.reservedCpus !== undefined ? BigInt(p.reservedCpus) * 1000n : reservedCpu(cloud.reservation, machine.vcpus);
  const memoryKept = reservedMemory(cloud.reservation, memory, machine.maxPods);
  const gpus: Record<string, bigint> = machine.gpus ? { [GPU_RESOURCE]: BigInt(machine.gpus.count) } : {};
  const capacity = { cpu, memory, pods: BigInt(machine.maxPods), [HUGEPAGES_2MI]: p.hugepages, ...gpus, ...p.extended };
  const allocatable = { ...capacity, cpu: cpu - cpuKept, memory: memory - memoryKept - p.hugepages };
  return {
    pool: p.pool,
    cloud: p.cloud,
    instanceType: p.instanceType,
    machine,
    labels: { ...p.labels, [INSTANCE_TYPE_KEY]: p.instanceType, [ARCH_KEY]: machine.arch, [OS_KEY]: "linux" },
    taints: p.taints,
    capacity,
    allocatable,
    reserved: { cpu: cpuKept, memory: memoryKept, hugepages: p.hugepages },
  };
}

/** The pool id of the cluster's own nodes in node types and messages. */
export const SYSTEM_POOL = "system";

/**
 * Every node type of a stage: the pools its components use (on the region's instance type for each)
 * and the system nodes. Engine pools carry their pool label and taint, reserve their hugepages and
 * apply reservedSystemCpus where the cloud's nodes do; the VFs of the accelerated networks the
 * pool's components attach are the machine's network interfaces but the primary.
 */
export function stageNodeTypes(catalog: Catalog, machines: MachineCatalog, region: RegionSettings): NodeType[] {
  const cloud = machines.clouds[region.cloud];
  const reservedCpus = cloud.appliesReservedSystemCpus ? parseCpuset(catalog.nodeTuning.reservedSystemCpus).length : undefined;
  const engine = stagePools(catalog, region).map((p) => {
    const networks = new Set(Object.keys(region.components).map((id) => catalog.components[id]!).filter((c) => c.nodePool === p.name).flatMap((c) => c.acceleratedNetworks ?? []));
    const machine = cloud.types[p.instanceType];
    const vfs = BigInt(Math.max(0, (machine?.networkInterfaces ?? 1) - 1));
    return nodeType({
      cloud: region.cloud,
      machines,
      pool: p.name,
      instanceType: p.instanceType,
      labels: { [NODE_POOL_KEY]: p.name },
      taints: [{ key: NODE_POOL_KEY, value: p.name, effect: "NoSchedule" }],
      ...(reservedCpus !== undefined ? { reservedCpus } : {}),
      hugepages: BigInt(p.hugepages) * 2n * MI,
      extended: Object.fromEntries([...networks].sort().map((n) => [catalog.acceleratedNetworks[n]!.resourceName, vfs])),
    });
  });
  const system = nodeType({
    cloud: region.cloud,
    machines,
    pool: SYSTEM_POOL,
    instanceType: catalog.systemNodes.instanceTypes[region.cloud],
    labels: {},
    taints: [],
    hugepages: 0n,
    extended: {},
  });
  return [...engine, system];
}

/** The pods of the DaemonSets the managed service runs on every node, as requests (each takes one of the node's pods too). */
export const serviceDaemonSetRequests = (cloud: CloudMachines): Record<string, bigint>[] =>
  cloud.daemonSets.map((d) => ({ cpu: millicores(d.cpu), memory: quantityUnits(d.memory), pods: 1n }));
