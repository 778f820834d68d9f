import { Construct } from "constructs";
import { ApplicationSet } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/ApplicationSet";
import type { EnvironmentSettings, RegionSettings } from "../inputs/types.ts";
import { emit } from "../argo.ts";
import { ISTIO } from "./mesh.ts";
import { CHAOS, LABEL, NODES, PLATFORM, SHARED, SYNC_WAVE, WAVE, applicationName, argoCdLink, dashboards, names, paths, stageId } from "../naming.ts";

export interface RegionApplicationSetProps {
  readonly environment: EnvironmentSettings;
  readonly region: RegionSettings;
  /** Component ids deployed in this region, sorted. */
  readonly components: readonly string[];
  /** Whether the stage has a node-pool folder (rollouts/<env>/<region>/nodes) to sync. */
  readonly nodes: boolean;
  /** Whether the stage has a chaos folder (rollouts/<env>/<region>/chaos) to sync. */
  readonly chaos: boolean;
  readonly labels: Readonly<Record<string, string>>;
}

/** Removed objects go only after the new ones are healthy. */
const PRUNE_LAST = "PruneLast=true";

/** Retry of a failed sync: 10 s, 20 s, 40 s … capped at 3 min, five times (Argo CD's backoff fields). */
export const SYNC_RETRY = { limit: 5, backoff: { duration: "10s", factor: 2, maxDuration: "3m" } } as const;

/**
 * The stage namespace's metadata, for every Application that may create it (CreateNamespace): the
 * stage's labels and sidecar injection on (the namespace's PeerAuthentication is STRICT,
 * constructs/mesh.ts), the same whichever Application comes first.
 */
export const stageNamespaceMetadata = (labels: Readonly<Record<string, string>>) => ({ labels: { ...labels, [ISTIO.injectionLabel]: "enabled" } });

/**
 * One ApplicationSet per environment × region: one Application per component, and one for the
 * stage's shared objects, listed from data
 * (a list generator, never a directory glob, so a stray folder cannot become an Application).
 * `missingkey=error` makes a template typo fail instead of rendering an empty string.
 */
export class RegionApplicationSet extends Construct {
  constructor(scope: Construct, id: string, props: RegionApplicationSetProps) {
    super(scope, id);
    const env = props.environment.environment;
    const region = props.region.region;
    const stage = stageId(env, region);
    const stageFolder = (component: string, project: string, path: string, createNamespace: boolean) => ({
      component,
      project,
      name: applicationName(env, region, component),
      path,
      dashboard: dashboards.url(props.region.grafana.url, dashboards.tradingUid, stage),
      createNamespace: String(createNamespace),
    });
    // Only Applications whose project admits a Namespace may create the stage namespace: Argo CD
    // checks the namespace it would create against the project like any object, so CreateNamespace
    // on the node-pool or platform Application fails its whole sync ("resource :Namespace is not
    // permitted in project ..."). Sync options are a list, which a template string cannot vary per
    // element, so a templatePatch sets them (ApplicationSet templatePatch, Argo CD >= 2.10).
    const withNamespace = {
      spec: { syncPolicy: { syncOptions: ["CreateNamespace=true", PRUNE_LAST], managedNamespaceMetadata: stageNamespaceMetadata(props.labels) } },
    };
    const withoutNamespace = { spec: { syncPolicy: { syncOptions: [PRUNE_LAST] } } };
    // The chaos Application leaves a ChaosEngine's engineState to the session CronJob and to Litmus
    // (constructs/chaos.ts): ignored in the diff, and RespectIgnoreDifferences keeps a sync from
    // writing the rendered "stop" over a running engine (Argo CD docs, user-guide/sync-options.md).
    const chaosPatch = {
      spec: {
        ignoreDifferences: [{ group: "litmuschaos.io", kind: "ChaosEngine", jsonPointers: ["/spec/engineState"] }],
        syncPolicy: { syncOptions: [PRUNE_LAST, "RespectIgnoreDifferences=true"] },
      },
    };
    emit(this, "appset", new ApplicationSet({
      // After the stage's add-ons (naming.ts WAVE): the engine's objects need their controllers and CRDs.
      metadata: { name: stage, namespace: props.environment.argocd.namespace, labels: props.labels, annotations: { [SYNC_WAVE]: WAVE.engine } },
      spec: {
        goTemplate: true,
        goTemplateOptions: ["missingkey=error"],
        generators: [
          {
            list: {
              elements: [
                ...props.components.map((component) => ({
                  component,
                  project: names.project(stage),
                  name: applicationName(env, region, component),
                  path: paths.component(env, region, component),
                  dashboard: dashboards.url(props.region.grafana.url, dashboards.componentUid(component), stage),
                  createNamespace: "true",
                })),
                // The stage's own folders, each its own Application linking the trading dashboard:
                // shared objects (workload project); the BitActorCluster, its CRD and the backups, and
                // the node pools (cluster-scoped: their own projects).
                stageFolder(SHARED, names.project(stage), paths.shared(env, region), true),
                stageFolder(PLATFORM, names.platformProject(stage), paths.platform(env, region), false),
                ...(props.nodes ? [stageFolder(NODES, names.nodesProject(stage), paths.nodes(env, region), false)] : []),
                ...(props.chaos ? [stageFolder(CHAOS, names.chaosProject(stage), paths.chaos(env, region), false)] : []),
              ],
            },
          },
        ],
        template: {
          metadata: {
            name: "{{ .name }}",
            // One click from the Application to its Grafana dashboards.
            annotations: {
              [argoCdLink.dashboard]: argoCdLink.value("Latency and SLO", "{{ .dashboard }}"),
              [argoCdLink.trading]: argoCdLink.value("Trading", dashboards.url(props.region.grafana.url, dashboards.tradingUid, stage)),
            },
            // Labels a progressive sync (RollingSync matchExpressions) or an operator can select on.
            labels: {
              ...props.labels,
              [LABEL.component]: "{{ .component }}",
            },
          },
          spec: {
            project: "{{ .project }}",
            source: { repoURL: props.environment.repository.url, targetRevision: props.environment.repository.targetRevision, path: "{{ .path }}" },
            destination: { name: props.region.cluster.name, namespace: stage },
            revisionHistoryLimit: 10,
            syncPolicy: {
              automated: { prune: true, selfHeal: true },
              // The templatePatch adds CreateNamespace where the project allows it.
              syncOptions: [PRUNE_LAST],
              retry: SYNC_RETRY,
            },
          },
        },
        // CreateNamespace: the stage namespace exists as soon as its first component syncs, with
        // sidecar injection on (the namespace's PeerAuthentication is STRICT, constructs/mesh.ts).
        templatePatch: [
          '{{- if eq .createNamespace "true" }}',
          JSON.stringify(withNamespace),
          ...(props.chaos ? [`{{- else if eq .component "${CHAOS}" }}`, JSON.stringify(chaosPatch)] : []),
          "{{- else }}",
          JSON.stringify(withoutNamespace),
          "{{- end }}",
        ].join("\n") + "\n",
      },
    }));
  }
}
