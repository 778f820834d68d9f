import { Construct } from "constructs";
import { EksPodIdentityAssociation, S3Bucket, S3BucketOwnershipControls, S3BucketPublicAccessBlock, S3BucketServerSideEncryptionConfigurationA, S3BucketVersioningA, type EksCluster, type KmsKey } from "./resources.ts";
import type { EnvironmentSettings, RegionSettings } from "../../inputs/types.ts";
import { skipChecks } from "../module.ts";
import { POD_IDENTITY, inlinePolicy, serviceRole } from "./iam.ts";

export interface VeleroBucketProps {
  readonly environment: EnvironmentSettings;
  readonly region: RegionSettings;
  readonly key: KmsKey;
  readonly cluster: EksCluster;
}

/**
 * The bucket the stage's BackupStorageLocation names: versioned, encrypted with our key, public
 * access blocked, owner-enforced; and the role Velero's service account gets by EKS Pod Identity.
 */
export class VeleroBucket extends Construct {
  constructor(scope: Construct, id: string, props: VeleroBucketProps) {
    super(scope, id);
    const { region, key, cluster } = props;
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
    const velero = serviceRole(this, "velero-role", `${region.cluster.name}-velero`, POD_IDENTITY);
    inlinePolicy(this, "velero-policy", velero, "velero-bucket", [
      { Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"], Resource: `${bucket.arn}/*` },
      { Effect: "Allow", Action: ["s3:ListBucket"], Resource: bucket.arn },
      { Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: key.arn },
    ]);
    new EksPodIdentityAssociation(this, "velero-identity", { clusterName: cluster.name, namespace: props.environment.backup.namespace, serviceAccount: "velero", roleArn: velero.arn });
  }
}
