import { Construct } from "constructs";
import { Application } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import type { EnvironmentSettings } from "../inputs/types.ts";
import { emit } from "../argo.ts";
import { SYNC_WAVE, WAVE, names, paths } from "../naming.ts";
import { IN_CLUSTER } from "./environment-projects.ts";
import { SYNC_RETRY } from "./region-application-set.ts";

export interface RootApplicationProps {
  readonly environment: EnvironmentSettings;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * App of apps, two levels, so a fresh cluster needs only the root and its project applied by hand:
 * - `<env>-root` syncs `apps/<env>/`: its own AppProject (wave -1), itself, and
 *   `<env>-applicationsets` (wave 1).
 * - `<env>-applicationsets` syncs `applicationsets/<env>/`: per region its AppProjects and its
 *   ApplicationSet (stage-projects.ts says in which order, and why). A region removed from
 *   `environments/` loses both there, and prune removes its Applications and their workloads.
 */
export class RootApplication extends Construct {
  constructor(scope: Construct, id: string, props: RootApplicationProps) {
    super(scope, id);
    const s = props.environment;
    const app = (id: string, name: string, path: string, annotations?: Record<string, string>) =>
      emit(this, id, new Application({
        metadata: { name, namespace: s.argocd.namespace, labels: props.labels, ...(annotations ? { annotations } : {}) },
        spec: {
          project: names.bootstrapProject(s.environment),
          source: { repoURL: s.repository.url, targetRevision: s.repository.targetRevision, path },
          destination: { server: IN_CLUSTER, namespace: s.argocd.namespace },
          syncPolicy: { automated: { prune: true, selfHeal: true }, retry: SYNC_RETRY },
        },
      }));
    app("root", names.rootApplication(s.environment), paths.bootstrap(s.environment));
    app("applicationsets", names.applicationSetsApplication(s.environment), paths.applicationSets(s.environment), { [SYNC_WAVE]: WAVE.applicationSets });
  }
}
