import { formatCidr, parseCidr } from "./clouds.ts";

/**
 * The cross-connects' fixed terms per cloud: 10 Gbps dedicated ports (the design brief), jumbo
 * frames where the cloud carries them, and the cloud side's BGP ASN.
 */
export const CROSS_CONNECT = {
  // aws_dx_connection bandwidth values are case sensitive: 1Gbps, 10Gbps, 100Gbps, 400Gbps
  // (registry.terraform.io/providers/hashicorp/aws/6.66.0/docs/resources/dx_connection). Private
  // virtual interfaces carry MTU 1500 or 9001 (dx_private_virtual_interface). 64512 is the
  // Direct Connect gateway's default Amazon-side ASN.
  aws: { bandwidth: "10Gbps", mtu: 9001, cloudAsn: 64512 },
  // Dedicated Interconnect 10G links are LINK_TYPE_ETHERNET_10G_LR (compute_interconnect); an
  // attachment's MTU may be 1440, 1460, 1500 or 8896 (compute_interconnect_attachment). Cloud
  // Router ASNs are private ASNs of our choice; 16550 is reserved for Partner Interconnect.
  gcp: { linkType: "LINK_TYPE_ETHERNET_10G_LR", mtu: 8896, cloudAsn: 64512 },
  // ExpressRoute Direct-less circuits through a provider: bandwidth_in_mbps 10000; Microsoft's side
  // is always ASN 12076 (learn.microsoft.com/azure/expressroute/expressroute-routing).
  azure: { bandwidthMbps: 10000, cloudAsn: 12076 },
} as const;

/**
 * The BGP addresses of a cross-connect's link-local /29: two /30 links (ExpressRoute needs a
 * primary and a secondary; the others use the first), the cloud on the first host of each and our
 * router on the second.
 */
export function bgpAddresses(peering: string): { link: string; cloud: string; ours: string }[] {
  const [base] = parseCidr(peering);
  return [0, 4].map((o) => ({
    link: formatCidr(base + o, 30),
    cloud: formatCidr(base + o + 1, 30),
    ours: formatCidr(base + o + 2, 30),
  }));
}
