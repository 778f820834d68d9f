import { Construct } from "constructs";
import { DataGoogleStorageProjectServiceAccount, KmsCryptoKeyIamMember, ServiceAccount, ServiceAccountIamMember, StorageBucket, StorageBucketIamMember, type KmsCryptoKey } from "./resources.ts";
import { skipChecks } from "../module.ts";
import { veleroServiceAccountId } from "../clouds.ts";
import type { EnvironmentSettings, RegionSettings } from "../../inputs/types.ts";

export interface VeleroBucketProps {
  readonly environment: EnvironmentSettings;
  readonly region: RegionSettings;
  /** Encrypts the backups (the GCS service agent may use it). */
  readonly backupKey: KmsCryptoKey;
}

/** The bucket the BackupStorageLocation names: private, versioned, encrypted with our key; and the account Velero's pods use (Workload Identity). */
export class VeleroBucket extends Construct {
  constructor(scope: Construct, id: string, props: VeleroBucketProps) {
    super(scope, id);
    const { environment, region, backupKey } = props;
    const project = region.infrastructure.account;
    const cluster = region.cluster.name;
    const gcs = new DataGoogleStorageProjectServiceAccount(this, "gcs-agent", {});
    const keyUser = new KmsCryptoKeyIamMember(this, "velero-key-user", { cryptoKeyId: backupKey.id, role: "roles/cloudkms.cryptoKeyEncrypterDecrypter", member: `serviceAccount:${gcs.emailAddress}` });
    const bucket = new StorageBucket(this, "velero-bucket", {
      name: region.backup.bucket,
      location: region.region.toUpperCase(),
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      versioning: { enabled: true },
      encryption: { defaultKmsKeyName: backupKey.id },
      forceDestroy: false,
      dependsOn: [keyUser],
    });
    skipChecks(bucket, [{ id: "CKV_GCP_62", reason: "Access is audited by Cloud Audit Logs (data access logs of the project); GCS usage logs would need a second bucket per stage." }]);
    // Never cut: the region check keeps the id within GCP's 30 characters (clouds.ts), and the add-on's annotation spells it whole.
    const velero = new ServiceAccount(this, "velero", { accountId: veleroServiceAccountId(cluster), displayName: `Velero of ${cluster}` });
    new StorageBucketIamMember(this, "velero-bucket-access", { bucket: bucket.name, role: "roles/storage.objectAdmin", member: `serviceAccount:${velero.email}` });
    new ServiceAccountIamMember(this, "velero-workload-identity", { serviceAccountId: velero.name, role: "roles/iam.workloadIdentityUser", member: `serviceAccount:${project}.svc.id.goog[${environment.backup.namespace}/velero]` });
  }
}
