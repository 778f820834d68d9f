/** Pods per node: AKS's default with Azure CNI overlay (learn.microsoft.com/azure/aks/azure-cni-overlay). */
export const MAX_PODS = 110;

/** AKS numbers a region's zones "1", "2", "3"; region files name them `<region>-<n>`. */
export const aksZone = (zone: string): string => zone.slice(zone.lastIndexOf("-") + 1);

/** AKS node pool names: 1 to 12 lower-case letters and digits (learn.microsoft.com/azure/aks/create-node-pools). */
export function aksPoolName(pool: string): string {
  return pool.replace(/[^a-z0-9]/g, "").slice(0, 12);
}
