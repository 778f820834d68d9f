import type { ValidateFunction } from "ajv";
import { ajv } from "../ajv.ts";

/**
 * Render-time validators for kinds no kubernetes-models package covers (Velero, Multus), in
 * the shape of a model class (`prototype.validate` throws). Closed schemas of exactly the fields
 * constructs/velero-backups.ts may set, with Velero's own types and enums (velero.io_schedules.yaml,
 * velero.io_backupstoragelocations.yaml, v1.15.2); kubeconform and the API server check the
 * objects against Velero's full CRDs.
 */
const stringMap = { type: "object", additionalProperties: { type: "string" } } as const;
const metadata = {
  type: "object",
  additionalProperties: false,
  required: ["name", "namespace"],
  properties: { name: { type: "string", minLength: 1 }, namespace: { type: "string", minLength: 1 }, labels: stringMap, annotations: stringMap },
} as const;
const envelope = (kind: string, spec: object) => ({
  type: "object",
  additionalProperties: false,
  required: ["apiVersion", "kind", "metadata", "spec"],
  properties: { apiVersion: { const: "velero.io/v1" }, kind: { const: kind }, metadata, spec },
});

const location = ajv.compile(envelope("BackupStorageLocation", {
  type: "object",
  additionalProperties: false,
  required: ["provider", "objectStorage"],
  properties: {
    provider: { type: "string", minLength: 1 },
    objectStorage: { type: "object", additionalProperties: false, required: ["bucket"], properties: { bucket: { type: "string", minLength: 1 }, prefix: { type: "string" } } },
    config: stringMap,
    accessMode: { enum: ["ReadOnly", "ReadWrite"] },
  },
}));

const schedule = ajv.compile(envelope("Schedule", {
  type: "object",
  additionalProperties: false,
  required: ["schedule", "template"],
  properties: {
    schedule: { type: "string", minLength: 1 },
    useOwnerReferencesInBackup: { type: "boolean" },
    template: {
      type: "object",
      additionalProperties: false,
      properties: {
        includedNamespaces: { type: "array", items: { type: "string" } },
        includeClusterResources: { type: "boolean" },
        storageLocation: { type: "string" },
        ttl: { type: "string" },
        snapshotVolumes: { type: "boolean" },
        defaultVolumesToFsBackup: { type: "boolean" },
      },
    },
  },
}));

/**
 * A compiled ajv schema in the shape of a kubernetes-models class (`prototype.validate` throws,
 * naming every bad field), plus an optional check the schema cannot express.
 */
export const ajvModel = (check: ValidateFunction, more?: (o: unknown) => void) => ({
  prototype: {
    validate(this: unknown): void {
      if (!check(this)) {
        // Name the field an error is about: ajv keeps an unknown property's name and an enum's values in params.
        const detail = (e: { params: Record<string, unknown> }) =>
          e.params.additionalProperty ? `: "${String(e.params.additionalProperty)}"` : e.params.allowedValues ? `: ${(e.params.allowedValues as unknown[]).join(", ")}` : "";
        throw new Error((check.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}${detail(e)}`).join("; "));
      }
      more?.(this);
    },
  },
});

export const BackupStorageLocationModel = ajvModel(location);
export const ScheduleModel = ajvModel(schedule);

/** NetworkAttachmentDefinition (k8s.cni.cncf.io/v1; no models package): a name, the resource annotation, a CNI config that is JSON. */
const nad = ajv.compile({
  type: "object",
  additionalProperties: false,
  required: ["apiVersion", "kind", "metadata", "spec"],
  properties: {
    apiVersion: { const: "k8s.cni.cncf.io/v1" },
    kind: { const: "NetworkAttachmentDefinition" },
    metadata: { type: "object", additionalProperties: false, required: ["name"], properties: { name: { type: "string", minLength: 1 }, namespace: { type: "string" }, labels: stringMap, annotations: stringMap } },
    spec: { type: "object", additionalProperties: false, required: ["config"], properties: { config: { type: "string", minLength: 2 } } },
  },
});

export const NetworkAttachmentDefinitionModel = ajvModel(nad, (o) => {
  try {
    JSON.parse((o as { spec: { config: string } }).spec.config);
  } catch (e) {
    throw new Error(`/spec/config is not JSON: ${(e as Error).message}`);
  }
});
