import { Construct } from "constructs";
import { Fn } from "../cdktn.ts";
import { ComputeInterconnect, ComputeInterconnectAttachment, ComputeRouter, ComputeRouterInterface, ComputeRouterPeer, type ComputeNetwork } from "./resources.ts";
import { CROSS_CONNECT } from "../interconnect.ts";
import type { RegionSettings } from "../../inputs/types.ts";

export interface CloudInterconnectProps {
  readonly region: RegionSettings;
  /** `<environment>-<region>`. */
  readonly stage: string;
  readonly network: ComputeNetwork;
}

/**
 * Dedicated Interconnect per exchange: the 10G port at the colocation site, its VLAN attachment on
 * the stage's Cloud Router, and the BGP session to our router there.
 */
export class CloudInterconnect extends Construct {
  constructor(scope: Construct, id: string, props: CloudInterconnectProps) {
    super(scope, id);
    const { region, stage, network } = props;
    const infra = region.infrastructure;
    const project = infra.account;
    const router = new ComputeRouter(this, "router", { name: stage, network: network.id, region: region.region, bgp: { asn: CROSS_CONNECT.gcp.cloudAsn } });
    for (const x of region.exchanges) {
      const name = `${stage}-${x.id.toLowerCase()}`;
      const ic = new ComputeInterconnect(this, `interconnect-${x.id.toLowerCase()}`, {
        name,
        location: `https://www.googleapis.com/compute/v1/projects/${project}/global/interconnectLocations/${x.crossConnect.location}`,
        interconnectType: "DEDICATED",
        linkType: CROSS_CONNECT.gcp.linkType,
        requestedLinkCount: 1,
        customerName: x.crossConnect.provider,
        adminEnabled: true,
      });
      const att = new ComputeInterconnectAttachment(this, `attachment-${x.id.toLowerCase()}`, {
        name,
        region: region.region,
        router: router.id,
        interconnect: ic.id,
        type: "DEDICATED",
        bandwidth: "BPS_10G",
        vlanTag8021Q: x.crossConnect.vlan,
        candidateSubnets: [x.crossConnect.peering],
        mtu: String(CROSS_CONNECT.gcp.mtu),
      });
      const iface = new ComputeRouterInterface(this, `router-interface-${x.id.toLowerCase()}`, { name, router: router.name, region: region.region, ipRange: att.cloudRouterIpAddress, interconnectAttachment: att.selfLink });
      new ComputeRouterPeer(this, `bgp-${x.id.toLowerCase()}`, {
        name,
        router: router.name,
        region: region.region,
        interface: iface.name,
        peerAsn: infra.asn,
        peerIpAddress: Fn.element(Fn.split("/", att.customerRouterIpAddress), 0),
      });
    }

  }
}
