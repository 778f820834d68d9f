import { statusMessage, type KubeClient } from "./client.ts";
import { isCrd, type KubeObject, type Located } from "../../lib/objects.ts";
import { waitFor } from "./process.ts";

/**
 * Server-side dry-run of rendered objects against a real API server: the server decodes each object
 * with strict field validation (unknown or duplicate fields are errors), defaults it, runs its
 * validation (built-in rules, CRD OpenAPI schema and CEL rules) and admission, and stores nothing.
 */

export interface Verdict extends Located {
  readonly accepted: boolean;
  /** The server's own message when rejected. */
  readonly message?: string;
  readonly warnings: readonly string[];
}

export const STRICT_DRY_RUN = "dryRun=All&fieldValidation=Strict&fieldManager=bitactor-validate";

export function describe(o: KubeObject): string {
  const ns = o.metadata?.namespace ? `${o.metadata.namespace}/` : "";
  return `${o.kind} ${ns}${o.metadata?.name ?? "(no name)"}`;
}

/** Creates CRDs for real and waits until each is Established and served by discovery. */
export async function installCrds(client: KubeClient, crds: readonly Located[]): Promise<void> {
  for (const { file, object } of crds) {
    const r = await client.request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions?fieldValidation=Strict", object);
    if (r.status !== 201 && r.status !== 409) throw new Error(`${file}: ${describe(object)} was not installed: ${statusMessage(r)}`);
  }
  for (const { file, object } of crds) {
    const name = object.metadata.name!;
    const spec = object.spec as { group: string; names: { kind: string }; versions: { name: string; served: boolean }[] };
    await waitFor(
      `CRD ${name} from ${file}`,
      async () => {
        const r = await client.request("GET", `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
        const conds = (r.body as { status?: { conditions?: { type: string; status: string }[] } }).status?.conditions ?? [];
        if (!conds.some((c) => c.type === "Established" && c.status === "True")) return false;
        for (const v of spec.versions.filter((x) => x.served)) {
          if (!(await client.resource(`${spec.group}/${v.name}`, spec.names.kind))) return false;
        }
        return true;
      },
      () => true,
      () => "the API server never reported it Established",
      30_000,
    );
  }
}

export async function dryRun(client: KubeClient, { file, object }: Located): Promise<Verdict> {
  let path: string;
  try {
    path = await client.collectionPath(object);
  } catch (e) {
    return { file, object, accepted: false, message: (e as Error).message, warnings: [] };
  }
  const r = await client.request("POST", `${path}?${STRICT_DRY_RUN}`, object);
  const accepted = r.status >= 200 && r.status < 300;
  return { file, object, accepted, ...(accepted ? {} : { message: statusMessage(r) }), warnings: r.warnings };
}

/**
 * Dry-runs everything in dependency order: Namespaces, then CRDs (each then installed for real so the
 * custom resources after it can be checked), then the namespaces the remaining objects live in are
 * created for real (a dry-run cannot create them), then every other object.
 */
export async function dryRunAll(client: KubeClient, objects: readonly Located[]): Promise<Verdict[]> {
  const verdicts: Verdict[] = [];
  const namespaces = objects.filter((o) => o.object.apiVersion === "v1" && o.object.kind === "Namespace");
  const crds = objects.filter((o) => isCrd(o.object));
  const rest = objects.filter((o) => !namespaces.includes(o) && !crds.includes(o));

  for (const n of namespaces) verdicts.push(await dryRun(client, n));
  const crdVerdicts = [];
  for (const c of crds) crdVerdicts.push(await dryRun(client, c));
  verdicts.push(...crdVerdicts);
  await installCrds(client, crdVerdicts.filter((v) => v.accepted));

  const needed = new Set<string>();
  for (const o of rest) {
    const info = await client.resource(o.object.apiVersion, o.object.kind);
    if (info?.namespaced) needed.add(o.object.metadata.namespace ?? "default");
  }
  for (const ns of needed) {
    // A name the server refuses shows up below as the rejection of every object in it.
    await client.request("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  }
  for (const o of rest) verdicts.push(await dryRun(client, o));
  return verdicts;
}
