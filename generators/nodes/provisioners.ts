import type { Cloud } from "../inputs/types.ts";

/**
 * How each cloud's engine nodes come to exist. On AWS the render owns them: Karpenter NodePools
 * and EC2NodeClasses per pool (constructs/karpenter-node-pools.ts). On GCP and Azure the cluster's
 * own node pools (created with the cluster) carry the labels, taints and instance types the
 * catalog lists; the render only schedules onto them. A table, so a cloud is one entry, not a branch.
 */
export const NODE_PROVISIONER: Readonly<Record<Cloud, "karpenter" | "cluster-node-pools">> = {
  aws: "karpenter",
  gcp: "cluster-node-pools",
  azure: "cluster-node-pools",
};

/** Whether the render owns a cloud's engine nodes (Karpenter) rather than the cluster's own pools. */
export const usesKarpenter = (cloud: Cloud): boolean => NODE_PROVISIONER[cloud] === "karpenter";

/** The environment whose nodes may never be spot capacity (a reclaim takes a replica away mid-session). */
export const ON_DEMAND_ONLY_ENVIRONMENT = "production";
