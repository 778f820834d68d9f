import type { Cloud } from "../inputs/types.ts";

/**
 * Velero's object-storage plugin per cloud (BackupStorageLocation `provider`): the plugins
 * velero-plugin-for-aws, -for-gcp and -for-microsoft-azure register these names. A table, so a
 * cloud is one entry.
 */
export const VELERO_PROVIDER: Readonly<Record<Cloud, string>> = {
  aws: "aws",
  gcp: "gcp",
  azure: "azure",
};

/** Longest allowed time between two backups of a stage (the stage namespace's Velero Schedule: docs/disaster-recovery.md). */
export const MAX_BACKUP_GAP_MINUTES = 15;
