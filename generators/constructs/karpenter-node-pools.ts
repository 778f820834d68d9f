import { Construct } from "constructs";
import { NodePool } from "@kubernetes-models/karpenter/karpenter.sh/v1/NodePool";
import { EC2NodeClass } from "@kubernetes-models/karpenter/karpenter.k8s.aws/v1/EC2NodeClass";
import type { Catalog, EnvironmentSettings, RegionSettings } from "../inputs/types.ts";
import { emit } from "../argo.ts";
import { al2023UserData, hugepages2Mi } from "../nodes/al2023-user-data.ts";
import { CAPACITY_TYPE_KEY, INSTANCE_TYPE_KEY, NODE_POOL_KEY, ZONE_KEY } from "../nodes/labels.ts";
import { instanceTypeOf } from "../nodes/instance-type.ts";

export interface KarpenterNodePoolsProps {
  readonly catalog: Catalog;
  readonly environment: EnvironmentSettings;
  /** An AWS region (its `karpenter` settings are required there). */
  readonly region: RegionSettings;
  readonly labels: Readonly<Record<string, string>>;
}

/** Tag Karpenter's getting-started guide puts on a cluster's subnets and security groups. */
export const DISCOVERY_TAG = "karpenter.sh/discovery";

/**
 * Per node pool a component of the region uses: a Karpenter NodePool (which instance type,
 * capacity type and zones; its label and taint) and its EC2NodeClass (AMI, network, and the node
 * configuration the pinned pods need). Only the pool's components tolerate its taint, so nothing
 * else lands on an engine node; every node runs one pod per component at most (host anti-affinity).
 */
export class KarpenterNodePools extends Construct {
  constructor(scope: Construct, id: string, props: KarpenterNodePoolsProps) {
    super(scope, id);
    const { catalog, region } = props;
    const karpenter = region.karpenter;
    if (!karpenter) throw new Error(`region ${region.region}: KarpenterNodePools needs region.karpenter (checked at input)`);
    const deployed = Object.keys(region.components).sort().map((cid) => catalog.components[cid]!);
    const pools = [...new Set(deployed.map((c) => c.nodePool))].sort();
    for (const pool of pools) {
      // Every component of the pool may land on one node (anti-affinity is per component), so the
      // node reserves what they request together.
      const hugepages = hugepages2Mi(deployed.filter((c) => c.nodePool === pool).map((c) => c.resources.hugepages2Mi));
      emit(this, `${pool}-class`, new EC2NodeClass({
        metadata: { name: pool, labels: { ...props.labels } },
        spec: {
          role: karpenter.nodeRole,
          amiSelectorTerms: [{ alias: karpenter.amiAlias }],
          subnetSelectorTerms: [{ tags: { [DISCOVERY_TAG]: region.cluster.name } }],
          securityGroupSelectorTerms: [{ tags: { [DISCOVERY_TAG]: region.cluster.name } }],
          // IMDSv2 only, one hop: pods cannot reach the node's instance credentials.
          metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
          userData: al2023UserData({ pool, tuning: catalog.nodeTuning, hugepages }),
        },
      }));
      emit(this, `${pool}-pool`, new NodePool({
        metadata: { name: pool, labels: { ...props.labels } },
        spec: {
          template: {
            metadata: { labels: { [NODE_POOL_KEY]: pool } },
            spec: {
              nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: pool },
              requirements: [
                { key: INSTANCE_TYPE_KEY, operator: "In", values: [instanceTypeOf(catalog, region, pool)] },
                { key: CAPACITY_TYPE_KEY, operator: "In", values: [...props.environment.capacityTypes] },
                { key: ZONE_KEY, operator: "In", values: [...region.zones] },
              ],
              taints: [{ key: NODE_POOL_KEY, value: pool, effect: "NoSchedule" }],
              // Never recycled by age (the default 720h would drain a node at any hour, market
              // hours included); nodes are replaced by drift (a reviewed AMI or config change).
              expireAfter: "Never",
            },
          },
          disruption: {
            // Only an empty node goes; an underutilised one keeps its pinned pods where they are.
            consolidationPolicy: "WhenEmpty",
            consolidateAfter: "10m",
            // One node at a time, like the components' PodDisruptionBudgets.
            budgets: [{ nodes: "1" }],
          },
        },
      }));
    }
  }
}
