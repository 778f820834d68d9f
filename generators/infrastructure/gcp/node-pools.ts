import { Construct } from "constructs";
import { ContainerNodePool } from "./resources.ts";
import { NODE_POOL_KEY } from "../../nodes/labels.ts";
import { stagePools } from "../pools.ts";
import { skipChecks } from "../module.ts";
import type { Catalog, RegionSettings } from "../../inputs/types.ts";
import type { MachineCatalog } from "../../inputs/machines.ts";
import { NO_AUTO_UPGRADE, type GkeCluster } from "./cluster.ts";

export interface GkeNodePoolsProps {
  readonly catalog: Catalog;
  readonly machines: MachineCatalog;
  readonly region: RegionSettings;
  readonly gke: GkeCluster;
}

/**
 * One pool per catalog pool the region's components use: the catalog's machine type, its label and
 * taint, the kubelet's CPU manager and topology manager (policy and scope), the 2 MiB hugepages the
 * pool's components request together, gVNIC; the low-latency pools in one zone with compact
 * placement and Tier_1 networking; spot or reserved capacity as the environment says. Engine pools
 * run GKE's Ubuntu image: Container-Optimized OS cannot take kernel arguments, and the node-tuning
 * agent adds the isolated cores there (constructs/node-agents.ts). A machine with GPUs names its
 * accelerator with GKE's default driver installed (cloud.google.com/kubernetes-engine/docs/how-to/gpus).
 */
/** GKE's Ubuntu node image with containerd (cloud.google.com/kubernetes-engine/docs/concepts/node-images). */
const UBUNTU_IMAGE = "UBUNTU_CONTAINERD";

export class GkeNodePools extends Construct {
  constructor(scope: Construct, id: string, props: GkeNodePoolsProps) {
    super(scope, id);
    const { catalog, region } = props;
    const gke = props.gke.cluster;
    const { spot, reservationAffinity } = props.gke.capacity;
    const tuning = catalog.nodeTuning;
    for (const pool of stagePools(catalog, region)) {
      const gpus = props.machines.clouds.gcp.types[pool.instanceType]?.gpus;
      const np = new ContainerNodePool(this, `pool-${pool.name}`, {
        name: pool.name,
        cluster: gke.id,
        location: region.region,
        // Compact placement keeps a pool in one zone (cloud.google.com/kubernetes-engine/docs/how-to/compact-placement).
        nodeLocations: pool.lowLatency ? [region.zones[0]!] : [...region.zones],
        // Fixed size: GKE's cluster autoscaler does not serve C3 -metal machine types.
        nodeCount: pool.lowLatency ? pool.nodes : Math.ceil(pool.nodes / region.zones.length),
        // Low-latency pools: compact placement, and Tier_1 networking (up to 200 Gbps egress per VM on C3 with gVNIC:
        // cloud.google.com/compute/docs/networking/configure-vm-with-high-bandwidth-configuration).
        ...(pool.lowLatency ? { placementPolicy: { type: "COMPACT" }, networkConfig: { networkPerformanceConfig: { totalEgressBandwidthTier: "TIER_1" } } } : {}),
        management: { autoRepair: true, autoUpgrade: false },
        nodeConfig: {
          machineType: pool.instanceType,
          imageType: UBUNTU_IMAGE,
          ...(gpus?.acceleratorType ? { guestAccelerator: [{ type: gpus.acceleratorType, count: gpus.count, gpuDriverInstallationConfig: { gpuDriverVersion: "DEFAULT" } }] } : {}),
          labels: { [NODE_POOL_KEY]: pool.name },
          taint: [{ key: NODE_POOL_KEY, value: pool.name, effect: "NO_SCHEDULE" }],
          spot,
          reservationAffinity,
          gvnic: { enabled: true },
          workloadMetadataConfig: { mode: "GKE_METADATA" },
          shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
          kubeletConfig: { cpuManagerPolicy: tuning.cpuManagerPolicy, topologyManager: { policy: tuning.topologyManagerPolicy, scope: tuning.topologyManagerScope } },
          linuxNodeConfig: { hugepagesConfig: { hugepageSize2M: pool.hugepages } },
        },
      });
      skipChecks(np, [NO_AUTO_UPGRADE]);
    }

  }
}
