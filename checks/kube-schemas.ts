import type { KubeObject } from "../lib/objects.ts";

/**
 * Strict JSON schemas for kubeconform, generated from the same sources the API server uses: the
 * OpenAPI v3 schemas a kube-apiserver of the pinned version serves (with the enums of every core
 * field Kubernetes marks +enum; tools.ts kubernetesDefinitions) and the CRDs of the controllers we
 * target (their Go modules). kubeconform's `-strict` only picks the `-strict` schema folder and
 * rejects duplicate keys; unknown fields are rejected because these schemas close every object
 * (`additionalProperties: false`), as kubectl's client-side validation did
 * (yannh/kubeconform scripts/openapi2jsonschema.py does the same for its published schemas).
 *
 * Layout matches kubeconform's default templates:
 *   <root>/<k8s version>-standalone-strict/<kind>-<group prefix>-<version>.json
 *   <root>/crds/<group>/<kind>_<version>.json
 * Each file is standalone: referenced definitions are copied into its `definitions`, so recursive
 * types (JSONSchemaProps) stay finite. kubeconform compiles them as draft-04.
 */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Obj = { [k: string]: Json };

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
const REF = "#/definitions/";

/** Kubernetes' Quantity is a string in OpenAPI, but the API server also decodes JSON numbers. */
const QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity";

/** Closes objects, spells int-or-string as JSON Schema, and lets `nullable` fields be null. */
function strictify(node: Json): Json {
  if (Array.isArray(node)) return node.map(strictify);
  if (!isObj(node)) return node;
  const out: Obj = {};
  for (const [k, v] of Object.entries(node)) out[k] = k === "enum" || k === "default" || k === "example" ? v : strictify(v);
  if (out.format === "int-or-string" || (out["x-kubernetes-int-or-string"] === true && !out.anyOf && !out.oneOf)) {
    delete out.type;
    delete out.format;
    out.oneOf = [{ type: "string" }, { type: "integer" }];
  }
  const open = out["x-kubernetes-preserve-unknown-fields"] === true;
  if (isObj(out.properties) && out.additionalProperties === undefined && !open) out.additionalProperties = false;
  if (out.nullable === true && typeof out.type === "string") out.type = [out.type, "null"];
  return out;
}

function refsIn(node: Json, into: Set<string>): void {
  if (Array.isArray(node)) node.forEach((n) => refsIn(n, into));
  else if (isObj(node)) {
    for (const [k, v] of Object.entries(node)) {
      if (k === "$ref" && typeof v === "string" && v.startsWith(REF)) into.add(v.slice(REF.length));
      else refsIn(v, into);
    }
  }
}

/** All definitions reachable from `root`, strictified. */
function closure(root: Json, definitions: Obj): Obj {
  const seen = new Set<string>();
  const todo = new Set<string>();
  refsIn(root, todo);
  const out: Obj = {};
  while (todo.size) {
    const [name] = todo;
    todo.delete(name!);
    if (seen.has(name!)) continue;
    seen.add(name!);
    const def = definitions[name!];
    if (def === undefined) throw new Error(`OpenAPI document has no definition ${name}`);
    out[name!] = name === QUANTITY ? { oneOf: [{ type: "string" }, { type: "number" }] } : strictify(def);
    const next = new Set<string>();
    refsIn(def, next);
    for (const n of next) if (!seen.has(n)) todo.add(n);
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** kubeconform's `{{ .KindSuffix }}`: first label of the group, then the version. */
export function kindSuffix(apiVersion: string): string {
  const parts = apiVersion.split("/");
  const group = parts.length > 1 ? parts[0]!.split(".")[0]! : "";
  return `${group ? `-${group}` : ""}-${parts[parts.length - 1]}`.toLowerCase();
}

function pinKind(schema: Obj, apiVersion: string, kind: string): Obj {
  const props = isObj(schema.properties) ? schema.properties : {};
  return {
    ...schema,
    properties: { ...props, apiVersion: { type: "string", enum: [apiVersion] }, kind: { type: "string", enum: [kind] } },
    required: [...new Set([...(Array.isArray(schema.required) ? (schema.required as string[]) : []), "apiVersion", "kind"])],
  };
}

export interface SchemaFile {
  readonly path: string;
  readonly schema: Obj;
}

/** One schema per kind of Kubernetes' served OpenAPI v3 schemas (`x-kubernetes-group-version-kind`). */
export function kubernetesSchemas(definitions: Obj, version: string): SchemaFile[] {
  const files: SchemaFile[] = [];
  for (const def of Object.values(definitions)) {
    if (!isObj(def) || !Array.isArray(def["x-kubernetes-group-version-kind"])) continue;
    for (const gvk of def["x-kubernetes-group-version-kind"] as { group: string; version: string; kind: string }[]) {
      const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
      const body = strictify(def) as Obj;
      const schema = pinKind(body, apiVersion, gvk.kind);
      schema.definitions = closure(schema, definitions);
      files.push({ path: `${version}-standalone-strict/${gvk.kind.toLowerCase()}${kindSuffix(apiVersion)}.json`, schema });
    }
  }
  return files;
}

interface CrdSpec {
  group: string;
  names: { kind: string };
  versions: { name: string; served: boolean; schema?: { openAPIV3Schema?: Obj } }[];
}

/**
 * One schema per served version of each CRD. `metadata` is checked against Kubernetes' ObjectMeta,
 * as the API server does (a CRD schema only says `type: object` there).
 */
export function crdSchemas(crds: readonly { file: string; object: KubeObject }[], definitions: Obj): SchemaFile[] {
  const files: SchemaFile[] = [];
  const metadata = closure({ $ref: `${REF}${OBJECT_META}` }, definitions);
  for (const { file, object } of crds) {
    const spec = object.spec as CrdSpec;
    for (const v of spec.versions) {
      if (!v.served) continue;
      const raw = v.schema?.openAPIV3Schema;
      if (!raw) throw new Error(`${file}: ${spec.names.kind} ${v.name} has no openAPIV3Schema`);
      const body = strictify(raw) as Obj;
      const props = isObj(body.properties) ? body.properties : {};
      const schema = pinKind({ ...body, properties: { ...props, metadata: { $ref: `${REF}${OBJECT_META}` } } }, `${spec.group}/${v.name}`, spec.names.kind);
      schema.additionalProperties = false;
      schema.definitions = metadata;
      files.push({ path: `crds/${spec.group}/${spec.names.kind.toLowerCase()}_${v.name}.json`, schema });
    }
  }
  return files;
}

/** kubeconform `-schema-location` templates for a schema root written from the files above. */
export function schemaLocations(root: string): string[] {
  return [
    `${root}/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json`,
    `${root}/crds/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json`,
  ];
}
