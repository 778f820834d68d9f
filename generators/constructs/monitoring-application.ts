import { Construct } from "constructs";
import { Application } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import type { EnvironmentSettings, RegionSettings } from "../inputs/types.ts";
import { emit } from "../argo.ts";
import { SYNC_WAVE, WAVE, names, paths, stageId } from "../naming.ts";
import { SYNC_RETRY, stageNamespaceMetadata } from "./region-application-set.ts";

export interface MonitoringApplicationProps {
  readonly environment: EnvironmentSettings;
  readonly region: RegionSettings;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * The Application `<stage>-monitoring`, rendered next to the stage's add-ons (`applicationsets/<env>/`):
 * it syncs the stage's Prometheus (the `monitoring` folder, constructs/stage-prometheus.ts) in a wave
 * of its own, after the add-ons that bring prometheus-operator and before the stage's ApplicationSet
 * (naming.ts WAVE). A component's first-release gate reads this Prometheus as soon as the component
 * syncs; in one Application set with the components, the gate measured before the Prometheus
 * existed, found no samples and failed the region's first releases (the GitOps e2e showed it).
 * Argo CD waits for it to be Healthy (prometheus-operator's Prometheus is Available once its pods
 * are Ready: Argo CD's resource_customizations/monitoring.coreos.com/Prometheus) before the next
 * wave, as argocd-self.ts's Application health check makes waves span Applications.
 * Its project is the stage's platform project; it creates the stage namespace (its Role goes there)
 * with the metadata every Application of the stage gives it.
 */
export class MonitoringApplication extends Construct {
  constructor(scope: Construct, id: string, props: MonitoringApplicationProps) {
    super(scope, id);
    const s = props.environment;
    const r = props.region;
    const stage = stageId(s.environment, r.region);
    emit(this, "application", new Application({
      metadata: {
        name: names.monitoringApplication(stage),
        namespace: s.argocd.namespace,
        labels: props.labels,
        annotations: { [SYNC_WAVE]: WAVE.monitoring },
      },
      spec: {
        project: names.platformProject(stage),
        source: { repoURL: s.repository.url, targetRevision: s.repository.targetRevision, path: paths.monitoring(s.environment, r.region) },
        destination: { name: r.cluster.name, namespace: stage },
        revisionHistoryLimit: 10,
        syncPolicy: {
          automated: { prune: true, selfHeal: true },
          syncOptions: ["CreateNamespace=true"],
          managedNamespaceMetadata: stageNamespaceMetadata(props.labels),
          retry: SYNC_RETRY,
        },
      },
    }));
  }
}
