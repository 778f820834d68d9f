import { Construct } from "constructs";
import { CloudwatchLogGroup, DefaultSecurityGroup, FlowLog, RouteTable, RouteTableAssociation, SecurityGroup, Subnet, Vpc, VpcEndpoint, VpnGateway, type KmsKey } from "./resources.ts";
import type { RegionSettings } from "../../inputs/types.ts";
import { DISCOVERY_TAG } from "../../constructs/karpenter-node-pools.ts";
import { zoneSubnets } from "../clouds.ts";
import { inlinePolicy, serviceRole } from "./iam.ts";

/**
 * AWS APIs the private subnets reach through interface endpoints: image pulls (ECR), credentials
 * (STS, EKS Pod Identity's eks-auth), the API server's discovery (EKS), Karpenter's EC2, SQS and SSM
 * calls, flow and control-plane logs, and the Prometheus workspace the gate queries.
 */
export const INTERFACE_ENDPOINTS = ["ecr.api", "ecr.dkr", "sts", "eks", "eks-auth", "ec2", "sqs", "ssm", "logs", "aps-workspaces"] as const;

export interface AwsNetworkProps {
  readonly region: RegionSettings;
  /** `<environment>-<region>`. */
  readonly stage: string;
  /** Encrypts the flow logs. */
  readonly key: KmsKey;
}

/**
 * The stage's VPC: one private subnet per zone (the CIDR split evenly), tagged for Karpenter's
 * subnet discovery; the node security group Karpenter finds by the same tag; no internet route: the
 * exchanges' prefixes arrive by BGP (propagated from the virtual gateway Direct Connect ends at),
 * AWS APIs through VPC endpoints. The default security group admits nothing; every flow is logged.
 */
export class AwsNetwork extends Construct {
  readonly vpc: Vpc;
  readonly subnets: readonly Subnet[];
  /** Engine and system nodes (Karpenter's securityGroupSelectorTerms). */
  readonly nodes: SecurityGroup;
  /** The virtual private gateway the Direct Connect gateway attaches to. */
  readonly vgw: VpnGateway;

  constructor(scope: Construct, id: string, props: AwsNetworkProps) {
    super(scope, id);
    const { region, stage, key } = props;
    const cidr = region.infrastructure.cidr;
    const cluster = region.cluster.name;
    this.vpc = new Vpc(this, "vpc", { cidrBlock: cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: { Name: stage } });
    new DefaultSecurityGroup(this, "default-security-group", { vpcId: this.vpc.id });
    const flowLogs = new CloudwatchLogGroup(this, "flow-logs", { name: `/bitactor/${stage}/vpc-flow-logs`, retentionInDays: 365, kmsKeyId: key.arn });
    const flowRole = serviceRole(this, "flow-logs-role", `${cluster}-flow-logs`, "vpc-flow-logs.amazonaws.com");
    inlinePolicy(this, "flow-logs-policy", flowRole, "flow-logs", [{ Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"], Resource: `${flowLogs.arn}:*` }]);
    new FlowLog(this, "vpc-flow-logs", { vpcId: this.vpc.id, trafficType: "ALL", logDestination: flowLogs.arn, iamRoleArn: flowRole.arn });
    this.subnets = zoneSubnets(cidr, region.zones).map(
      (z) => new Subnet(this, `subnet-${z.zone}`, { vpcId: this.vpc.id, availabilityZone: z.zone, cidrBlock: z.cidr, mapPublicIpOnLaunch: false, tags: { Name: `${stage}-${z.zone}`, [DISCOVERY_TAG]: cluster, "kubernetes.io/role/internal-elb": "1" } }),
    );
    this.nodes = new SecurityGroup(this, "nodes", {
      name: `${cluster}-nodes`,
      description: `Engine nodes of ${cluster} (Karpenter finds it by its discovery tag)`,
      vpcId: this.vpc.id,
      ingress: [{ description: "nodes and pods of the VPC", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: [cidr] }],
      egress: [{ description: "the VPC, and the exchanges over Direct Connect", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: [cidr, ...region.exchanges.flatMap((x) => x.cidrs)] }],
      tags: { [DISCOVERY_TAG]: cluster },
    });
    this.vgw = new VpnGateway(this, "vgw", { vpcId: this.vpc.id, tags: { Name: stage } });
    const routes = new RouteTable(this, "routes", { vpcId: this.vpc.id, propagatingVgws: [this.vgw.id], tags: { Name: stage } });
    this.subnets.forEach((sn, i) => new RouteTableAssociation(this, `routes-${region.zones[i]}`, { subnetId: sn.id, routeTableId: routes.id }));
    new VpcEndpoint(this, "endpoint-s3", { vpcId: this.vpc.id, serviceName: `com.amazonaws.${region.region}.s3`, vpcEndpointType: "Gateway", routeTableIds: [routes.id] });
    const endpoints = new SecurityGroup(this, "endpoints", {
      name: `${cluster}-endpoints`,
      description: `AWS API endpoints inside ${stage}'s VPC`,
      vpcId: this.vpc.id,
      ingress: [{ description: "HTTPS from the VPC", protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: [cidr] }],
      egress: [{ description: "the VPC", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: [cidr] }],
    });
    for (const service of INTERFACE_ENDPOINTS) {
      new VpcEndpoint(this, `endpoint-${service.replace(/\./g, "-")}`, {
        vpcId: this.vpc.id,
        serviceName: `com.amazonaws.${region.region}.${service}`,
        vpcEndpointType: "Interface",
        privateDnsEnabled: true,
        subnetIds: this.subnets.map((sn) => sn.id),
        securityGroupIds: [endpoints.id],
      });
    }
  }
}
