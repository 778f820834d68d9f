import { Construct } from "constructs";
import { CustomResourceDefinition } from "kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition";
import type { Catalog, EnvironmentSettings, RegionSettings } from "../inputs/types.ts";
import { clusterTargets, orderFlow } from "../cluster-targets.ts";
import { clusterSpecSchema } from "../inputs/schemas.ts";
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

/** status: metav1.Condition (k8s.io/apimachinery/pkg/apis/meta/v1/types.go: its validation markers) and the order flow. */
const STATUS_SCHEMA = {
  type: "object",
  properties: {
    observedGeneration: { type: "integer", format: "int64", minimum: 0 },
    conditions: {
      type: "array",
      items: {
        type: "object",
        required: ["type", "status", "lastTransitionTime", "reason", "message"],
        properties: {
          type: { type: "string", maxLength: 316, pattern: "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$" },
          status: { type: "string", enum: ["True", "False", "Unknown"] },
          observedGeneration: { type: "integer", format: "int64", minimum: 0 },
          lastTransitionTime: { type: "string", format: "date-time" },
          reason: { type: "string", minLength: 1, maxLength: 1024, pattern: "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$" },
          message: { type: "string", maxLength: 32768 },
        },
      },
    },
    orderFlow: {
      type: "object",
      required: ["state", "since", "reason"],
      properties: { state: { type: "string", enum: ["Open", "Closed"] }, since: { type: "string", format: "date-time" }, reason: { type: "string" } },
    },
  },
} as const;

const condition = (type: string) => `.status.conditions[?(@.type=="${type}")].status`;

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
                spec: toStructural(clusterSpecSchema) as never,
                status: STATUS_SCHEMA as never,
              },
            },
          },
          // The operator writes status only through this subresource, and Argo CD never syncs it.
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: "Trading", type: "string", jsonPath: condition("TradingReady") },
            { name: "Order flow", type: "string", jsonPath: ".status.orderFlow.state" },
            { name: "Versions", type: "string", jsonPath: condition("VersionsConverged"), priority: 1 },
            { name: "Latency", type: "string", jsonPath: condition("LatencyWithinTargets") },
            { name: "Nodes", type: "string", jsonPath: condition("NodesReady"), priority: 1 },
            { name: "Cloud", type: "string", jsonPath: ".spec.cloud" },
            { name: "Cluster", type: "string", jsonPath: ".spec.cluster.name", priority: 1 },
            { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
          ],
        },
      ],
    },
  });
}

export interface BitActorClusterProps {
  readonly catalog: Catalog;
  readonly environment: EnvironmentSettings;
  readonly region: RegionSettings;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * The stage's CRD and its BitActorCluster: the region file as a Kubernetes object on its own cluster,
 * with the performance targets the BitActor operator reconciles it against (operator/README.md).
 */
export class BitActorClusterResources extends Construct {
  constructor(scope: Construct, id: string, props: BitActorClusterProps) {
    super(scope, id);
    emit(this, "crd", bitActorClusterCrd(props.labels));
    // Sealed credentials stay in their SealedSecrets only; everything else is the region file as
    // written, then what the operator measures and the order flow it may open.
    const { secrets: _secrets, grafana: { admin: _admin, ...grafana }, ...rest } = props.region;
    const region = { ...rest, grafana };
    const flow = orderFlow(props.catalog, props.environment, props.region);
    const spec = { ...region, targets: clusterTargets(props.catalog, props.environment, props.region), ...(flow ? { orderFlow: flow } : {}) };
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
