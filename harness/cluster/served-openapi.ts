// Prints the OpenAPI v3 schemas a real kube-apiserver of the pinned version serves, merged into one
// definitions map (refs as "#/definitions/<name>"), as JSON on stdout. Run by
// harness/cluster/definitions.ts kubernetesDefinitions() in a child process on a cache miss.
//
// Why the served document and not api/openapi-spec/ of the k8s.io/kubernetes module: the committed
// specs are generated with the OpenAPIEnums feature off (hack/update-openapi-spec.sh), so they carry
// no enums and kubeconform could not see `type: Loadbalancer`; the served v3 document carries the
// enum of every field Kubernetes marks +enum (OpenAPIEnums, on by default since 1.24).
import { startControlPlane } from "./control-plane.ts";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** "#/components/schemas/X" → "#/definitions/X", everywhere in a schema. */
function rebase(node: Json): Json {
  if (Array.isArray(node)) return node.map(rebase);
  if (node === null || typeof node !== "object") return node;
  const out: { [k: string]: Json } = {};
  for (const [k, v] of Object.entries(node)) {
    out[k] = k === "$ref" && typeof v === "string" ? v.replace(/^#\/components\/schemas\//, "#/definitions/") : rebase(v);
  }
  return out;
}

const cp = await startControlPlane();
try {
  const index = (await cp.client.request("GET", "/openapi/v3")).body as { paths: Record<string, { serverRelativeURL: string }> };
  const definitions: Record<string, Json> = {};
  for (const [path, { serverRelativeURL }] of Object.entries(index.paths)) {
    // A fresh server: every group is Kubernetes' own (no CRD is installed yet); /version and the like have no kinds.
    if (!/^apis?\//.test(path)) continue;
    const r = await cp.client.request("GET", serverRelativeURL);
    if (r.status !== 200) throw new Error(`GET ${serverRelativeURL}: ${r.status}`);
    const schemas = ((r.body as { components?: { schemas?: Record<string, Json> } }).components?.schemas ?? {});
    for (const [name, schema] of Object.entries(schemas)) definitions[name] ??= rebase(schema);
  }
  process.stdout.write(JSON.stringify(definitions));
} finally {
  await cp.stop();
}
