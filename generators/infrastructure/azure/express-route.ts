import { Construct } from "constructs";
import type { AzureScope } from "./scope.ts";
import { ExpressRouteCircuit, ExpressRouteCircuitPeering, PublicIp, VirtualNetworkGateway, VirtualNetworkGatewayConnection, type Subnet } from "./resources.ts";
import { CROSS_CONNECT, bgpAddresses } from "../interconnect.ts";
import { aksZone } from "./names.ts";

export interface ExpressRouteProps extends AzureScope {
  readonly gatewaySubnet: Subnet;
}

/**
 * ExpressRoute per exchange (10,000 Mbps through the colocation provider, private peering on the
 * VLAN with BGP from our ASN on a primary and a secondary /30), all through one zone-redundant
 * gateway with FastPath, so the data path bypasses the gateway.
 */
export class ExpressRoute extends Construct {
  constructor(scope: Construct, id: string, props: ExpressRouteProps) {
    super(scope, id);
    const { region, stage, group, tags, gatewaySubnet } = props;
    const infra = region.infrastructure;
    const location = region.region;
    const zones = region.zones.map(aksZone);
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

  }
}
