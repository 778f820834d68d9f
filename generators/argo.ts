import { ApiObject } from "cdk8s";
import type { Construct } from "constructs";

/** A kubernetes-models object (typed at compile time) that can be emitted by cdk8s. */
export interface TypedModel {
  toJSON(): unknown;
}

/**
 * Adds a typed model to a chart. Its schema is checked once, with every other object, by
 * `renderRepository` (strict: types, required and unknown fields), which reports every bad field
 * of every file together instead of stopping at the first object here.
 */
export function emit(scope: Construct, id: string, model: TypedModel): ApiObject {
  const { apiVersion, kind, metadata, ...rest } = model.toJSON() as { apiVersion: string; kind: string; metadata?: Record<string, unknown> };
  return new ApiObject(scope, id, { apiVersion, kind, metadata: metadata ?? {}, ...rest });
}
