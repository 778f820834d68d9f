import { Construct } from "constructs";
import { AzurermBackend } from "../cdktn.ts";
import { AzurermProvider, ResourceGroup } from "./resources.ts";
import type { StageModuleProps } from "../module.ts";
import { AzureNetwork } from "./network.ts";
import { AksCluster } from "./cluster.ts";
import { AksNodePools } from "./node-pools.ts";
import { ExpressRoute } from "./express-route.ts";
import { VeleroStorage } from "./backups.ts";

/**
 * One Azure stage: its state (Azure Storage, Entra ID auth), the provider on the stage's
 * subscription and tenant, its resource group, then one construct per concern: the network, the
 * AKS cluster with its system pool, the engine's node pools, ExpressRoute to each exchange, and
 * Velero's storage. Hugepages and the kernel command line are not settable through AKS
 * (linux_os_config has no vm.nr_hugepages): docs/nodes.md says how those nodes get them.
 */
export class AzureStage extends Construct {
  constructor(scope: Construct, id: string, props: StageModuleProps) {
    super(scope, id);
    const { catalog, environment, region, stage } = props;
    const infra = region.infrastructure;
    const tags = { "bitactor.io/stage": stage, "app.kubernetes.io/managed-by": "opentofu" };
    new AzurermBackend(scope, { resourceGroupName: infra.state.resourceGroup!, storageAccountName: infra.state.storageAccount!, containerName: infra.state.container!, key: `${stage}.tfstate`, useAzureadAuth: true });
    new AzurermProvider(this, "azurerm", { features: [{}], subscriptionId: infra.account, tenantId: infra.tenant!, storageUseAzuread: true });
    const group = new ResourceGroup(this, "group", { name: stage, location: region.region, tags });
    const common = { region, stage, group, tags };
    const network = new AzureNetwork(this, "network", common);
    const { cluster } = new AksCluster(this, "aks", { ...common, catalog, kubernetesMinor: props.kubernetesMinor, network });
    new AksNodePools(this, "pools", { ...common, catalog, environment, cluster, subnet: network.subnet });
    new ExpressRoute(this, "express-route", { ...common, gatewaySubnet: network.gatewaySubnet });
    new VeleroStorage(this, "velero", { ...common, environment, network, cluster });
  }
}
