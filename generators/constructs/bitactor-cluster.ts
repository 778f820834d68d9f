import { Construct } from "constructs";
import { CustomResourceDefinition } from "kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition";
import type { EnvironmentSettings, RegionSettings } from "../inputs/types.ts";
import { regionSchema } from "../inputs/schemas.ts";
import { emit } from "../argo.ts";
import { toStructural } from "../crd/structural.ts";
import { stageId } from "../naming.ts";

/** The BitActorCluster API (the seed architecture's custom resource). */
export const BITACTOR_CLUSTER = {
  group: "bitactor.io",
  version: "v1alpha1",
  kind: "BitActorCluster",
  plural: "bitactorclusters",
  singular: "bitactorcluster",
  get apiVersion() {
    return `${this.group}/${this.version}`;
  },
  get crdName() {
    return `${this.plural}.${this.group}`;
  },
} as const;

/** Argo CD: the CR is dry-run before its CRD exists on a new cluster; skip that one dry-run. */
const SKIP_DRY_RUN = { "argocd.argoproj.io/sync-options": "SkipDryRunOnMissingResource=true" };

/**
 * The CustomResourceDefinition, identical for every cluster: its `spec` schema is generated from
 * `regionSchema`, the schema `npm run render` validates `environments/<env>/regions/*.yaml` with,
 * so the two cannot drift (generators/crd/structural.ts says how each keyword carries over).
 * Cluster-scoped: one cluster per stage, one BitActorCluster per cluster.
 */
export function bitActorClusterCrd(labels: Readonly<Record<string, string>>): CustomResourceDefinition {
  return new CustomResourceDefinition({
    // A wave before the BitActorCluster in the same Application: Argo CD then waits until the CRD is
    // Established (its health check) before applying the resource. In one wave, a busy API server
    // had not served the new kind yet when Argo CD applied the resource ("no matches for kind"), and
    // only the sync retry got it in: the GitOps e2e's bootstrap showed it.
    metadata: { name: BITACTOR_CLUSTER.crdName, labels: { ...labels }, annotations: { "argocd.argoproj.io/sync-wave": "-1" } },
    spec: {
      group: BITACTOR_CLUSTER.group,
      scope: "Cluster",
      names: { kind: BITACTOR_CLUSTER.kind, listKind: `${BITACTOR_CLUSTER.kind}List`, plural: BITACTOR_CLUSTER.plural, singular: BITACTOR_CLUSTER.singular, shortNames: ["bac"] },
      versions: [
        {
          name: BITACTOR_CLUSTER.version,
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: "object",
              description: "A BitActor stage (environment × region): its cloud, zones, exchanges with their latency budgets, monitoring and the engine versions it runs. spec is the stage's environments/<env>/regions/<region>.yaml.",
              required: ["spec"],
              properties: {
                apiVersion: { type: "string" },
                kind: { type: "string" },
                metadata: { type: "object" },
                spec: toStructural(regionSchema) as never,
              },
            },
          },
          additionalPrinterColumns: [
            { name: "Cloud", type: "string", jsonPath: ".spec.cloud" },
            { name: "Cluster", type: "string", jsonPath: ".spec.cluster.name" },
            { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
          ],
        },
      ],
    },
  });
}

export interface BitActorClusterProps {
  readonly environment: EnvironmentSettings;
  readonly region: RegionSettings;
  readonly labels: Readonly<Record<string, string>>;
}

/** The stage's CRD and its BitActorCluster: the region file as a Kubernetes object on its own cluster. */
export class BitActorClusterResources extends Construct {
  constructor(scope: Construct, id: string, props: BitActorClusterProps) {
    super(scope, id);
    emit(this, "crd", bitActorClusterCrd(props.labels));
    // Sealed credentials stay in their SealedSecrets only; everything else is the region file as written.
    const { secrets: _secrets, ...spec } = props.region;
    emit(this, "cluster", {
      toJSON: () => ({
        apiVersion: BITACTOR_CLUSTER.apiVersion,
        kind: BITACTOR_CLUSTER.kind,
        metadata: { name: stageId(props.environment.environment, props.region.region), labels: { ...props.labels }, annotations: { ...SKIP_DRY_RUN } },
        spec,
      }),
    });
  }
}
