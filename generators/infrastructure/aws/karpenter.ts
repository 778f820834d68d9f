import { Construct } from "constructs";
import { CloudwatchEventRule, CloudwatchEventTarget, EksAccessEntry, EksPodIdentityAssociation, PlacementGroup, SqsQueue, SqsQueuePolicy, type EksCluster } from "./resources.ts";
import type { Catalog, RegionSettings } from "../../inputs/types.ts";
import { NODE_POOL_KEY } from "../../nodes/labels.ts";
import { stagePools } from "../pools.ts";
import { POD_IDENTITY, inlinePolicy, serviceRole } from "./iam.ts";

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

export interface KarpenterPrerequisitesProps {
  readonly catalog: Catalog;
  readonly region: RegionSettings;
  readonly cluster: EksCluster;
}

/**
 * What Karpenter needs before its NodePools can launch anything (karpenter.sh docs, Getting
 * Started and Reference, CloudFormation): the node role the EC2NodeClasses name, with its access
 * entry; the interruption queue (named after the cluster: the Helm value settings.interruptionQueue)
 * fed by the events above; the controller's role by EKS Pod Identity (the getting-started install's
 * namespace and service account); cluster placement groups for the low-latency pools.
 */
export class KarpenterPrerequisites extends Construct {
  constructor(scope: Construct, id: string, props: KarpenterPrerequisitesProps) {
    super(scope, id);
    const { catalog, region, cluster } = props;
    const name = region.cluster.name;
    const here = region.region;
    const nodeRole = serviceRole(this, "karpenter-node-role", region.karpenter!.nodeRole, "ec2.amazonaws.com", ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly", "AmazonSSMManagedInstanceCore"]);
    new EksAccessEntry(this, "karpenter-node-access", { clusterName: cluster.name, principalArn: nodeRole.arn, type: "EC2_LINUX" });
    const queue = new SqsQueue(this, "interruption-queue", { name, messageRetentionSeconds: 300, sqsManagedSseEnabled: true });
    const rules = INTERRUPTION_EVENTS.map((e) => {
      const rule = new CloudwatchEventRule(this, `interruption-${e.id}`, { name: `${name}-${e.id}`, eventPattern: JSON.stringify({ source: [e.source], "detail-type": [e.detailType] }) });
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

    // Karpenter v1's KarpenterControllerPolicy, condensed: launch and tag in this region, terminate
    // and delete only what carries this cluster's ownership tag, pass only the node role, read the queue.
    const owned = { [`aws:ResourceTag/kubernetes.io/cluster/${name}`]: "owned" };
    const profiles = `arn:aws:iam::${region.infrastructure.account}:instance-profile/*`;
    const controller = serviceRole(this, "karpenter-controller-role", `${name}-karpenter`, POD_IDENTITY);
    inlinePolicy(this, "karpenter-controller-policy", controller, "karpenter", [
      { Sid: "Launch", Effect: "Allow", Action: ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"], Resource: "*", Condition: { StringEquals: { "aws:RequestedRegion": here } } },
      { Sid: "TagOnCreate", Effect: "Allow", Action: "ec2:CreateTags", Resource: "*", Condition: { StringEquals: { "aws:RequestedRegion": here, "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"] } } },
      { Sid: "TagOwned", Effect: "Allow", Action: "ec2:CreateTags", Resource: `arn:aws:ec2:${here}:*:instance/*`, Condition: { StringEquals: owned } },
      { Sid: "DeleteOwned", Effect: "Allow", Action: ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"], Resource: "*", Condition: { StringEquals: owned } },
      { Sid: "Read", Effect: "Allow", Action: ["ec2:DescribeAvailabilityZones", "ec2:DescribeCapacityReservations", "ec2:DescribeImages", "ec2:DescribeInstances", "ec2:DescribeInstanceTypeOfferings", "ec2:DescribeInstanceTypes", "ec2:DescribeLaunchTemplates", "ec2:DescribePlacementGroups", "ec2:DescribeSecurityGroups", "ec2:DescribeSpotPriceHistory", "ec2:DescribeSubnets"], Resource: "*", Condition: { StringEquals: { "aws:RequestedRegion": here } } },
      { Sid: "AmiParameters", Effect: "Allow", Action: "ssm:GetParameter", Resource: `arn:aws:ssm:${here}::parameter/aws/service/*` },
      { Sid: "Pricing", Effect: "Allow", Action: "pricing:GetProducts", Resource: "*" },
      { Sid: "InterruptionQueue", Effect: "Allow", Action: ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"], Resource: queue.arn },
      { Sid: "PassNodeRole", Effect: "Allow", Action: "iam:PassRole", Resource: nodeRole.arn, Condition: { StringEquals: { "iam:PassedToService": "ec2.amazonaws.com" } } },
      { Sid: "InstanceProfiles", Effect: "Allow", Action: ["iam:CreateInstanceProfile", "iam:TagInstanceProfile", "iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"], Resource: profiles, Condition: { StringEquals: { [`aws:RequestTag/kubernetes.io/cluster/${name}`]: "owned" } } },
      { Sid: "InstanceProfilesOwned", Effect: "Allow", Action: ["iam:TagInstanceProfile", "iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"], Resource: profiles, Condition: { StringEquals: owned } },
      { Sid: "InstanceProfilesRead", Effect: "Allow", Action: ["iam:GetInstanceProfile", "iam:ListInstanceProfiles"], Resource: "*" },
      { Sid: "ApiEndpoint", Effect: "Allow", Action: "eks:DescribeCluster", Resource: cluster.arn },
    ]);
    new EksPodIdentityAssociation(this, "karpenter-controller-identity", { clusterName: cluster.name, namespace: "kube-system", serviceAccount: "karpenter", roleArn: controller.arn });

    // The low-latency pools' instances share a rack segment (EC2 "cluster" placement strategy).
    for (const pool of stagePools(catalog, region).filter((p) => p.lowLatency)) {
      new PlacementGroup(this, `placement-${pool.name}`, { name: `${name}-${pool.name}`, strategy: "cluster", tags: { [NODE_POOL_KEY]: pool.name } });
    }
  }
}
