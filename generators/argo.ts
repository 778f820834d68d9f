import { ApiObject } from "cdk8s";
import type { Construct } from "constructs";

/** A kubernetes-models object (typed, with a schema validator) that can be emitted by cdk8s. */
export interface TypedModel {
  toJSON(): unknown;
  validate(): void;
}

/**
 * Adds a typed model to a chart. The model's own validator runs now (types, required fields) so a
 * generator bug fails where it happens; the strict unknown-field check runs over the whole tree
 * before anything is written (`validate/strict.ts`).
 */
export function emit(scope: Construct, id: string, model: TypedModel): ApiObject {
  model.validate();
  const { apiVersion, kind, metadata, ...rest } = model.toJSON() as { apiVersion: string; kind: string; metadata?: Record<string, unknown> };
  return new ApiObject(scope, id, { apiVersion, kind, metadata: metadata ?? {}, ...rest });
}
