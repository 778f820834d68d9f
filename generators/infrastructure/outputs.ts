/**
 * Values a stage's infrastructure knows only after `tofu apply`, and the region-file field each
 * one fills (npm run infra:outputs writes them; the modules declare these outputs by these names).
 */
export const APPLY_OUTPUTS = {
  /** Amazon Managed Prometheus: the workspace's query address (its id is AWS's), which the gate queries. */
  prometheus_address: { field: ["prometheus", "address"] as const, description: "prometheus.address of the region file" },
  /** Azure: the client id of Velero's workload identity (Azure chooses it), which Velero's ServiceAccount names. */
  velero_client_id: { field: ["backup", "identity"] as const, description: "backup.identity of the region file" },
} as const;

export type ApplyOutput = keyof typeof APPLY_OUTPUTS;
