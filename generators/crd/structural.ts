/**
 * Turns one of our input JSON Schemas (schemas.ts, as ajv runs them) into a Kubernetes structural
 * schema (apiextensions.k8s.io/v1 `openAPIV3Schema`), so a CRD validates exactly what the input
 * check validates: one schema, two uses (kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/
 * custom-resource-definitions, "Specifying a structural schema").
 *
 * What each keyword becomes:
 * - `additionalProperties: false` is dropped: a structural schema may not combine it with
 *   `properties`; the API server prunes unknown fields, and with `fieldValidation=Strict` (kubectl's
 *   default since 1.27) it rejects them, which is what `false` means here.
 * - `propertyNames: { pattern }` becomes a CEL rule over the map's keys.
 * - `uniqueItems` on an array of scalars becomes `x-kubernetes-list-type: set`.
 * - draft 2020-12's numeric `exclusiveMinimum/Maximum` becomes OpenAPI 3.0's bound + boolean.
 * - an `enum` without `type` gets the type of its values (structural schemas type every node).
 * Any other keyword is an error, so a schema feature added later cannot silently go unchecked.
 */

export type JsonSchema = { readonly [k: string]: unknown };
export type Structural = { [k: string]: unknown };

const COPIED = ["pattern", "minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems", "minProperties", "maxProperties", "enum", "required"] as const;
const HANDLED = new Set<string>([...COPIED, "type", "properties", "additionalProperties", "items", "uniqueItems", "propertyNames", "exclusiveMinimum", "exclusiveMaximum", "$id"]);

function enumType(values: readonly unknown[], at: string): string {
  const types = new Set(values.map((v) => (typeof v === "number" ? (Number.isInteger(v) ? "integer" : "number") : typeof v)));
  if (types.size !== 1) throw new Error(`${at}: an enum of mixed types has no structural type`);
  return [...types][0]!;
}

/** CEL string literal (single-quoted; backslashes and quotes escaped). */
const celString = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

export function toStructural(schema: JsonSchema, at = "#"): Structural {
  for (const k of Object.keys(schema)) if (!HANDLED.has(k)) throw new Error(`${at}: keyword "${k}" has no structural equivalent here; extend generators/crd/structural.ts`);
  const out: Structural = {};
  const type = (schema.type as string | undefined) ?? (Array.isArray(schema.enum) ? enumType(schema.enum, at) : undefined);
  if (!type) throw new Error(`${at}: a structural schema needs a type on every node`);
  out.type = type;
  for (const k of COPIED) if (schema[k] !== undefined) out[k] = schema[k];
  if (typeof schema.exclusiveMinimum === "number") Object.assign(out, { minimum: schema.exclusiveMinimum, exclusiveMinimum: true });
  if (typeof schema.exclusiveMaximum === "number") Object.assign(out, { maximum: schema.exclusiveMaximum, exclusiveMaximum: true });
  if (schema.properties) {
    out.properties = Object.fromEntries(Object.entries(schema.properties as Record<string, JsonSchema>).map(([k, v]) => [k, toStructural(v, `${at}/properties/${k}`)]));
  } else if (typeof schema.additionalProperties === "object") {
    out.additionalProperties = toStructural(schema.additionalProperties as JsonSchema, `${at}/additionalProperties`);
  }
  const names = schema.propertyNames as { type?: string; pattern?: string } | undefined;
  if (names) {
    // Keys are strings anyway; the pattern is the constraint.
    if (!names.pattern || Object.keys(names).some((k) => k !== "pattern" && !(k === "type" && names.type === "string"))) {
      throw new Error(`${at}/propertyNames: only { type: string, pattern } is supported`);
    }
    out["x-kubernetes-validations"] = [{ rule: `self.all(k, k.matches(${celString(names.pattern!)}))`, message: `every key must match ${names.pattern}` }];
  }
  if (schema.items) {
    const items = toStructural(schema.items as JsonSchema, `${at}/items`);
    out.items = items;
    if (schema.uniqueItems === true) {
      if (items.type === "object" || items.type === "array") throw new Error(`${at}: uniqueItems on an array of ${String(items.type)}s has no structural equivalent`);
      out["x-kubernetes-list-type"] = "set";
    }
  }
  return out;
}
