import { Construct } from "constructs";
import type { AzureScope } from "./scope.ts";
import { FederatedIdentityCredential, PrivateDnsZone, PrivateDnsZoneVirtualNetworkLink, PrivateEndpoint, ResourceGroup, RoleAssignment, StorageAccount, StorageContainer, UserAssignedIdentity, type KubernetesCluster } from "./resources.ts";
import { TerraformOutput } from "../cdktn.ts";
import { skipChecks } from "../module.ts";
import { APPLY_OUTPUTS, type ApplyOutput } from "../outputs.ts";
import type { EnvironmentSettings } from "../../inputs/types.ts";
import type { AzureNetwork } from "./network.ts";

export interface VeleroStorageProps extends AzureScope {
  readonly environment: EnvironmentSettings;
  readonly network: AzureNetwork;
  readonly cluster: KubernetesCluster;
}

/**
 * The storage account and container the BackupStorageLocation names (in the resource group it names):
 * zone-redundant, TLS 1.2, no public network and no shared keys, infrastructure encryption,
 * versioning and soft delete; reached by a private endpoint with its DNS zone; and the identity
 * Velero's service account federates to.
 */
export class VeleroStorage extends Construct {
  constructor(scope: Construct, id: string, props: VeleroStorageProps) {
    super(scope, id);
    const { environment, region, stage, group, tags } = props;
    const cluster = region.cluster.name;
    const location = region.region;
    const vnet = props.network.vnet;
    const subnet = props.network.subnet;
    const aks = props.cluster;
    const backupGroup = new ResourceGroup(this, "backup-group", { name: region.backup.config!.resourceGroup!, location, tags });
    const account = new StorageAccount(this, "velero-account", {
      name: region.backup.config!.storageAccount!,
      resourceGroupName: backupGroup.name,
      location,
      accountTier: "Standard",
      accountReplicationType: "ZRS",
      minTlsVersion: "TLS1_2",
      httpsTrafficOnlyEnabled: true,
      allowNestedItemsToBePublic: false,
      publicNetworkAccessEnabled: false,
      sharedAccessKeyEnabled: false,
      infrastructureEncryptionEnabled: true,
      blobProperties: { versioningEnabled: true, deleteRetentionPolicy: { days: 7 }, containerDeleteRetentionPolicy: { days: 7 } },
      tags,
    });
    skipChecks(account, [
      { id: "CKV2_AZURE_1", reason: "Microsoft-managed keys with infrastructure (double) encryption; a customer-managed key needs a Key Vault per stage, which is not rendered yet." },
      { id: "CKV_AZURE_206", reason: "Zone-redundant in the stage's region on purpose: a restore must not cross regions (docs/disaster-recovery.md)." },
      { id: "CKV_AZURE_33", reason: "The account holds no queues; Velero uses blobs only." },
    ]);
    const container = new StorageContainer(this, "velero-container", { name: region.backup.bucket, storageAccountId: account.id, containerAccessType: "private" });
    skipChecks(container, [{ id: "CKV2_AZURE_21", reason: "Blob access is audited by the storage account's diagnostic settings in the region's logging, not rendered yet." }]);
    // The account has no public network access: Velero reaches it through a private endpoint in the node subnet.
    const dns = new PrivateDnsZone(this, "blob-dns", { name: "privatelink.blob.core.windows.net", resourceGroupName: group.name, tags });
    new PrivateDnsZoneVirtualNetworkLink(this, "blob-dns-link", { name: stage, privateDnsZoneId: dns.id, virtualNetworkId: vnet.id, tags });
    new PrivateEndpoint(this, "velero-endpoint", {
      name: `${stage}-velero-blob`,
      location,
      resourceGroupName: group.name,
      subnetId: subnet.id,
      privateServiceConnection: { name: "blob", privateConnectionResourceId: account.id, subresourceNames: ["blob"], isManualConnection: false },
      privateDnsZoneGroup: { name: "blob", privateDnsZoneIds: [dns.id] },
      tags,
    });
    const velero = new UserAssignedIdentity(this, "velero", { name: `${cluster}-velero`, location, resourceGroupName: group.name, tags });
    new FederatedIdentityCredential(this, "velero-federation", {
      name: "velero",
      userAssignedIdentityId: velero.id,
      audience: ["api://AzureADTokenExchange"],
      issuer: aks.oidcIssuerUrl,
      subject: `system:serviceaccount:${environment.backup.namespace}:velero`,
    });
    new RoleAssignment(this, "velero-blob-access", { scope: account.id, roleDefinitionName: "Storage Blob Data Contributor", principalId: velero.principalId });
    // Velero's ServiceAccount names this identity (azure.workload.identity/client-id): written back into the region file.
    new TerraformOutput(this, "velero_client_id" satisfies ApplyOutput, { value: velero.clientId, description: APPLY_OUTPUTS.velero_client_id.description });
  }
}
