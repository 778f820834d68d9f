// npm run apply:stage -- <stage> [--context <kubectl context>]
//
// Applies one rendered stage (rollouts/<environment>/<region>/**) to a real cluster with kubectl,
// as Argo CD would sync it, without Argo CD: the CRDs of the controllers we target first (from
// their Go modules, tools/versions.json), the namespaces the stage's objects live in, then every
// object by server-side apply; then reads each object back. .github/workflows/kind.yml runs it on a
// kind cluster (a real kubelet) on the host's runners; here test/apply-stage.test.ts runs it against
// the harness's API server. kubectl is the user's (`KUBECTL` names another binary), KUBECONFIG as
// kubectl reads it.
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { main } from "./lib/run.ts";
import { readRendered } from "../lib/tree.ts";
import { isCrd, parseFiles, type KubeObject } from "../lib/objects.ts";
import { targetCrds } from "../toolchain/sources.ts";
import { kubectlBin } from "./lib/live.ts";


function kubectl(context: string | undefined, args: readonly string[], input?: string): string {
  const r = spawnSync(kubectlBin(), [...(context ? ["--context", context] : []), ...args], { encoding: "utf8", input, maxBuffer: 1 << 28 });
  if (r.error) throw new Error(`cannot run ${kubectlBin()}: ${r.error.message} (install kubectl, or set KUBECTL)`);
  if (r.status !== 0) throw new Error(`kubectl ${args.slice(0, 3).join(" ")} … failed:\n${r.stderr.trim()}`);
  return r.stdout;
}

const ref = (o: KubeObject): string => `${o.kind.toLowerCase()}.${o.apiVersion.includes("/") ? o.apiVersion.split("/")[0] : ""}`.replace(/\.$/, "");

await main(async () => {
  const { values, positionals } = parseArgs({ options: { context: { type: "string" } }, allowPositionals: true, strict: true });
  const rendered = await readRendered(process.cwd());
  // Stage id = <environment>-<region> (generators/naming.ts stageId), folder rollouts/<environment>/<region>/.
  const folders = new Map<string, string>();
  for (const f of rendered.keys()) {
    const m = /^rollouts\/([^/]+)\/([^/]+)\//.exec(f);
    if (m) folders.set(`${m[1]}-${m[2]}`, m[0]);
  }
  const stages = [...folders.keys()].sort();
  const stage = positionals[0];
  if (positionals.length !== 1 || !stage) throw new Error(`usage: npm run apply:stage -- <stage> [--context <context>]; stages: ${stages.join(", ")}`);
  if (!stages.includes(stage)) throw new Error(`no rendered stage "${stage}" (rendered: ${stages.join(", ")}); run npm run render first`);
  const prefix = folders.get(stage)!;
  const objects = parseFiles(new Map([...rendered].filter(([f]) => f.startsWith(prefix))));
  const ctx = values.context;
  const dir = await mkdtemp(join(tmpdir(), "bitactor-apply-"));
  try {
    // CRDs first and established before any object of theirs: the stage's own CRD (BitActorCluster) too.
    const crds = [...targetCrds().map((c) => c.object), ...objects.filter((o) => isCrd(o.object)).map((o) => o.object)];
    await writeFile(join(dir, "crds.yaml"), crds.map((c) => stringify(c)).join("---\n"));
    kubectl(ctx, ["apply", "--server-side", "--force-conflicts", "--field-manager=bitactor-apply-stage", "-f", join(dir, "crds.yaml")]);
    kubectl(ctx, ["wait", "--for=condition=Established", "--timeout=120s", ...crds.map((c) => `crd/${c.metadata.name}`)]);
    // Argo CD creates the stage namespace (CreateNamespace=true); here every namespace the objects use.
    const namespaces = [...new Set(objects.map((o) => o.object.metadata.namespace).filter((n): n is string => !!n))].sort();
    const nsYaml = namespaces.map((n) => stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: n } })).join("---\n");
    kubectl(ctx, ["apply", "--server-side", "--field-manager=bitactor-apply-stage", "-f", "-"], nsYaml);
    const rest = objects.filter((o) => !isCrd(o.object));
    await writeFile(join(dir, "stage.yaml"), rest.map((o) => stringify(o.object)).join("---\n"));
    kubectl(ctx, ["apply", "--server-side", "--field-manager=bitactor-apply-stage", "-f", join(dir, "stage.yaml")]);
    // Read every object back: applied means the server holds it now.
    const missing: string[] = [];
    for (const { file, object } of rest) {
      const ns = object.metadata.namespace ? ["-n", object.metadata.namespace] : [];
      try {
        kubectl(ctx, ["get", ...ns, ref(object), object.metadata.name!, "-o", "name"]);
      } catch (e) {
        missing.push(`${file}: ${(e as Error).message.split("\n").pop()}`);
      }
    }
    if (missing.length) throw new Error(`applied, but ${missing.length} objects cannot be read back:\n  ${missing.join("\n  ")}`);
    const kinds = new Map<string, number>();
    for (const { object } of rest) kinds.set(object.kind, (kinds.get(object.kind) ?? 0) + 1);
    console.log(`${stage}: ${crds.length} CRDs established, ${namespaces.length} namespaces, ${rest.length} objects applied and read back`);
    console.log(`  ${[...kinds].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, n]) => `${k} ${n}`).join(", ")}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
