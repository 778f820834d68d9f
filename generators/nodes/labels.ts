/**
 * Node label and taint keys the render schedules by, in one place: pods select and tolerate them,
 * NodePools put them on nodes, the policy gate and the e2e's fake nodes check or carry them.
 */

/** Well-known node labels (kubernetes.io/docs/reference/labels-annotations-taints). */
export const ZONE_KEY = "topology.kubernetes.io/zone";
export const REGION_KEY = "topology.kubernetes.io/region";
export const HOST_KEY = "kubernetes.io/hostname";
export const INSTANCE_TYPE_KEY = "node.kubernetes.io/instance-type";
export const ARCH_KEY = "kubernetes.io/arch";
export const OS_KEY = "kubernetes.io/os";
/** Karpenter's capacity type label (karpenter.sh/docs/concepts/scheduling). */
export const CAPACITY_TYPE_KEY = "karpenter.sh/capacity-type";
/** Node label and taint key that tie a component to its node pool. */
export const NODE_POOL_KEY = "bitactor.io/node-pool";
