import { Construct } from "constructs";
import type { AzureScope } from "./scope.ts";
import { KubernetesCluster } from "./resources.ts";
import { NODE_POOL_KEY } from "../../nodes/labels.ts";
import { skipChecks } from "../module.ts";
import type { Catalog } from "../../inputs/types.ts";
import { MAX_PODS, aksZone } from "./names.ts";
import type { AzureNetwork } from "./network.ts";

export interface AksClusterProps extends AzureScope {
  readonly catalog: Catalog;
  /** The Kubernetes minor (`1.36`). */
  readonly kubernetesMinor: string;
  readonly network: AzureNetwork;
}

/**
 * A private AKS cluster at the target minor (Entra ID RBAC, local accounts off, workload identity,
 * Standard tier, Azure Policy, no automatic upgrade channel) with its system pool (the catalog's
 * `systemNodes`) over the region's zones.
 */
export class AksCluster extends Construct {
  readonly cluster: KubernetesCluster;

  constructor(scope: Construct, id: string, props: AksClusterProps) {
    super(scope, id);
    const { catalog, region, group, tags } = props;
    const infra = region.infrastructure;
    const cluster = region.cluster.name;
    const location = region.region;
    const subnet = props.network.subnet;
    const zones = region.zones.map(aksZone);
    const aks = new KubernetesCluster(this, "cluster", {
      name: cluster,
      location,
      resourceGroupName: group.name,
      dnsPrefix: cluster,
      kubernetesVersion: props.kubernetesMinor,
      // The API server has only a private endpoint in the VNet; the management network reaches it over peering or VPN.
      privateClusterEnabled: true,
      localAccountDisabled: true,
      azureActiveDirectoryRoleBasedAccessControl: { azureRbacEnabled: true, tenantId: infra.tenant! },
      oidcIssuerEnabled: true,
      workloadIdentityEnabled: true,
      identity: { type: "SystemAssigned" },
      networkProfile: { networkPlugin: "azure", networkPluginMode: "overlay", networkDataPlane: "cilium", networkPolicy: "cilium" },
      // The cluster's own nodes (add-ons and controllers); engine pods never run there.
      defaultNodePool: {
        name: "system",
        vmSize: catalog.systemNodes.instanceTypes.azure,
        nodeCount: catalog.systemNodes.perZone * zones.length,
        zones,
        vnetSubnetId: subnet.id,
        onlyCriticalAddonsEnabled: true,
        maxPods: MAX_PODS,
        hostEncryptionEnabled: true,
        nodeLabels: { [NODE_POOL_KEY]: "system" },
        upgradeSettings: { maxSurge: "1" },
      },
      // No automatic_upgrade_channel: the minor moves only by a reviewed change of tools/versions.json
      // (azurerm 5 takes patch, rapid, stable or node-image there; leaving it out means none).
      // Pools are explicit: the ones below, from the catalog (not AKS node auto-provisioning).
      nodeProvisioningProfile: { mode: "Manual" },
      skuTier: "Standard",
      azurePolicyEnabled: true,
      tags,
    });
    skipChecks(aks, [
      { id: "CKV_AZURE_4", reason: "Control-plane logs go to the region's own logging through diagnostic settings, not the OMS agent; the agent would be one more DaemonSet on engine nodes." },
      { id: "CKV_AZURE_117", reason: "OS and data disks use platform-managed keys with encryption at host; a customer-managed disk encryption set needs a Key Vault per stage, which is not rendered yet." },
      { id: "CKV_AZURE_171", reason: "The Kubernetes minor moves only by a reviewed change of tools/versions.json; an automatic upgrade channel would drain engine nodes during a trading session." },
      { id: "CKV_AZURE_172", reason: "The Secrets Store CSI driver is not used: credentials arrive as SealedSecrets (docs/security.md)." },
      { id: "CKV_AZURE_226", reason: "Ephemeral OS disks must fit the system VM size's cache or temporary disk; the sizing is not verified here, so managed OS disks stay." },
    ]);

    this.cluster = aks;
  }
}
