import { Construct } from "constructs";
import { S3Backend } from "cdktn";
import { AwsProvider } from "@cdktn/provider-aws/lib/provider/index.js";
import { Vpc } from "@cdktn/provider-aws/lib/vpc/index.js";
import { Subnet } from "@cdktn/provider-aws/lib/subnet/index.js";
import { SecurityGroup } from "@cdktn/provider-aws/lib/security-group/index.js";
import { KmsKey } from "@cdktn/provider-aws/lib/kms-key/index.js";
import { IamRole } from "@cdktn/provider-aws/lib/iam-role/index.js";
import { IamRolePolicyAttachment } from "@cdktn/provider-aws/lib/iam-role-policy-attachment/index.js";
import { IamRolePolicy } from "@cdktn/provider-aws/lib/iam-role-policy/index.js";
import { EksCluster } from "@cdktn/provider-aws/lib/eks-cluster/index.js";
import { EksNodeGroup } from "@cdktn/provider-aws/lib/eks-node-group/index.js";
import { EksAccessEntry } from "@cdktn/provider-aws/lib/eks-access-entry/index.js";
import { EksPodIdentityAssociation } from "@cdktn/provider-aws/lib/eks-pod-identity-association/index.js";
import { SqsQueue } from "@cdktn/provider-aws/lib/sqs-queue/index.js";
import { SqsQueuePolicy } from "@cdktn/provider-aws/lib/sqs-queue-policy/index.js";
import { CloudwatchEventRule } from "@cdktn/provider-aws/lib/cloudwatch-event-rule/index.js";
import { CloudwatchEventTarget } from "@cdktn/provider-aws/lib/cloudwatch-event-target/index.js";
import { PlacementGroup } from "@cdktn/provider-aws/lib/placement-group/index.js";
import { DxConnection } from "@cdktn/provider-aws/lib/dx-connection/index.js";
import { DxGateway } from "@cdktn/provider-aws/lib/dx-gateway/index.js";
import { DxGatewayAssociation } from "@cdktn/provider-aws/lib/dx-gateway-association/index.js";
import { DxPrivateVirtualInterface } from "@cdktn/provider-aws/lib/dx-private-virtual-interface/index.js";
import { VpnGateway } from "@cdktn/provider-aws/lib/vpn-gateway/index.js";
import { RouteTable } from "@cdktn/provider-aws/lib/route-table/index.js";
import { RouteTableAssociation } from "@cdktn/provider-aws/lib/route-table-association/index.js";
import { VpcEndpoint } from "@cdktn/provider-aws/lib/vpc-endpoint/index.js";
import { PrometheusWorkspace } from "@cdktn/provider-aws/lib/prometheus-workspace/index.js";
import { S3Bucket } from "@cdktn/provider-aws/lib/s3-bucket/index.js";
import { S3BucketVersioningA } from "@cdktn/provider-aws/lib/s3-bucket-versioning/index.js";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktn/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js";
import { S3BucketPublicAccessBlock } from "@cdktn/provider-aws/lib/s3-bucket-public-access-block/index.js";
import { S3BucketOwnershipControls } from "@cdktn/provider-aws/lib/s3-bucket-ownership-controls/index.js";
import { DefaultSecurityGroup } from "@cdktn/provider-aws/lib/default-security-group/index.js";
import { CloudwatchLogGroup } from "@cdktn/provider-aws/lib/cloudwatch-log-group/index.js";
import { FlowLog } from "@cdktn/provider-aws/lib/flow-log/index.js";
import { TerraformOutput } from "cdktn";
import { DISCOVERY_TAG } from "../constructs/karpenter-node-pools.ts";
import { NODE_POOL_KEY } from "../nodes/labels.ts";
import { zoneSubnets } from "./clouds.ts";
import { stagePools } from "./pools.ts";
import { CROSS_CONNECT, bgpAddresses } from "./interconnect.ts";
import { skipChecks, type StageModuleProps } from "./module.ts";
import { APPLY_OUTPUTS, type ApplyOutput } from "./outputs.ts";

/**
 * One AWS stage: VPC over the region's zones, EKS at the target minor with a private endpoint, the
 * system node group Karpenter itself runs on, Karpenter's prerequisites (node role, interruption
 * queue and its EventBridge rules, discovery tags), cluster placement groups for the low-latency
 * pools, Direct Connect to each exchange, the Amazon Managed Prometheus workspace and Velero's bucket
 * and identity. Engine nodes are not here: Karpenter launches them from the rendered NodePools.
 */
export class AwsStage extends Construct {
  constructor(scope: Construct, id: string, props: StageModuleProps) {
    super(scope, id);
    const { region, stage } = props;
    const infra = region.infrastructure;
    const cluster = region.cluster.name;
    const tags = { "bitactor.io/stage": stage, "app.kubernetes.io/managed-by": "opentofu" };
    new S3Backend(scope, { bucket: infra.state.bucket!, region: infra.state.region!, key: `${stage}/terraform.tfstate`, encrypt: true, useLockfile: true });
    new AwsProvider(this, "aws", { region: region.region, allowedAccountIds: [infra.account], defaultTags: [{ tags }] });

    // One key for the stage's secrets, logs and backups; the account administers it, CloudWatch Logs may use it for the flow logs.
    const key = new KmsKey(this, "key", {
      description: `${stage}: EKS secrets, flow logs and Velero backups`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Sid: "Account", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${infra.account}:root` }, Action: "kms:*", Resource: "*" },
          {
            Sid: "FlowLogs",
            Effect: "Allow",
            Principal: { Service: `logs.${region.region}.amazonaws.com` },
            Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            Resource: "*",
            Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:${region.region}:${infra.account}:log-group:*` } },
          },
        ],
      }),
    });

    // Network: one private subnet per zone, tagged for Karpenter's subnet discovery; the default
    // security group admits nothing; every flow is logged.
    const vpc = new Vpc(this, "vpc", { cidrBlock: infra.cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: { Name: stage } });
    new DefaultSecurityGroup(this, "default-security-group", { vpcId: vpc.id });
    const flowLogs = new CloudwatchLogGroup(this, "flow-logs", { name: `/bitactor/${stage}/vpc-flow-logs`, retentionInDays: 365, kmsKeyId: key.arn });
    const flowRole = role(this, "flow-logs-role", `${cluster}-flow-logs`, "vpc-flow-logs.amazonaws.com", []);
    new IamRolePolicy(this, "flow-logs-policy", {
      role: flowRole.name,
      name: "flow-logs",
      policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"], Resource: `${flowLogs.arn}:*` }] }),
    });
    new FlowLog(this, "vpc-flow-logs", { vpcId: vpc.id, trafficType: "ALL", logDestination: flowLogs.arn, iamRoleArn: flowRole.arn });
    const subnets = zoneSubnets(infra.cidr, region.zones).map(
      (z) => new Subnet(this, `subnet-${z.zone}`, { vpcId: vpc.id, availabilityZone: z.zone, cidrBlock: z.cidr, mapPublicIpOnLaunch: false, tags: { Name: `${stage}-${z.zone}`, [DISCOVERY_TAG]: cluster, "kubernetes.io/role/internal-elb": "1" } }),
    );
    const nodes = new SecurityGroup(this, "nodes", {
      name: `${cluster}-nodes`,
      description: `Engine nodes of ${cluster} (Karpenter finds it by its discovery tag)`,
      vpcId: vpc.id,
      ingress: [{ description: "nodes and pods of the VPC", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: [infra.cidr] }],
      egress: [{ description: "the VPC, and the exchanges over Direct Connect", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: [infra.cidr, ...region.exchanges.flatMap((x) => x.cidrs)] }],
      tags: { [DISCOVERY_TAG]: cluster },
    });

    // The cluster: private API endpoint only; Kubernetes secrets encrypted with our key.
    const clusterRole = role(this, "cluster-role", `${cluster}-cluster`, "eks.amazonaws.com", ["AmazonEKSClusterPolicy"]);
    const eks = new EksCluster(this, "cluster", {
      name: cluster,
      version: props.kubernetesMinor,
      roleArn: clusterRole.arn,
      vpcConfig: { subnetIds: subnets.map((s) => s.id), endpointPrivateAccess: true, endpointPublicAccess: false, securityGroupIds: [nodes.id] },
      accessConfig: { authenticationMode: "API" },
      encryptionConfig: { resources: ["secrets"], provider: { keyArn: key.arn } },
      enabledClusterLogTypes: ["api", "audit", "authenticator", "controllerManager", "scheduler"],
    });
    skipChecks(eks, [{ id: "CKV_AWS_339", reason: "checkov 3.3.30's list of supported EKS versions ends before 1.36; EKS supports 1.36 in standard support until 2027-08-02 (docs/versions.md)." }]);
    const api = new SecurityGroup(this, "api-access", {
      name: `${cluster}-api`,
      description: `Who reaches ${cluster}'s private API endpoint`,
      vpcId: vpc.id,
      ingress: [{ description: "management network and operators' VPN", protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: [...infra.apiAccessCidrs] }],
      egress: [{ description: "the VPC", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: [infra.cidr] }],
    });
    eks.addOverride("vpc_config.security_group_ids", [nodes.id, api.id]);

    // Karpenter's prerequisites (karpenter.sh, Getting Started, CloudFormation reference): the node
    // role the EC2NodeClasses name, its access entry, and the interruption queue with its rules.
    const nodeRole = role(this, "karpenter-node-role", region.karpenter!.nodeRole, "ec2.amazonaws.com", ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly", "AmazonSSMManagedInstanceCore"]);
    new EksAccessEntry(this, "karpenter-node-access", { clusterName: eks.name, principalArn: nodeRole.arn, type: "EC2_LINUX" });
    const systemNodes = props.catalog.systemNodes.perZone * region.zones.length;
    const system = role(this, "system-node-role", `${cluster}-system-nodes`, "ec2.amazonaws.com", ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"]);
    new EksNodeGroup(this, "system", {
      clusterName: eks.name,
      nodeGroupName: "system",
      nodeRoleArn: system.arn,
      subnetIds: subnets.map((s) => s.id),
      instanceTypes: [props.catalog.systemNodes.instanceTypes.aws],
      capacityType: "ON_DEMAND",
      scalingConfig: { minSize: systemNodes, desiredSize: systemNodes, maxSize: 2 * systemNodes },
      labels: { [NODE_POOL_KEY]: "system" },
    });
    // The interruption queue is named after the cluster: Karpenter's Helm value settings.interruptionQueue takes that name.
    const queue = new SqsQueue(this, "interruption-queue", { name: cluster, messageRetentionSeconds: 300, sqsManagedSseEnabled: true });
    const rules = INTERRUPTION_EVENTS.map((e) => {
      const rule = new CloudwatchEventRule(this, `interruption-${e.id}`, { name: `${cluster}-${e.id}`, eventPattern: JSON.stringify({ source: [e.source], "detail-type": [e.detailType] }) });
      new CloudwatchEventTarget(this, `interruption-${e.id}-target`, { rule: rule.name, targetId: "karpenter-interruption-queue", arn: queue.arn });
      return rule;
    });
    new SqsQueuePolicy(this, "interruption-queue-policy", {
      queueUrl: queue.url,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Sid: "EventBridge", Effect: "Allow", Principal: { Service: ["events.amazonaws.com", "sqs.amazonaws.com"] }, Action: "sqs:SendMessage", Resource: queue.arn, Condition: { ArnEquals: { "aws:SourceArn": rules.map((r) => r.arn) } } },
          { Sid: "DenyHTTP", Effect: "Deny", Principal: "*", Action: "sqs:*", Resource: queue.arn, Condition: { Bool: { "aws:SecureTransport": "false" } } },
        ],
      }),
    });

    // IAM policies are JSON text with references inside ("${...}" templates), not jsonencode()
    // expressions: checkov reads the text and judges every statement.
    // Karpenter's controller (namespace and service account of the getting-started install), by EKS
    // Pod Identity: the permissions of Karpenter v1's KarpenterControllerPolicy (karpenter.sh docs,
    // Reference, CloudFormation), condensed: launch and tag in this region, terminate and delete only
    // what carries this cluster's ownership tag, pass only the node role, read the interruption queue.
    const here = region.region;
    const owned = { [`aws:ResourceTag/kubernetes.io/cluster/${cluster}`]: "owned" };
    const controller = role(this, "karpenter-controller-role", `${cluster}-karpenter`, "pods.eks.amazonaws.com", []);
    new IamRolePolicy(this, "karpenter-controller-policy", {
      role: controller.name,
      name: "karpenter",
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Sid: "Launch", Effect: "Allow", Action: ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"], Resource: "*", Condition: { StringEquals: { "aws:RequestedRegion": here } } },
          { Sid: "TagOnCreate", Effect: "Allow", Action: "ec2:CreateTags", Resource: "*", Condition: { StringEquals: { "aws:RequestedRegion": here, "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"] } } },
          { Sid: "TagOwned", Effect: "Allow", Action: "ec2:CreateTags", Resource: `arn:aws:ec2:${here}:*:instance/*`, Condition: { StringEquals: owned } },
          { Sid: "DeleteOwned", Effect: "Allow", Action: ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"], Resource: "*", Condition: { StringEquals: owned } },
          { Sid: "Read", Effect: "Allow", Action: ["ec2:DescribeAvailabilityZones", "ec2:DescribeCapacityReservations", "ec2:DescribeImages", "ec2:DescribeInstances", "ec2:DescribeInstanceTypeOfferings", "ec2:DescribeInstanceTypes", "ec2:DescribeLaunchTemplates", "ec2:DescribePlacementGroups", "ec2:DescribeSecurityGroups", "ec2:DescribeSpotPriceHistory", "ec2:DescribeSubnets"], Resource: "*", Condition: { StringEquals: { "aws:RequestedRegion": here } } },
          { Sid: "AmiParameters", Effect: "Allow", Action: "ssm:GetParameter", Resource: `arn:aws:ssm:${here}::parameter/aws/service/*` },
          { Sid: "Pricing", Effect: "Allow", Action: "pricing:GetProducts", Resource: "*" },
          { Sid: "InterruptionQueue", Effect: "Allow", Action: ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"], Resource: queue.arn },
          { Sid: "PassNodeRole", Effect: "Allow", Action: "iam:PassRole", Resource: nodeRole.arn, Condition: { StringEquals: { "iam:PassedToService": "ec2.amazonaws.com" } } },
          { Sid: "InstanceProfiles", Effect: "Allow", Action: ["iam:CreateInstanceProfile", "iam:TagInstanceProfile", "iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"], Resource: `arn:aws:iam::${infra.account}:instance-profile/*`, Condition: { StringEquals: { [`aws:RequestTag/kubernetes.io/cluster/${cluster}`]: "owned" } } },
          { Sid: "InstanceProfilesOwned", Effect: "Allow", Action: ["iam:TagInstanceProfile", "iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"], Resource: `arn:aws:iam::${infra.account}:instance-profile/*`, Condition: { StringEquals: owned } },
          { Sid: "InstanceProfilesRead", Effect: "Allow", Action: ["iam:GetInstanceProfile", "iam:ListInstanceProfiles"], Resource: "*" },
          { Sid: "ApiEndpoint", Effect: "Allow", Action: "eks:DescribeCluster", Resource: eks.arn },
        ],
      }),
    });
    new EksPodIdentityAssociation(this, "karpenter-controller-identity", { clusterName: eks.name, namespace: "kube-system", serviceAccount: "karpenter", roleArn: controller.arn });

    // Cluster placement groups: the low-latency pools' instances share a rack segment (EC2 "cluster" strategy).
    for (const pool of stagePools(props.catalog, region).filter((p) => p.lowLatency)) {
      new PlacementGroup(this, `placement-${pool.name}`, { name: `${cluster}-${pool.name}`, strategy: "cluster", tags: { "bitactor.io/node-pool": pool.name } });
    }

    // Direct Connect: per exchange a dedicated 10 Gbps connection at its colocation site, a private
    // virtual interface with BGP to our router there, through a Direct Connect gateway to the VPC.
    const vgw = new VpnGateway(this, "vgw", { vpcId: vpc.id, tags: { Name: stage } });
    const dxgw = new DxGateway(this, "dx-gateway", { name: stage, amazonSideAsn: String(CROSS_CONNECT.aws.cloudAsn) });
    new DxGatewayAssociation(this, "dx-gateway-vpc", { dxGatewayId: dxgw.id, associatedGatewayId: vgw.id });
    for (const x of region.exchanges) {
      const c = new DxConnection(this, `dx-${x.id.toLowerCase()}`, { name: `${stage}-${x.id}`, bandwidth: CROSS_CONNECT.aws.bandwidth, location: x.crossConnect.location, providerName: x.crossConnect.provider, skipDestroy: true, tags: { exchange: x.id } });
      const bgp = bgpAddresses(x.crossConnect.peering);
      new DxPrivateVirtualInterface(this, `dx-${x.id.toLowerCase()}-vif`, {
        name: `${stage}-${x.id}`,
        connectionId: c.id,
        dxGatewayId: dxgw.id,
        vlan: x.crossConnect.vlan,
        addressFamily: "ipv4",
        bgpAsn: infra.asn,
        amazonAddress: bgp[0]!.cloud,
        customerAddress: bgp[0]!.ours,
        mtu: CROSS_CONNECT.aws.mtu,
      });
    }

    // The subnets' routes: the exchanges' prefixes as our routers announce them over BGP (propagated
    // from the virtual gateway), and no internet route. AWS APIs are reached through endpoints in the
    // VPC: S3 by a gateway endpoint, the rest (images, credentials, Karpenter's, the metrics
    // workspace) by interface endpoints with private DNS.
    const routes = new RouteTable(this, "routes", { vpcId: vpc.id, propagatingVgws: [vgw.id], tags: { Name: stage } });
    subnets.forEach((sn, i) => new RouteTableAssociation(this, `routes-${region.zones[i]}`, { subnetId: sn.id, routeTableId: routes.id }));
    new VpcEndpoint(this, "endpoint-s3", { vpcId: vpc.id, serviceName: `com.amazonaws.${region.region}.s3`, vpcEndpointType: "Gateway", routeTableIds: [routes.id] });
    const endpoints = new SecurityGroup(this, "endpoints", {
      name: `${cluster}-endpoints`,
      description: `AWS API endpoints inside ${stage}'s VPC`,
      vpcId: vpc.id,
      ingress: [{ description: "HTTPS from the VPC", protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: [infra.cidr] }],
      egress: [{ description: "the VPC", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: [infra.cidr] }],
    });
    for (const service of INTERFACE_ENDPOINTS) {
      new VpcEndpoint(this, `endpoint-${service.replace(/\./g, "-")}`, {
        vpcId: vpc.id,
        serviceName: `com.amazonaws.${region.region}.${service}`,
        vpcEndpointType: "Interface",
        privateDnsEnabled: true,
        subnetIds: subnets.map((sn) => sn.id),
        securityGroupIds: [endpoints.id],
      });
    }

    // Amazon Managed Prometheus, where the region's gate queries one (a SigV4 address): the
    // workspace, and the role the queries assume (its name is the one prometheus.authentication.sigv4.roleArn
    // names), which Argo Rollouts' controller gets by EKS Pod Identity (the namespace and service
    // account of its install manifests). The workspace id exists only after apply: npm run
    // infra:outputs writes the address into the region file.
    const sigv4 = region.prometheus.authentication?.sigv4;
    if (sigv4) {
      const amp = new PrometheusWorkspace(this, "prometheus", { alias: stage, kmsKeyArn: key.arn });
      const query = role(this, "amp-query-role", sigv4.roleArn.slice(sigv4.roleArn.lastIndexOf("/") + 1), "pods.eks.amazonaws.com", []);
      new IamRolePolicy(this, "amp-query-policy", {
        role: query.name,
        name: "query",
        policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["aps:QueryMetrics", "aps:GetSeries", "aps:GetLabels", "aps:GetMetricMetadata"], Resource: amp.arn }] }),
      });
      new EksPodIdentityAssociation(this, "amp-query-identity", { clusterName: eks.name, namespace: "argo-rollouts", serviceAccount: "argo-rollouts", roleArn: query.arn });
      new TerraformOutput(this, "prometheus_address" satisfies ApplyOutput, { value: amp.prometheusEndpoint, description: APPLY_OUTPUTS.prometheus_address.description });
    }

    // Velero: a versioned, encrypted, private bucket, and the role its pods assume (EKS Pod Identity).
    const bucket = new S3Bucket(this, "velero-bucket", { bucket: region.backup.bucket, forceDestroy: false });
    skipChecks(bucket, [
      { id: "CKV_AWS_144", reason: "Backups stay in the stage's region on purpose: a restore must not cross regions (docs/disaster-recovery.md); the standby region has its own bucket." },
      { id: "CKV_AWS_18", reason: "Velero's own logs and the bucket's CloudTrail data events record access; S3 server access logs would need a second bucket per stage." },
      { id: "CKV2_AWS_62", reason: "Nothing consumes bucket events; Velero polls its BackupStorageLocation." },
      { id: "CKV2_AWS_61", reason: "Velero deletes expired backups itself (Schedule ttl); a lifecycle rule would delete backups Velero still lists." },
    ]);
    new S3BucketVersioningA(this, "velero-versioning", { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } });
    new S3BucketServerSideEncryptionConfigurationA(this, "velero-encryption", { bucket: bucket.id, rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn }, bucketKeyEnabled: true }] });
    new S3BucketPublicAccessBlock(this, "velero-public-access", { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
    new S3BucketOwnershipControls(this, "velero-ownership", { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } });
    const velero = role(this, "velero-role", `${cluster}-velero`, "pods.eks.amazonaws.com", []);
    new IamRolePolicy(this, "velero-policy", {
      role: velero.name,
      name: "velero-bucket",
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"], Resource: `${bucket.arn}/*` },
          { Effect: "Allow", Action: ["s3:ListBucket"], Resource: bucket.arn },
          { Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: key.arn },
        ],
      }),
    });
    new EksPodIdentityAssociation(this, "velero-identity", { clusterName: eks.name, namespace: props.environment.backup.namespace, serviceAccount: "velero", roleArn: velero.arn });
  }
}

/**
 * AWS APIs the private subnets reach through interface endpoints: image pulls (ECR), credentials
 * (STS, EKS Pod Identity's eks-auth), the API server's discovery (EKS), Karpenter's EC2, SQS and SSM
 * calls, flow and control-plane logs, and the Prometheus workspace the gate queries.
 */
export const INTERFACE_ENDPOINTS = ["ecr.api", "ecr.dkr", "sts", "eks", "eks-auth", "ec2", "sqs", "ssm", "logs", "aps-workspaces"] as const;

/**
 * The events Karpenter's interruption controller handles (karpenter-provider-aws v1.15.1
 * pkg/controllers/interruption/messages: scheduledchange, spotinterruption, rebalancerecommendation,
 * statechange, capacityreservationinterruption).
 */
export const INTERRUPTION_EVENTS = [
  { id: "health", source: "aws.health", detailType: "AWS Health Event" },
  { id: "spot-interruption", source: "aws.ec2", detailType: "EC2 Spot Instance Interruption Warning" },
  { id: "rebalance", source: "aws.ec2", detailType: "EC2 Instance Rebalance Recommendation" },
  { id: "state-change", source: "aws.ec2", detailType: "EC2 Instance State-change Notification" },
  { id: "capacity-reservation", source: "aws.ec2", detailType: "EC2 Capacity Reservation Instance Interruption Warning" },
] as const;

/** An IAM role a service assumes, with AWS-managed policies attached by name. */
function role(scope: Construct, id: string, name: string, service: string, managed: readonly string[]): IamRole {
  const r = new IamRole(scope, id, {
    name,
    assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: service === "pods.eks.amazonaws.com" ? ["sts:AssumeRole", "sts:TagSession"] : "sts:AssumeRole" }] }),
  });
  for (const p of managed) new IamRolePolicyAttachment(scope, `${id}-${p}`, { role: r.name, policyArn: `arn:aws:iam::aws:policy/${p}` });
  return r;
}
