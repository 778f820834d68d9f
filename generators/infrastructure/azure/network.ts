import { Construct } from "constructs";
import type { AzureScope } from "./scope.ts";
import { NetworkSecurityGroup, Subnet, SubnetNetworkSecurityGroupAssociation, VirtualNetwork } from "./resources.ts";
import { splitCidr } from "../clouds.ts";

export interface AzureNetworkProps extends AzureScope {
}

/**
 * The stage's VNet: the node subnet (first quarter of the CIDR) behind an NSG that admits the VNet
 * and Azure's load balancer probes only, and the GatewaySubnet ExpressRoute's gateway needs (a /27
 * of the last quarter).
 */
export class AzureNetwork extends Construct {
  readonly vnet: VirtualNetwork;
  readonly subnet: Subnet;
  readonly gatewaySubnet: Subnet;

  constructor(scope: Construct, id: string, props: AzureNetworkProps) {
    super(scope, id);
    const { region, stage, group, tags } = props;
    const infra = region.infrastructure;
    const location = region.region;
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

    this.vnet = vnet;
    this.subnet = subnet;
    this.gatewaySubnet = gatewaySubnet;
  }
}
