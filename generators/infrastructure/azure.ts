import { Construct } from "constructs";
import { AzurermBackend } from "cdktn";
import { AzurermProvider } from "@cdktn/provider-azurerm/lib/provider/index.js";
import { ResourceGroup } from "@cdktn/provider-azurerm/lib/resource-group/index.js";
import { VirtualNetwork } from "@cdktn/provider-azurerm/lib/virtual-network/index.js";
import { Subnet } from "@cdktn/provider-azurerm/lib/subnet/index.js";
import { KubernetesCluster } from "@cdktn/provider-azurerm/lib/kubernetes-cluster/index.js";
import { KubernetesClusterNodePool } from "@cdktn/provider-azurerm/lib/kubernetes-cluster-node-pool/index.js";
import { ProximityPlacementGroup } from "@cdktn/provider-azurerm/lib/proximity-placement-group/index.js";
import { ExpressRouteCircuit } from "@cdktn/provider-azurerm/lib/express-route-circuit/index.js";
import { ExpressRouteCircuitPeering } from "@cdktn/provider-azurerm/lib/express-route-circuit-peering/index.js";
import { PublicIp } from "@cdktn/provider-azurerm/lib/public-ip/index.js";
import { VirtualNetworkGateway } from "@cdktn/provider-azurerm/lib/virtual-network-gateway/index.js";
import { VirtualNetworkGatewayConnection } from "@cdktn/provider-azurerm/lib/virtual-network-gateway-connection/index.js";
import { StorageAccount } from "@cdktn/provider-azurerm/lib/storage-account/index.js";
import { StorageContainer } from "@cdktn/provider-azurerm/lib/storage-container/index.js";
import { UserAssignedIdentity } from "@cdktn/provider-azurerm/lib/user-assigned-identity/index.js";
import { FederatedIdentityCredential } from "@cdktn/provider-azurerm/lib/federated-identity-credential/index.js";
import { RoleAssignment } from "@cdktn/provider-azurerm/lib/role-assignment/index.js";
import { NetworkSecurityGroup } from "@cdktn/provider-azurerm/lib/network-security-group/index.js";
import { SubnetNetworkSecurityGroupAssociation } from "@cdktn/provider-azurerm/lib/subnet-network-security-group-association/index.js";
import { PrivateEndpoint } from "@cdktn/provider-azurerm/lib/private-endpoint/index.js";
import { PrivateDnsZone } from "@cdktn/provider-azurerm/lib/private-dns-zone/index.js";
import { PrivateDnsZoneVirtualNetworkLink } from "@cdktn/provider-azurerm/lib/private-dns-zone-virtual-network-link/index.js";
import { NODE_POOL_KEY } from "../nodes/labels.ts";
import { splitCidr } from "./clouds.ts";
import { stagePools } from "./pools.ts";
import { CROSS_CONNECT, bgpAddresses } from "./interconnect.ts";
import { skipChecks, type StageModuleProps } from "./module.ts";

/** Pods per node: AKS's default with Azure CNI overlay (learn.microsoft.com/azure/aks/azure-cni-overlay). */
const MAX_PODS = 110;

/** AKS numbers a region's zones "1", "2", "3"; region files name them `<region>-<n>`. */
export const aksZone = (zone: string): string => zone.slice(zone.lastIndexOf("-") + 1);

/** AKS node pool names: 1 to 12 lower-case letters and digits (learn.microsoft.com/azure/aks/create-node-pools). */
export function aksPoolName(pool: string): string {
  return pool.replace(/[^a-z0-9]/g, "").slice(0, 12);
}

/**
 * One Azure stage: a VNet, a private AKS cluster at the target minor with workload identity, one
 * node pool per catalog pool the region's components use (VM size, CPU and topology manager,
 * proximity placement for the low-latency pools), ExpressRoute to each exchange through one
 * FastPath gateway, and Velero's storage account and identity. Hugepages and the kernel command
 * line are not settable through AKS (linux_os_config has no vm.nr_hugepages): docs/nodes.md says
 * how those nodes get them.
 */
export class AzureStage extends Construct {
  constructor(scope: Construct, id: string, props: StageModuleProps) {
    super(scope, id);
    const { catalog, environment, region, stage } = props;
    const infra = region.infrastructure;
    const cluster = region.cluster.name;
    const location = region.region;
    const tags = { "bitactor.io/stage": stage, "app.kubernetes.io/managed-by": "opentofu" };
    new AzurermBackend(scope, { resourceGroupName: infra.state.resourceGroup!, storageAccountName: infra.state.storageAccount!, containerName: infra.state.container!, key: `${stage}.tfstate`, useAzureadAuth: true });
    new AzurermProvider(this, "azurerm", { features: [{}], subscriptionId: infra.account, tenantId: infra.tenant!, storageUseAzuread: true });

    const group = new ResourceGroup(this, "group", { name: stage, location, tags });
    const [nodes, , , gateway] = splitCidr(infra.cidr, 4);
    const vnet = new VirtualNetwork(this, "vnet", { name: stage, location, resourceGroupName: group.name, addressSpace: [infra.cidr], tags });
    const subnet = new Subnet(this, "nodes", { name: "nodes", resourceGroupName: group.name, virtualNetworkName: vnet.name, addressPrefixes: [nodes!] });
    // The node subnet admits the VNet and Azure's load balancer probes, nothing from outside.
    const nsg = new NetworkSecurityGroup(this, "nodes-nsg", {
      name: `${stage}-nodes`,
      location,
      resourceGroupName: group.name,
      securityRule: [
        { name: "vnet", priority: 100, direction: "Inbound", access: "Allow", protocol: "*", sourcePortRange: "*", destinationPortRange: "*", sourceAddressPrefix: "VirtualNetwork", destinationAddressPrefix: "VirtualNetwork" },
        { name: "load-balancer", priority: 110, direction: "Inbound", access: "Allow", protocol: "*", sourcePortRange: "*", destinationPortRange: "*", sourceAddressPrefix: "AzureLoadBalancer", destinationAddressPrefix: "*" },
        { name: "deny-inbound", priority: 4096, direction: "Inbound", access: "Deny", protocol: "*", sourcePortRange: "*", destinationPortRange: "*", sourceAddressPrefix: "*", destinationAddressPrefix: "*" },
      ],
      tags,
    });
    new SubnetNetworkSecurityGroupAssociation(this, "nodes-nsg-association", { subnetId: subnet.id, networkSecurityGroupId: nsg.id });
    // ExpressRoute gateways live in the subnet named GatewaySubnet (/27 or larger).
    const gatewaySubnet = new Subnet(this, "gateway-subnet", { name: "GatewaySubnet", resourceGroupName: group.name, virtualNetworkName: vnet.name, addressPrefixes: [splitCidr(gateway!, 2 ** (27 - Number(gateway!.split("/")[1])))[0]!] });

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

    // ExpressRoute per exchange, all through one FastPath gateway (the data path bypasses the gateway).
    const ip = new PublicIp(this, "gateway-ip", { name: `${stage}-er-gateway`, location, resourceGroupName: group.name, allocationMethod: "Static", sku: "Standard", zones, tags });
    const gw = new VirtualNetworkGateway(this, "er-gateway", {
      name: `${stage}-er`,
      location,
      resourceGroupName: group.name,
      type: "ExpressRoute",
      sku: "ErGw3AZ",
      ipConfiguration: [{ name: "default", publicIpAddressId: ip.id, subnetId: gatewaySubnet.id }],
      tags,
    });
    for (const x of region.exchanges) {
      const circuit = new ExpressRouteCircuit(this, `er-${x.id.toLowerCase()}`, {
        name: `${stage}-${x.id}`,
        location,
        resourceGroupName: group.name,
        serviceProviderName: x.crossConnect.provider,
        peeringLocation: x.crossConnect.location,
        bandwidthInMbps: CROSS_CONNECT.azure.bandwidthMbps,
        sku: { tier: "Standard", family: "MeteredData" },
        tags,
      });
      const [primary, secondary] = bgpAddresses(x.crossConnect.peering);
      new ExpressRouteCircuitPeering(this, `er-${x.id.toLowerCase()}-peering`, {
        peeringType: "AzurePrivatePeering",
        expressRouteCircuitName: circuit.name,
        resourceGroupName: group.name,
        peerAsn: infra.asn,
        primaryPeerAddressPrefix: primary!.link,
        secondaryPeerAddressPrefix: secondary!.link,
        vlanId: x.crossConnect.vlan,
      });
      new VirtualNetworkGatewayConnection(this, `er-${x.id.toLowerCase()}-connection`, {
        name: `${stage}-${x.id}`,
        location,
        resourceGroupName: group.name,
        type: "ExpressRoute",
        virtualNetworkGatewayId: gw.id,
        expressRouteCircuitId: circuit.id,
        expressRouteGatewayBypass: true,
        tags,
      });
    }

    // Velero: the storage account the BackupStorageLocation names, private and versioned, and the identity its pods federate to.
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
  }
}
