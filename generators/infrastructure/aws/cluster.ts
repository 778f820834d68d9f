import { Construct } from "constructs";
import { EksCluster, EksNodeGroup, SecurityGroup, type KmsKey } from "./resources.ts";
import type { Catalog, RegionSettings } from "../../inputs/types.ts";
import { NODE_POOL_KEY } from "../../nodes/labels.ts";
import { skipChecks } from "../module.ts";
import type { AwsNetwork } from "./network.ts";
import { serviceRole } from "./iam.ts";

export interface EksControlPlaneProps {
  readonly catalog: Catalog;
  readonly region: RegionSettings;
  /** The Kubernetes minor (`1.36`). */
  readonly kubernetesMinor: string;
  /** Encrypts Kubernetes secrets. */
  readonly key: KmsKey;
  readonly network: AwsNetwork;
}

/**
 * EKS at the target minor: private API endpoint only, reached on 443 from `apiAccessCidrs`; secrets
 * encrypted with our key; every control-plane log; the system node group (the catalog's
 * `systemNodes`, on demand) that Karpenter and the add-ons run on.
 */
export class EksControlPlane extends Construct {
  readonly cluster: EksCluster;

  constructor(scope: Construct, id: string, props: EksControlPlaneProps) {
    super(scope, id);
    const { catalog, region, key, network } = props;
    const infra = region.infrastructure;
    const name = region.cluster.name;
    const clusterRole = serviceRole(this, "cluster-role", `${name}-cluster`, "eks.amazonaws.com", ["AmazonEKSClusterPolicy"]);
    const api = new SecurityGroup(this, "api-access", {
      name: `${name}-api`,
      description: `Who reaches ${name}'s private API endpoint`,
      vpcId: network.vpc.id,
      ingress: [{ description: "management network and operators' VPN", protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: [...infra.apiAccessCidrs] }],
      egress: [{ description: "the VPC", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: [infra.cidr] }],
    });
    this.cluster = new EksCluster(this, "cluster", {
      name,
      version: props.kubernetesMinor,
      roleArn: clusterRole.arn,
      vpcConfig: { subnetIds: network.subnets.map((s) => s.id), endpointPrivateAccess: true, endpointPublicAccess: false, securityGroupIds: [network.nodes.id, api.id] },
      accessConfig: { authenticationMode: "API" },
      encryptionConfig: { resources: ["secrets"], provider: { keyArn: key.arn } },
      enabledClusterLogTypes: ["api", "audit", "authenticator", "controllerManager", "scheduler"],
    });
    skipChecks(this.cluster, [{ id: "CKV_AWS_339", reason: "checkov 3.3.30's list of supported EKS versions ends before 1.36; EKS supports 1.36 in standard support until 2027-08-02 (docs/versions.md)." }]);
    const nodes = catalog.systemNodes.perZone * region.zones.length;
    const system = serviceRole(this, "system-node-role", `${name}-system-nodes`, "ec2.amazonaws.com", ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"]);
    new EksNodeGroup(this, "system", {
      clusterName: this.cluster.name,
      nodeGroupName: "system",
      nodeRoleArn: system.arn,
      subnetIds: network.subnets.map((s) => s.id),
      instanceTypes: [catalog.systemNodes.instanceTypes.aws],
      capacityType: "ON_DEMAND",
      scalingConfig: { minSize: nodes, desiredSize: nodes, maxSize: 2 * nodes },
      labels: { [NODE_POOL_KEY]: "system" },
    });
  }
}
