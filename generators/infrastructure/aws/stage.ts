import { Construct } from "constructs";
import { S3Backend } from "../cdktn.ts";
import { AwsProvider, KmsKey } from "./resources.ts";
import type { StageModuleProps } from "../module.ts";
import { AwsNetwork } from "./network.ts";
import { EksControlPlane } from "./cluster.ts";
import { KarpenterPrerequisites } from "./karpenter.ts";
import { DirectConnect } from "./direct-connect.ts";
import { ManagedPrometheus } from "./prometheus.ts";
import { VeleroBucket } from "./backups.ts";

/**
 * One AWS stage: its state (S3 with S3-native locking), the provider held to the stage's account,
 * one KMS key, then one construct per concern: the network, the EKS control plane, Karpenter's
 * prerequisites, Direct Connect to each exchange, the Amazon Managed Prometheus workspace (where the
 * region's gate queries one) and Velero's bucket. Engine nodes are not here: Karpenter launches them
 * from the rendered NodePools.
 */
export class AwsStage extends Construct {
  constructor(scope: Construct, id: string, props: StageModuleProps) {
    super(scope, id);
    const { region, stage } = props;
    const infra = region.infrastructure;
    new S3Backend(scope, { bucket: infra.state.bucket!, region: infra.state.region!, key: `${stage}/terraform.tfstate`, encrypt: true, useLockfile: true });
    new AwsProvider(this, "aws", { region: region.region, allowedAccountIds: [infra.account], defaultTags: [{ tags: { "bitactor.io/stage": stage, "app.kubernetes.io/managed-by": "opentofu" } }] });
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
    const network = new AwsNetwork(this, "network", { region, stage, key });
    const { cluster } = new EksControlPlane(this, "control-plane", { catalog: props.catalog, region, kubernetesMinor: props.kubernetesMinor, key, network });
    new KarpenterPrerequisites(this, "karpenter", { catalog: props.catalog, region, cluster });
    new DirectConnect(this, "direct-connect", { region, stage, vgw: network.vgw });
    const sigv4 = region.prometheus.authentication?.sigv4;
    if (sigv4) new ManagedPrometheus(this, "managed-prometheus", { stage, sigv4, key, cluster, monitoringNamespace: props.environment.monitoring.namespace });
    new VeleroBucket(this, "velero", { environment: props.environment, region, key, cluster });
  }
}
