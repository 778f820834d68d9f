import { Construct } from "constructs";
import type { EnvironmentSettings, RegionSettings } from "../inputs/types.ts";
import { emit } from "../argo.ts";
import { stageId } from "../naming.ts";
import { VELERO_PROVIDER } from "../backup/providers.ts";

/** Velero's API group and version (v1.15; CRDs from vmware-tanzu/velero config/crd/v1/bases). */
export const VELERO_API = "velero.io/v1";

/** The fields of a Velero BackupStorageLocation this repository sets (validated: generators/validate/crd-models.ts). */
export interface BackupStorageLocationSpec {
  readonly provider: string;
  readonly objectStorage: { readonly bucket: string; readonly prefix: string };
  readonly config?: Readonly<Record<string, string>>;
  readonly accessMode: "ReadWrite";
}

/** The fields of a Velero Schedule this repository sets. */
export interface ScheduleSpec {
  readonly schedule: string;
  readonly useOwnerReferencesInBackup: boolean;
  readonly template: {
    readonly includedNamespaces: readonly string[];
    readonly includeClusterResources: boolean;
    readonly storageLocation: string;
    readonly ttl: string;
    readonly snapshotVolumes: boolean;
    readonly defaultVolumesToFsBackup: boolean;
  };
}

export interface VeleroBackupsProps {
  readonly environment: EnvironmentSettings;
  readonly region: RegionSettings;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * The stage's backups: a BackupStorageLocation in the region's bucket (prefix = the stage id) and a
 * Schedule every 15 minutes of the stage namespace. What git cannot give back is runtime state:
 * which ReplicaSet of each Rollout is stable, AnalysisRuns, the Secrets the sealed-secrets
 * controller unsealed. Cluster-scoped objects and everything rendered come back from git. No volume
 * snapshots: the engine keeps no state on volumes (its journal replicates itself, docs/disaster-recovery.md).
 */
export class VeleroBackups extends Construct {
  constructor(scope: Construct, id: string, props: VeleroBackupsProps) {
    super(scope, id);
    const stage = stageId(props.environment.environment, props.region.region);
    const namespace = props.environment.backup.namespace;
    const location: BackupStorageLocationSpec = {
      provider: VELERO_PROVIDER[props.region.cloud],
      objectStorage: { bucket: props.region.backup.bucket, prefix: stage },
      ...(props.region.backup.config ? { config: { ...props.region.backup.config } } : {}),
      accessMode: "ReadWrite",
    };
    emit(this, "location", { toJSON: () => ({ apiVersion: VELERO_API, kind: "BackupStorageLocation", metadata: { name: stage, namespace, labels: { ...props.labels } }, spec: location }) });
    const schedule: ScheduleSpec = {
      schedule: props.environment.backup.schedule,
      // Backups outlive the Schedule: deleting the Schedule (a removed region) must not delete them.
      useOwnerReferencesInBackup: false,
      template: {
        includedNamespaces: [stage],
        includeClusterResources: false,
        storageLocation: stage,
        ttl: props.environment.backup.ttl,
        snapshotVolumes: false,
        defaultVolumesToFsBackup: false,
      },
    };
    emit(this, "schedule", { toJSON: () => ({ apiVersion: VELERO_API, kind: "Schedule", metadata: { name: stage, namespace, labels: { ...props.labels } }, spec: schedule }) });
  }
}
