import { operatorNames } from "../generators/constructs/operator-access.ts";
import { maxGapMinutes } from "../generators/backup/cron.ts";
import { MAX_BACKUP_GAP_MINUTES } from "../generators/backup/providers.ts";
import { namespacesWithPods, type Json, type PolicyObject, type Violation } from "./policy-objects.ts";
import { LABEL, stageId } from "../generators/naming.ts";
import { nodeAgentsNamespace } from "../generators/nodes/node-agents.ts";

/** Rules on disaster recovery (docs/disaster-recovery.md); part of `npm run policy`. */
export const BACKUP_RULES = {
  "backup-every-15-minutes": `every namespace with pods is in a Velero Schedule that runs at least every ${MAX_BACKUP_GAP_MINUTES} minutes, every hour of every day, into a BackupStorageLocation that exists beside it`,
} as const;

export function checkBackupPolicies(objects: readonly PolicyObject[]): Violation[] {
  const out: Violation[] = [];
  const schedules = objects.filter((o) => o.object.kind === "Schedule" && o.object.apiVersion === "velero.io/v1");
  const locations = objects.filter((o) => o.object.kind === "BackupStorageLocation" && o.object.apiVersion === "velero.io/v1");
  for (const [ns, first] of namespacesWithPods(objects)) {
    // Velero's own namespace, where its Schedules are: what we run there (the restore drill) keeps no state.
    if (schedules.some((s) => s.object.metadata.namespace === ns)) continue;
    // The node agents' namespace holds DaemonSets from git and no state: nothing to restore.
    const stage = stageId(first.object.metadata.labels?.[LABEL.environment] ?? "", first.object.metadata.labels?.[LABEL.region] ?? "");
    if (ns === nodeAgentsNamespace(stage)) continue;
    // The operator's namespace holds its Deployment from git and its Lease, which a replica takes
    // anew; what it decides lives in the BitActorCluster's status and the stage namespace's
    // order-flow policy, both recomputed from the cluster on start: nothing to restore.
    if (ns === operatorNames.namespace(stage)) continue;
    const v = (message: string) => out.push({ path: first.path, object: `Namespace ${ns}`, field: "", rule: "backup-every-15-minutes", message });
    const mine = schedules.filter((s) => (((s.object.spec as Json | undefined)?.template as Json | undefined)?.includedNamespaces as string[] | undefined)?.includes(ns));
    if (mine.length === 0) {
      v(`no Velero Schedule backs up ${ns}`);
      continue;
    }
    const good = mine.filter((s) => {
      const spec = s.object.spec as Json;
      const gap = maxGapMinutes(String(spec.schedule ?? ""));
      const location = (spec.template as Json).storageLocation;
      const located = locations.some((l) => l.object.metadata.name === location && l.object.metadata.namespace === s.object.metadata.namespace);
      return gap !== undefined && gap <= MAX_BACKUP_GAP_MINUTES && located;
    });
    if (good.length === 0) {
      const s = mine[0]!;
      const spec = s.object.spec as Json;
      const gap = maxGapMinutes(String(spec.schedule ?? ""));
      out.push({
        path: s.path,
        object: `Schedule ${s.object.metadata.namespace}/${s.object.metadata.name}`,
        field: gap === undefined || gap > MAX_BACKUP_GAP_MINUTES ? "/spec/schedule" : "/spec/template/storageLocation",
        rule: "backup-every-15-minutes",
        message: gap === undefined || gap > MAX_BACKUP_GAP_MINUTES
          ? `"${String(spec.schedule)}" ${gap === undefined ? "does not run every hour of every day" : `leaves ${gap} minutes between backups`}; at most ${MAX_BACKUP_GAP_MINUTES}`
          : `no BackupStorageLocation ${String((spec.template as Json).storageLocation)} in ${s.object.metadata.namespace}`,
      });
    }
  }
  return out;
}
