/**
 * `engine/machines.yaml`: the node catalog. Every machine type a node pool or the system nodes use,
 * as its cloud publishes it, and what each managed Kubernetes service keeps for itself on a node
 * (kubelet reservation, eviction threshold, its own DaemonSets). The fit check (nodes/fit.ts)
 * computes each node type's allocatable from it. Every figure names its source in the file.
 */
import type { Cloud } from "./cloud.ts";

/** One machine (instance) type as its cloud publishes it. */
export interface MachineType {
  /** vCPUs (hardware threads) the machine offers. */
  readonly vcpus: number;
  /** Memory as published (binary quantity, e.g. `128Gi`; Compute Engine's "GB" are GiB). */
  readonly memory: string;
  readonly arch: "amd64" | "arm64";
  /** GPUs built in, if any. */
  readonly gpus?: {
    readonly model: string;
    readonly count: number;
    /** The accelerator's name where the cloud's node pool must name it (GKE guest_accelerator.type). @default none */
    readonly acceleratorType?: string;
  };
  /** Network interfaces (ENIs, NICs) the machine takes: the primary carries the pod network, the others are what an SR-IOV device plugin can hand out. */
  readonly networkInterfaces: number;
  /** Pods the managed service lets the kubelet run here by default (EKS: ENI-based; GKE/AKS: the cluster's setting). */
  readonly maxPods: number;
  /** Where the figures are published. */
  readonly source: string;
  /** A figure no published source confirmed, and why it is believed. @default none: every figure has its source */
  readonly unverified?: string;
}

/** A tier of a percentage reservation: `percent` of the next `size` units (the last tier has no size: everything above). */
export interface ReservationTier {
  /** Cores (CPU tiers) or GiB (memory tiers) this tier covers; absent on the last tier. */
  readonly size?: number;
  readonly percent: number;
}

/** What a managed Kubernetes service's kubelet keeps for the system on every node (kube-reserved + system-reserved). */
export interface KubeletReservation {
  /** CPU kept: a share of each tier of cores (EKS and GKE publish the same tiers). */
  readonly cpu:
    | { readonly tiers: readonly ReservationTier[] }
    /** AKS: a fixed amount by the node's core count (`cores` is the upper bound of the row). */
    | { readonly table: readonly { readonly cores: number; readonly millicores: number }[] };
  /** Memory kept: a share of each tier of GiB (GKE), or a base plus an amount per pod, optionally capped at a share of the memory (EKS, AKS). */
  readonly memory:
    | { readonly tiers: readonly ReservationTier[] }
    | { readonly baseMi: number; readonly perPodMi: number; readonly capPercent?: number };
  /** The kubelet's hard eviction threshold `memory.available` (also kept from pods). */
  readonly evictionMi: number;
  /** Share of the published memory the operating system and firmware keep before the kubelet counts capacity. @default 0 */
  readonly memoryOverheadPercent?: number;
  readonly source: string;
}

/** A DaemonSet the managed service runs on every node (not rendered here): its pod's requests. */
export interface ServiceDaemonSet {
  readonly name: string;
  /** CPU request (quantity). */
  readonly cpu: string;
  /** Memory request (quantity). */
  readonly memory: string;
  readonly source: string;
  /** A figure no published source confirmed, and why it is believed. @default none */
  readonly unverified?: string;
}

/** One cloud's managed Kubernetes service. */
export interface CloudMachines {
  /** The managed service (EKS, GKE, AKS). */
  readonly service: string;
  readonly reservation: KubeletReservation;
  /**
   * Whether the engine pools' nodes apply `nodeTuning.reservedSystemCpus` (kubelet reservedSystemCPUs):
   * where they do, that list supersedes the CPU reservation above (kubelet --reserved-cpus).
   */
  readonly appliesReservedSystemCpus: boolean;
  /**
   * How the engine pools' nodes get nodeTuning's kernel arguments (isolated cores, boot-time hugepages):
   * `userData`, the node's own boot script (AWS: EC2NodeClass); `nodeAgent`, the catalog's nodeTuning
   * DaemonSet, where the cloud has no setting for them (it edits the boot loader and reboots once).
   */
  readonly kernelArguments: "userData" | "nodeAgent";
  /** Where the GPU device plugin comes from: the render (`rendered`) or the service itself (`service`). */
  readonly gpuDevicePlugin: "rendered" | "service";
  readonly daemonSets: readonly ServiceDaemonSet[];
  /** Machine types by the cloud's own name. */
  readonly types: Readonly<Record<string, MachineType>>;
}

export type MachineCatalog = { readonly clouds: Readonly<Record<Cloud, CloudMachines>> };

const quantity = { type: "string", pattern: "^[0-9]+(\\.[0-9]+)?(m|Ki|Mi|Gi|Ti)?$" } as const;
const source = { type: "string", minLength: 10 } as const;
const percent = { type: "number", exclusiveMinimum: 0, maximum: 100 } as const;
const tiers = {
  type: "array",
  minItems: 1,
  items: { type: "object", additionalProperties: false, required: ["percent"], properties: { size: { type: "number", exclusiveMinimum: 0 }, percent } },
} as const;

const cloudSchema = {
  type: "object",
  additionalProperties: false,
  required: ["service", "reservation", "appliesReservedSystemCpus", "kernelArguments", "gpuDevicePlugin", "daemonSets", "types"],
  properties: {
    service: { type: "string", minLength: 1 },
    reservation: {
      type: "object",
      additionalProperties: false,
      required: ["cpu", "memory", "evictionMi", "source"],
      properties: {
        cpu: {
          oneOf: [
            { type: "object", additionalProperties: false, required: ["tiers"], properties: { tiers } },
            {
              type: "object",
              additionalProperties: false,
              required: ["table"],
              properties: { table: { type: "array", minItems: 1, items: { type: "object", additionalProperties: false, required: ["cores", "millicores"], properties: { cores: { type: "integer", minimum: 1 }, millicores: { type: "integer", minimum: 0 } } } } },
            },
          ],
        },
        memory: {
          oneOf: [
            { type: "object", additionalProperties: false, required: ["tiers"], properties: { tiers } },
            { type: "object", additionalProperties: false, required: ["baseMi", "perPodMi"], properties: { baseMi: { type: "integer", minimum: 0 }, perPodMi: { type: "integer", minimum: 0 }, capPercent: percent } },
          ],
        },
        evictionMi: { type: "integer", minimum: 0 },
        memoryOverheadPercent: { type: "number", minimum: 0, maximum: 50 },
        source,
      },
    },
    appliesReservedSystemCpus: { type: "boolean" },
    kernelArguments: { enum: ["userData", "nodeAgent"] },
    gpuDevicePlugin: { enum: ["rendered", "service"] },
    daemonSets: {
      type: "array",
      items: { type: "object", additionalProperties: false, required: ["name", "cpu", "memory", "source"], properties: { name: { type: "string", minLength: 1 }, cpu: quantity, memory: quantity, source, unverified: source } },
    },
    types: {
      type: "object",
      minProperties: 1,
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        required: ["vcpus", "memory", "arch", "networkInterfaces", "maxPods", "source"],
        properties: {
          vcpus: { type: "integer", minimum: 1 },
          memory: { type: "string", pattern: "^[1-9][0-9]*(Mi|Gi|Ti)$" },
          arch: { enum: ["amd64", "arm64"] },
          gpus: { type: "object", additionalProperties: false, required: ["model", "count"], properties: { model: { type: "string", minLength: 1 }, count: { type: "integer", minimum: 1 }, acceleratorType: { type: "string", pattern: "^[a-z0-9-]+$" } } },
          networkInterfaces: { type: "integer", minimum: 1 },
          // 110: Kubernetes' own default and the upper bound its scalability is tested at for most nodes; EKS goes to 737 by ENIs.
          maxPods: { type: "integer", minimum: 1, maximum: 1000 },
          source,
          unverified: source,
        },
      },
    },
  },
} as const;

export const machinesSchema = {
  $id: "machines",
  type: "object",
  additionalProperties: false,
  required: ["clouds"],
  properties: {
    clouds: { type: "object", additionalProperties: false, required: ["aws", "gcp", "azure"], properties: { aws: cloudSchema, gcp: cloudSchema, azure: cloudSchema } },
  },
} as const;
