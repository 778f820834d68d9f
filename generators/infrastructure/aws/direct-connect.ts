import { Construct } from "constructs";
import { DxConnection, DxGateway, DxGatewayAssociation, DxPrivateVirtualInterface, type VpnGateway } from "./resources.ts";
import type { RegionSettings } from "../../inputs/types.ts";
import { CROSS_CONNECT, bgpAddresses } from "../interconnect.ts";

export interface DirectConnectProps {
  readonly region: RegionSettings;
  /** `<environment>-<region>`. */
  readonly stage: string;
  /** The VPC's virtual private gateway. */
  readonly vgw: VpnGateway;
}

/**
 * Per exchange a dedicated 10 Gbps Direct Connect connection at its colocation site (kept when the
 * module drops it: the port is a physical order), and a private virtual interface on its VLAN with
 * BGP from our router's ASN, through one Direct Connect gateway to the VPC.
 */
export class DirectConnect extends Construct {
  constructor(scope: Construct, id: string, props: DirectConnectProps) {
    super(scope, id);
    const { region, stage, vgw } = props;
    const dxgw = new DxGateway(this, "dx-gateway", { name: stage, amazonSideAsn: String(CROSS_CONNECT.aws.cloudAsn) });
    new DxGatewayAssociation(this, "dx-gateway-vpc", { dxGatewayId: dxgw.id, associatedGatewayId: vgw.id });
    for (const x of region.exchanges) {
      const c = new DxConnection(this, `dx-${x.id.toLowerCase()}`, { name: `${stage}-${x.id}`, bandwidth: CROSS_CONNECT.aws.bandwidth, location: x.crossConnect.location, providerName: x.crossConnect.provider, skipDestroy: true, tags: { exchange: x.id } });
      const [link] = bgpAddresses(x.crossConnect.peering);
      new DxPrivateVirtualInterface(this, `dx-${x.id.toLowerCase()}-vif`, {
        name: `${stage}-${x.id}`,
        connectionId: c.id,
        dxGatewayId: dxgw.id,
        vlan: x.crossConnect.vlan,
        addressFamily: "ipv4",
        bgpAsn: region.infrastructure.asn,
        amazonAddress: link!.cloud,
        customerAddress: link!.ours,
        mtu: CROSS_CONNECT.aws.mtu,
      });
    }
  }
}
