import { Construct } from "constructs";
import { Application } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import type { EnvironmentSettings } from "../inputs/types.ts";
import { emit } from "../argo.ts";
import { names, paths } from "../naming.ts";
import { IN_CLUSTER } from "./environment-projects.ts";
import { SYNC_RETRY } from "./region-application-set.ts";

export interface RootApplicationProps {
  readonly environment: EnvironmentSettings;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * App of apps: syncs `applicationsets/<env>/`. A region removed from `environments/` loses its
 * ApplicationSet here, and prune removes its Applications and their workloads.
 */
export class RootApplication extends Construct {
  constructor(scope: Construct, id: string, props: RootApplicationProps) {
    super(scope, id);
    const s = props.environment;
    emit(this, "root", new Application({
      metadata: { name: names.rootApplication(s.environment), namespace: s.argocd.namespace, labels: props.labels },
      spec: {
        project: names.bootstrapProject(s.environment),
        source: { repoURL: s.repository.url, targetRevision: s.repository.targetRevision, path: paths.applicationSets(s.environment) },
        destination: { server: IN_CLUSTER, namespace: s.argocd.namespace },
        syncPolicy: { automated: { prune: true, selfHeal: true }, retry: SYNC_RETRY },
      },
    }));
  }
}
