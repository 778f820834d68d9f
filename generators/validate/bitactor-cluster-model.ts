import { clusterSpecSchema, regionSchema } from "../inputs/schemas.ts";
import { BITACTOR_CLUSTER } from "../constructs/bitactor-cluster.ts";
import { ajv } from "../ajv.ts";
import { ajvModel } from "./crd-models.ts";

/**
 * The render's validator for BitActorCluster objects, in the shape of a kubernetes-models class
 * (`prototype.validate` throws): the object's spec against `clusterSpecSchema` (the region schema
 * itself plus the operator's targets; closed, so an unknown key is an error), and the envelope
 * against what a cluster-scoped object may carry.
 * The spec refers to the region schema by its `$id`: compiled once in the generators' Ajv (it caches
 * by schema, so this is the input check's own region validator), called rather than compiled again.
 */
ajv.compile(regionSchema);
ajv.compile(clusterSpecSchema);
const stringMap = { type: "object", additionalProperties: { type: "string" } } as const;
const check = ajv.compile({
  type: "object",
  additionalProperties: false,
  required: ["apiVersion", "kind", "metadata", "spec"],
  properties: {
    apiVersion: { const: BITACTOR_CLUSTER.apiVersion },
    kind: { const: BITACTOR_CLUSTER.kind },
    metadata: { type: "object", additionalProperties: false, required: ["name"], properties: { name: { type: "string", minLength: 1 }, labels: stringMap, annotations: stringMap } },
    spec: { $ref: clusterSpecSchema.$id },
  },
});

export const BitActorClusterModel = ajvModel(check);
