// Over 300 lines: the drill construct and the script its Job runs (drillScript) change together; the script is half of the file.
import { Construct } from "constructs";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { ResourceQuota } from "kubernetes-models/v1/ResourceQuota";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { CronJob } from "kubernetes-models/batch/v1/CronJob";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import type { Catalog, DrillSettings, EnvironmentSettings, RegionSettings } from "../inputs/types.ts";
import { emit } from "../argo.ts";
import { maxGapMinutes } from "../backup/cron.ts";
import { LABEL, pushgatewayNamespace, stageId } from "../naming.ts";
import { restrictedContainer, restrictedPod } from "../pod-security.ts";
import { LOGS_ONLY_EPHEMERAL_STORAGE } from "../log-storage.ts";
import { VELERO_API } from "./velero-backups.ts";
import { DNS_EGRESS, apiServerEgress } from "./network-policies.ts";

/**
 * What the drill restores: the runtime state git cannot give back (docs/disaster-recovery.md) that
 * can be restored inert. ReplicaSets (which revision of each Rollout is stable) come back scaled to
 * zero; Secrets are what sealed-secrets unsealed; ConfigMaps and ServiceAccounts show the rest of
 * the namespace restores. Never Rollouts, AnalysisRuns or Jobs: their controllers would act on them
 * (a restored AnalysisRun would run its load Job against the scratch namespace).
 */
export const DRILL_RESOURCES = ["configmaps", "secrets", "serviceaccounts", "replicasets.apps"] as const;

/**
 * Objects the control plane makes in every namespace, so the scratch namespace has its own and
 * Velero skips them (kube-controller-manager's root-CA publisher and service-account controller).
 */
export const DRILL_AUTOMATIC: Readonly<Record<(typeof DRILL_RESOURCES)[number], readonly string[]>> = {
  configmaps: ["kube-root-ca.crt"],
  secrets: [],
  serviceaccounts: ["default"],
  "replicasets.apps": [],
};

/** The metrics a drill pushes (gauges), one group per stage: job `bitactor-dr-drill`, the stage in the catalog's namespace label. */
export const DRILL_METRICS = {
  success: "bitactor_dr_drill_success",
  restoreSeconds: "bitactor_dr_drill_restore_seconds",
  rtoSeconds: "bitactor_dr_drill_rto_seconds",
  backupAgeSeconds: "bitactor_dr_drill_backup_age_seconds",
  itemsRestored: "bitactor_dr_drill_items_restored",
  missingObjects: "bitactor_dr_drill_missing_objects",
  lastRun: "bitactor_dr_drill_last_run_timestamp_seconds",
} as const;

export const DRILL_JOB = "bitactor-dr-drill";

/** Alert names, for tests and the runbook. */
export const DRILL_ALERTS = {
  failed: "BitActorDrDrillFailed",
  overRto: "BitActorDrDrillOverRto",
  notRun: "BitActorDrDrillNotRun",
} as const;

/** A monthly drill's longest gap is 31 days; 4 more give a failed run time to be redone before the alert. */
export const DRILL_STALE_DAYS = 35;

/** Seconds between two looks at the Restore's phase. */
const POLL_SECONDS = 5;
/** After the RTO the drill keeps waiting this long, so a slow restore is measured rather than cut off. */
const OVERRUN_SECONDS = 600;

export const drillNames = {
  /** CronJob, ServiceAccount, Role(s) and the modifiers' ConfigMap carry the stage: Velero's namespace may serve several. */
  job: (stage: string) => `${stage}-dr-drill`,
  /** The default deny of the drill's pods in Velero's namespace (the allowing policy is named like the CronJob). */
  deny: (stage: string) => `${stage}-dr-drill-default-deny`,
  modifiers: (stage: string) => `${stage}-dr-drill-modifiers`,
  namespace: (stage: string) => `${stage}-drill`,
  rules: "dr-drill",
  quota: "no-pods",
  /** The drill's Role in the stage namespace (reads what should come back). */
  reader: "dr-drill-reader",
  /** The drill's Role in the scratch namespace (reads what came back, deletes it afterwards). */
  cleaner: "dr-drill-cleaner",
};

export interface DrDrillProps {
  /** For the label that carries the stage in every series (`namespaceLabel`). */
  readonly catalog: Catalog;
  /** Velero's namespace and the backup schedule (the drill's backup age limit is two of its intervals). */
  readonly environment: EnvironmentSettings;
  /** The environment's `backup.drill`: schedule, RTO, image, Pushgateway. */
  readonly drill: DrillSettings;
  readonly region: RegionSettings;
  /** Labels of every object (the stage's, component `platform`). */
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * The stage's restore drill. A CronJob in Velero's namespace restores the newest completed backup
 * of the stage's Schedule into `<stage>-drill` (Velero's namespaceMapping), where a ResourceQuota of
 * zero pods means nothing restored can run and a resource modifier scales ReplicaSets to zero and
 * drops owner references (their owners are not restored; the garbage collector would delete them).
 * It then checks: the backup is recent (at most two backup intervals old), the Restore Completed
 * without errors with every item restored, every object of the drilled kinds that existed in the
 * stage when the backup started is back; and the time from creating the Restore to its end is within
 * the RTO. The result is pushed to the Pushgateway whatever happens; the restored objects are
 * deleted again; a failed drill fails the Job (and the CronJob turns Degraded in Argo CD).
 */
export class DrDrill extends Construct {
  constructor(scope: Construct, id: string, props: DrDrillProps) {
    super(scope, id);
    const { drill, environment, catalog } = props;
    const stage = stageId(environment.environment, props.region.region);
    const velero = environment.backup.namespace;
    const scratch = drillNames.namespace(stage);
    const account = drillNames.job(stage);
    const labels = { ...props.labels };
    const gap = maxGapMinutes(environment.backup.schedule);
    // The input check refuses a schedule with no fixed gap; a construct used on its own says so too.
    if (gap === undefined) throw new Error(`backup.schedule "${environment.backup.schedule}": the drill needs a schedule that runs every hour of every day`);

    emit(this, "namespace", new Namespace({
      metadata: { name: scratch, labels: { ...labels, "pod-security.kubernetes.io/enforce": "restricted" } },
    }));
    emit(this, "quota", new ResourceQuota({
      metadata: { name: drillNames.quota, namespace: scratch, labels },
      // No pod, and no compute for one either (Trivy's KSV-0040 asks a quota to bound CPU and memory).
      spec: { hard: { pods: "0", "requests.cpu": "0", "requests.memory": "0", "limits.cpu": "0", "limits.memory": "0" } },
    }));
    const modifiers = {
      version: "v1",
      resourceModifierRules: DRILL_RESOURCES.map((groupResource) => ({
        conditions: { groupResource },
        // A JSON merge patch: null removes a field that may be absent, which a JSON patch "remove" cannot.
        mergePatches: [{ patchData: JSON.stringify(groupResource === "replicasets.apps" ? { metadata: { ownerReferences: null }, spec: { replicas: 0 } } : { metadata: { ownerReferences: null } }) }],
      })),
    };
    emit(this, "modifiers", new ConfigMap({
      metadata: { name: drillNames.modifiers(stage), namespace: velero, labels },
      // Velero reads the ConfigMap's only key (internal/resourcemodifiers GetResourceModifiersFromConfig).
      data: { "modifiers.yaml": JSON.stringify(modifiers, null, 2) + "\n" },
    }));

    emit(this, "account", new ServiceAccount({ metadata: { name: account, namespace: velero, labels } }));
    const subjects = [{ kind: "ServiceAccount", name: account, namespace: velero }];
    // The drilled kinds, grouped by API group ("replicasets.apps" → apps/replicasets; a core kind has none).
    const byGroup = new Map<string, string[]>();
    for (const r of DRILL_RESOURCES) {
      const [plural, group = ""] = r.split(/\.(.*)/);
      byGroup.set(group, [...(byGroup.get(group) ?? []), plural!]);
    }
    const kinds = (verbs: string[]) => [...byGroup].map(([group, resources]) => ({ apiGroups: [group], resources, verbs }));
    // One folder holds the three Roles, so each has its own name (a rendered file is kind + name).
    const bind = (name: string, namespace: string, rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[]) => {
      emit(this, `role-${name}`, new Role({ metadata: { name, namespace, labels }, rules }));
      emit(this, `binding-${name}`, new RoleBinding({
        metadata: { name, namespace, labels },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
        subjects,
      }));
    };
    bind(account, velero, [
      { apiGroups: ["velero.io"], resources: ["backups"], verbs: ["get", "list"] },
      { apiGroups: ["velero.io"], resources: ["restores"], verbs: ["create", "get"] },
    ]);
    // Reads the live stage (what should come back) and empties the scratch namespace afterwards.
    bind(drillNames.reader, stage, kinds(["get", "list"]));
    bind(drillNames.cleaner, scratch, kinds(["get", "list", "delete"]));

    const restore = {
      apiVersion: VELERO_API,
      kind: "Restore",
      metadata: { name: "RESTORE", namespace: velero, labels },
      spec: {
        backupName: "BACKUP",
        includedNamespaces: [stage],
        includedResources: [...DRILL_RESOURCES],
        includeClusterResources: false,
        namespaceMapping: { [stage]: scratch },
        restorePVs: false,
        resourceModifier: { kind: "ConfigMap", name: drillNames.modifiers(stage) },
      },
    };
    // The drill's pods, this stage's only: Velero's namespace may hold other stages' drills.
    const pods = { ...labels, [LABEL.name]: "dr-drill" };
    const selector = { matchLabels: { [LABEL.name]: "dr-drill", [LABEL.environment]: environment.environment, [LABEL.region]: props.region.region } };
    // Velero's namespace is Velero's: a default deny there would cut off Velero, so the drill's own
    // pods get theirs, and then exactly what the script reaches: the API server (kubectl), the
    // cluster DNS (the Pushgateway's name) and the Pushgateway's port in its namespace (curl).
    const push = new URL(drill.pushgateway);
    emit(this, "deny", new NetworkPolicy({
      metadata: { name: drillNames.deny(stage), namespace: velero, labels },
      spec: { podSelector: selector, policyTypes: ["Ingress", "Egress"] },
    }));
    emit(this, "network", new NetworkPolicy({
      metadata: { name: account, namespace: velero, labels },
      spec: {
        podSelector: selector,
        policyTypes: ["Egress"],
        egress: [
          apiServerEgress(props.region),
          DNS_EGRESS,
          // The Service's port: the Pushgateway chart's Service forwards to the same port of its pod.
          {
            to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": pushgatewayNamespace(push) } } }],
            ports: [{ protocol: "TCP", port: Number(push.port || (push.protocol === "https:" ? 443 : 80)) }],
          },
        ],
      },
    }));
    const env: Record<string, string> = {
      STAGE: stage,
      VELERO_NAMESPACE: velero,
      DRILL_NAMESPACE: scratch,
      RTO_SECONDS: String(drill.rtoSeconds),
      // Two backup intervals: one backup may be in flight, a second missing one means the Schedule stopped.
      MAX_BACKUP_AGE_SECONDS: String(2 * gap * 60),
      PUSHGATEWAY: drill.pushgateway,
      POLL_SECONDS: String(POLL_SECONDS),
      OVERRUN_SECONDS: String(OVERRUN_SECONDS),
    };
    emit(this, "cronjob", new CronJob({
      metadata: { name: account, namespace: velero, labels },
      spec: {
        schedule: drill.schedule,
        timeZone: "Etc/UTC",
        concurrencyPolicy: "Forbid",
        startingDeadlineSeconds: 3600,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          spec: {
            // One attempt: a second would measure a warm cache, not a recovery.
            backoffLimit: 0,
            activeDeadlineSeconds: drill.rtoSeconds + OVERRUN_SECONDS + 300,
            template: {
              metadata: { labels: pods },
              spec: {
                restartPolicy: "Never",
                serviceAccountName: account,
                // kubectl calls the API as the drill's account, with exactly its Roles' rights.
                automountServiceAccountToken: true,
                securityContext: restrictedPod(),
                containers: [{
                  name: "drill",
                  image: drill.image,
                  command: ["bash", "-c", drillScript(restore, catalog.namespaceLabel)],
                  env: Object.entries(env).map(([name, value]) => ({ name, value })),
                  securityContext: restrictedContainer(),
                  resources: { requests: { cpu: "100m", memory: "128Mi", "ephemeral-storage": LOGS_ONLY_EPHEMERAL_STORAGE }, limits: { cpu: "500m", memory: "256Mi", "ephemeral-storage": LOGS_ONLY_EPHEMERAL_STORAGE } },
                }],
              },
            },
          },
        },
      },
    }));

    const sel = `${catalog.namespaceLabel}="${stage}"`;
    const m = DRILL_METRICS;
    const runbook = "docs/disaster-recovery.md#drill";
    emit(this, "rules", new PrometheusRule({
      metadata: { name: drillNames.rules, namespace: stage, labels },
      spec: {
        groups: [{
          name: "dr-drill",
          interval: "1m",
          rules: [
            {
              alert: DRILL_ALERTS.failed,
              expr: `${m.success}{${sel}} == 0`,
              labels: { severity: "ticket", [catalog.namespaceLabel]: stage },
              annotations: { summary: `The last restore drill of ${stage} failed`, description: `The drill Job's log names the check that failed: kubectl logs -n ${velero} -l app.kubernetes.io/name=dr-drill,${LABEL.environment}=${environment.environment},${LABEL.region}=${props.region.region} --tail=5. Runbook: ${runbook}.` },
            },
            {
              alert: DRILL_ALERTS.overRto,
              expr: `${m.restoreSeconds}{${sel}} > ${m.rtoSeconds}{${sel}}`,
              labels: { severity: "ticket", [catalog.namespaceLabel]: stage },
              annotations: { summary: `The last restore drill of ${stage} took {{ $value }} s, over its RTO`, description: `A real recovery of ${stage} would miss its recovery time objective. Runbook: ${runbook}.` },
            },
            {
              alert: DRILL_ALERTS.notRun,
              expr: `time() - ${m.lastRun}{${sel}} > ${DRILL_STALE_DAYS * 86400} or absent(${m.lastRun}{${sel}})`,
              // absent() also fires while the Pushgateway restarts empty: an hour lets it be scraped again.
              for: "1h",
              labels: { severity: "ticket", [catalog.namespaceLabel]: stage },
              annotations: { summary: `No restore drill of ${stage} in ${DRILL_STALE_DAYS} days`, description: `The CronJob ${velero}/${account} has not pushed a result (or the Pushgateway lost it): run one with npm run dr-drill -- ${stage}. Runbook: ${runbook}.` },
            },
          ],
        }],
      },
    }));
  }
}

/**
 * The drill's bash script (image: bash, kubectl, curl, GNU coreutils). Settings come from the
 * container's environment, so the rendered CronJob shows them and a test can run the same script.
 */
export function drillScript(restoreTemplate: unknown, namespaceLabel: string): string {
  const restore = JSON.stringify(restoreTemplate);
  const auto = DRILL_RESOURCES.map((r) => `${r}) echo "${DRILL_AUTOMATIC[r].join(" ")}" ;;`).join(" ");
  const m = DRILL_METRICS;
  return [
    "set -euo pipefail",
    `resources="${DRILL_RESOURCES.join(" ")}"`,
    "success=0; restore_seconds=0; items=0; missing=0; backup_age=0; started=\"$(date +%s)\"",
    `automatic() { case "$1" in ${auto} esac; }`,
    // The result always reaches the Pushgateway, whichever check failed (a PUT replaces the stage's group).
    "push() {",
    "  curl -fsS --max-time 10 -X PUT --data-binary @- \"${PUSHGATEWAY}/metrics/job/" + DRILL_JOB + "/" + namespaceLabel + "/${STAGE}\" <<METRICS || echo \"could not push the result to ${PUSHGATEWAY}\" >&2",
    ...[
      [m.success, "success", "1 if every check passed"],
      [m.restoreSeconds, "restore_seconds", "seconds from creating the Restore to its end"],
      [m.rtoSeconds, "RTO_SECONDS", "the recovery time objective"],
      [m.backupAgeSeconds, "backup_age", "age of the restored backup when the drill started"],
      [m.itemsRestored, "items", "items Velero restored"],
      [m.missingObjects, "missing", "objects of the stage at backup time that did not come back"],
      [m.lastRun, "started", "when the drill started"],
    ].flatMap(([name, v, help]) => [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} \${${v}}`]),
    "METRICS",
    "}",
    // Everything a restore left in the scratch namespace (Velero labels what it restores), this drill's or an interrupted one's.
    "cleanup() {",
    "  for r in ${resources}; do kubectl delete \"${r}\" -n \"${DRILL_NAMESPACE}\" -l velero.io/restore-name --ignore-not-found --wait=\"$1\" >/dev/null || true; done",
    "}",
    "trap 'rc=$?; cleanup false; push; exit $rc' EXIT",
    "fail() { echo \"DR drill of ${STAGE} FAILED: $*\" >&2; exit 1; }",
    "latest=\"$(kubectl get backups.velero.io -n \"${VELERO_NAMESPACE}\" -l \"velero.io/schedule-name=${STAGE}\" -o jsonpath='{range .items[?(@.status.phase==\"Completed\")]}{.status.completionTimestamp}{\" \"}{.metadata.name}{\" \"}{.status.startTimestamp}{\"\\n\"}{end}' | sort | tail -n 1)\"",
    "[ -n \"${latest}\" ] || fail \"no Completed backup of the Schedule ${STAGE} in ${VELERO_NAMESPACE}\"",
    "read -r completed backup backup_started <<<\"${latest}\"",
    "backup_age=$(( started - $(date -d \"${completed}\" +%s) ))",
    "[ \"${backup_age}\" -le \"${MAX_BACKUP_AGE_SECONDS}\" ] || fail \"the newest Completed backup, ${backup}, finished ${backup_age}s ago (at most ${MAX_BACKUP_AGE_SECONDS}s): the Schedule has stopped\"",
    // Velero skips what exists: leftovers of an interrupted drill would hide what this one restores.
    "cleanup true",
    "restore=\"${STAGE}-drill-$(date -u +%Y%m%d%H%M%S)\"",
    `sed -e "s/\\"RESTORE\\"/\\"\${restore}\\"/" -e "s/\\"BACKUP\\"/\\"\${backup}\\"/" <<'RESTORE' | kubectl create -f - >/dev/null`,
    restore,
    "RESTORE",
    "t0=\"$(date +%s)\"",
    "phase=''",
    "while :; do",
    "  phase=\"$(kubectl get restores.velero.io \"${restore}\" -n \"${VELERO_NAMESPACE}\" -o jsonpath='{.status.phase}')\"",
    "  case \"${phase}\" in Completed|PartiallyFailed|Failed|FailedValidation) break ;; esac",
    "  restore_seconds=$(( $(date +%s) - t0 ))",
    "  [ \"${restore_seconds}\" -lt $(( RTO_SECONDS + OVERRUN_SECONDS )) ] || fail \"restore ${restore} still ${phase:-New} after ${restore_seconds}s (RTO ${RTO_SECONDS}s)\"",
    "  sleep \"${POLL_SECONDS}\"",
    "done",
    "restore_seconds=$(( $(date +%s) - t0 ))",
    "IFS=: read -r errors total items <<<\"$(kubectl get restores.velero.io \"${restore}\" -n \"${VELERO_NAMESPACE}\" -o jsonpath='{.status.errors}:{.status.progress.totalItems}:{.status.progress.itemsRestored}')\"",
    "errors=\"${errors:-0}\"; total=\"${total:-0}\"; items=\"${items:-0}\"",
    "[ \"${phase}\" = Completed ] || fail \"restore ${restore} of ${backup} ended ${phase} with ${errors} errors (velero restore logs ${restore})\"",
    "[ \"${errors}\" -eq 0 ] || fail \"restore ${restore} of ${backup} has ${errors} errors (velero restore logs ${restore})\"",
    "[ \"${items}\" -eq \"${total}\" ] || fail \"restore ${restore} restored ${items} of ${total} items\"",
    // Every object of a drilled kind that existed when the backup started must be back (later ones cannot be).
    "lost=''",
    "for r in ${resources}; do",
    "  want=\"$(kubectl get \"${r}\" -n \"${STAGE}\" -o jsonpath='{range .items[*]}{.metadata.creationTimestamp}{\" \"}{.metadata.name}{\"\\n\"}{end}' | awk -v t=\"${backup_started}\" -v skip=\" $(automatic \"${r}\") \" '$1 <= t && index(skip, \" \" $2 \" \") == 0 { print $2 }' | sort)\"",
    "  got=\"$(kubectl get \"${r}\" -n \"${DRILL_NAMESPACE}\" -l \"velero.io/restore-name=${restore}\" -o jsonpath='{range .items[*]}{.metadata.name}{\"\\n\"}{end}' | sort)\"",
    "  for name in $(comm -23 <(printf '%s\\n' \"${want}\" | sed '/^$/d') <(printf '%s\\n' \"${got}\" | sed '/^$/d')); do lost=\"${lost} ${r}/${name}\"; missing=$(( missing + 1 )); done",
    "done",
    "[ \"${missing}\" -eq 0 ] || fail \"${missing} objects of ${STAGE} at ${backup_started} did not come back:${lost}\"",
    "[ \"${restore_seconds}\" -le \"${RTO_SECONDS}\" ] || fail \"restore ${restore} took ${restore_seconds}s, over the RTO of ${RTO_SECONDS}s\"",
    "success=1",
    "echo \"DR drill of ${STAGE} passed: backup ${backup} (${backup_age}s old), restore ${restore} Completed in ${restore_seconds}s of ${RTO_SECONDS}s, ${items} of ${total} items, every object back\"",
  ].join("\n") + "\n";
}
