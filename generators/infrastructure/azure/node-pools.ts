import { Construct } from "constructs";
import type { AzureScope } from "./scope.ts";
import { KubernetesClusterNodePool, ProximityPlacementGroup, type KubernetesCluster, type Subnet } from "./resources.ts";
import { NODE_POOL_KEY } from "../../nodes/labels.ts";
import { stagePools } from "../pools.ts";
import type { Catalog, EnvironmentSettings } from "../../inputs/types.ts";
import { MAX_PODS, aksPoolName, aksZone } from "./names.ts";

export interface AksNodePoolsProps extends AzureScope {
  readonly catalog: Catalog;
  readonly environment: EnvironmentSettings;
  readonly cluster: KubernetesCluster;
  readonly subnet: Subnet;
}

/**
 * One pool per catalog pool the region's components use: the VM size, label and taint, the kubelet's
 * CPU manager and topology manager policy (AKS has no scope field), host encryption; the low-latency
 * pools in one zone in a proximity placement group; Spot only where the environment lists it.
 */
export class AksNodePools extends Construct {
  constructor(scope: Construct, id: string, props: AksNodePoolsProps) {
    super(scope, id);
    const { catalog, environment, region, group, tags, subnet } = props;
    const aks = props.cluster;
    const cluster = region.cluster.name;
    const location = region.region;
    const zones = region.zones.map(aksZone);
    const spot = environment.capacityTypes.includes("spot");
    const tuning = catalog.nodeTuning;
    const names = new Map<string, string>();
    for (const pool of stagePools(catalog, region)) {
      const name = aksPoolName(pool.name);
      if (names.has(name)) throw new Error(`node pools ${names.get(name)} and ${pool.name} both shorten to the AKS pool name "${name}"; rename one in engine/catalog.yaml`);
      names.set(name, pool.name);
      // A proximity placement group holds its VMs in one datacenter: the low-latency pools use one zone.
      const ppg = pool.lowLatency ? new ProximityPlacementGroup(this, `placement-${pool.name}`, { name: `${cluster}-${pool.name}`, location, resourceGroupName: group.name, zone: zones[0]!, allowedVmSizes: [pool.instanceType], tags }) : undefined;
      new KubernetesClusterNodePool(this, `pool-${pool.name}`, {
        name,
        kubernetesClusterId: aks.id,
        vmSize: pool.instanceType,
        // Ubuntu: the node-tuning agent edits its GRUB configuration (constructs/node-agents.ts).
        osSku: "Ubuntu",
        nodeCount: pool.nodes,
        zones: ppg ? [zones[0]!] : zones,
        vnetSubnetId: subnet.id,
        nodeLabels: { [NODE_POOL_KEY]: pool.name },
        nodeTaints: [`${NODE_POOL_KEY}=${pool.name}:NoSchedule`],
        ...(ppg ? { proximityPlacementGroupId: ppg.id } : {}),
        // Spot only where the environment allows it (production: on-demand only, reserved capacity).
        ...(spot ? { priority: "Spot", evictionPolicy: "Delete", spotMaxPrice: -1 } : { priority: "Regular" }),
        kubeletConfig: { cpuManagerPolicy: tuning.cpuManagerPolicy, topologyManagerPolicy: tuning.topologyManagerPolicy },
        maxPods: MAX_PODS,
        hostEncryptionEnabled: true,
        tags,
      });
    }

  }
}
