import { Construct } from "constructs";
import { ComputeFirewall, ComputeNetwork, ComputeSubnetwork } from "./resources.ts";
import { splitCidr } from "../clouds.ts";
import { CROSS_CONNECT } from "../interconnect.ts";
import type { RegionSettings } from "../../inputs/types.ts";

export interface GcpNetworkProps {
  readonly region: RegionSettings;
  /** `<environment>-<region>`. */
  readonly stage: string;
}

/**
 * The stage's VPC (MTU 8896, the largest Interconnect carries), one regional subnet for the nodes
 * with secondary ranges for pods and services and flow logs, and firewall rules that admit only the
 * VPC's own ranges. The fourth quarter of the CIDR holds the control plane's range.
 */
export class GcpNetwork extends Construct {
  readonly network: ComputeNetwork;
  readonly subnet: ComputeSubnetwork;
  /** The control plane's /28 (private_cluster_config). */
  readonly controlPlaneCidr: string;

  constructor(scope: Construct, id: string, props: GcpNetworkProps) {
    super(scope, id);
    const { region, stage } = props;
    const infra = region.infrastructure;
    // The VPC: nodes, pods, services and the control plane's peering range cut from one CIDR.
    const [nodes, pods, services, control] = splitCidr(infra.cidr, 4);
    this.network = new ComputeNetwork(this, "vpc", { name: stage, autoCreateSubnetworks: false, mtu: CROSS_CONNECT.gcp.mtu, routingMode: "REGIONAL" });
    this.subnet = new ComputeSubnetwork(this, "subnet", {
      name: stage,
      network: this.network.id,
      region: region.region,
      ipCidrRange: nodes!,
      privateIpGoogleAccess: true,
      secondaryIpRange: [
        { rangeName: "pods", ipCidrRange: pods! },
        { rangeName: "services", ipCidrRange: services! },
      ],
      logConfig: { aggregationInterval: "INTERVAL_5_SEC", flowSampling: 0.5, metadata: "INCLUDE_ALL_METADATA" },
    });

    // Nothing enters the VPC but what a rule admits: its own ranges (nodes, pods, services).
    // GKE adds the control plane's rules itself (cloud.google.com/kubernetes-engine/docs/concepts/firewall-rules).
    new ComputeFirewall(this, "allow-internal", { name: `${stage}-allow-internal`, network: this.network.id, direction: "INGRESS", priority: 1000, sourceRanges: [infra.cidr], allow: [{ protocol: "all" }], logConfig: { metadata: "INCLUDE_ALL_METADATA" } });
    new ComputeFirewall(this, "deny-ingress", { name: `${stage}-deny-ingress`, network: this.network.id, direction: "INGRESS", priority: 65534, sourceRanges: ["0.0.0.0/0"], deny: [{ protocol: "all" }], logConfig: { metadata: "INCLUDE_ALL_METADATA" } });

    this.controlPlaneCidr = splitCidr(control!, 2 ** (28 - Number(control!.split("/")[1])))[0]!;
  }
}
