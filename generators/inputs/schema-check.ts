import type { ErrorObject, ValidateFunction } from "ajv";
import { ajv } from "../ajv.ts";
import { catalogSchema, environmentSchema, regionSchema, wavesSchema } from "./schemas.ts";
import { machinesSchema } from "./machines.ts";
import { addonsSchema, versionsSchema } from "./addons.ts";
import type { InputError } from "./errors.ts";
import type { YamlSource } from "./yaml-source.ts";

const validators: Record<SchemaName, ValidateFunction> = {
  catalog: ajv.compile(catalogSchema),
  environment: ajv.compile(environmentSchema),
  region: ajv.compile(regionSchema),
  waves: ajv.compile(wavesSchema),
  machines: ajv.compile(machinesSchema),
  addons: ajv.compile(addonsSchema),
  versions: ajv.compile(versionsSchema),
};

export type SchemaName = "catalog" | "environment" | "region" | "waves" | "machines" | "addons" | "versions";

/** Schema errors of one parsed file, each with file:line:column, field and what is allowed. */
export function checkSchema(source: YamlSource, schema: SchemaName): InputError[] {
  const validate = validators[schema];
  if (validate(source.value)) return [];
  const errors: InputError[] = [];
  for (const e of validate.errors ?? []) {
    // propertyNames reports each bad key twice (the inner rule and the wrapper): keep the wrapper.
    if ((e.params as { propertyName?: string }).propertyName !== undefined && e.keyword !== "propertyNames") continue;
    // An if/then reports the failing rule inside `then` and again as `must match "then" schema`: keep the rule.
    if (e.keyword === "if") continue;
    errors.push(toInputError(source, e));
  }
  return errors;
}

function pointer(path: string): string[] {
  return path === "" ? [] : path.slice(1).split("/").map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function shown(value: unknown): string {
  return value === null || value === undefined ? String(value) : JSON.stringify(value).slice(0, 80);
}

function toInputError(source: YamlSource, e: ErrorObject): InputError {
  const path = pointer(e.instancePath);
  const p = e.params as Record<string, unknown>;
  const parent = e.parentSchema as Record<string, unknown> | undefined;
  switch (e.keyword) {
    case "additionalProperties": {
      const allowed = Object.keys((parent?.properties as object | undefined) ?? {});
      return source.error(path, `unknown key ${shown(p.additionalProperty)}; allowed keys: ${allowed.join(", ")}`, String(p.additionalProperty));
    }
    case "required":
      return source.error(path, `missing required key ${shown(p.missingProperty)}`);
    case "propertyNames": {
      const names = parent?.propertyNames as { pattern?: string } | undefined;
      return source.error(path, `key ${shown(p.propertyName)} is not a valid id: use lower-case letters, digits and '-' (pattern ${names?.pattern})`, String(p.propertyName));
    }
    case "type":
      return source.error(path, `must be ${p.type === "integer" ? "an integer" : `of type ${p.type}`} (got ${shown(e.data)})`);
    case "enum":
      return source.error(path, `must be one of: ${(p.allowedValues as unknown[]).map(shown).join(", ")} (got ${shown(e.data)})`);
    case "pattern":
      return source.error(path, `must match ${String(p.pattern)} (got ${shown(e.data)})`);
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      return source.error(path, `must be ${p.comparison} ${p.limit} (got ${shown(e.data)})`);
    default:
      return source.error(path, `${e.message ?? e.keyword} (got ${shown(e.data)})`);
  }
}
