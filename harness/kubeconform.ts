import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { crdSchemas, kubernetesSchemas, schemaLocations } from "../checks/kube-schemas.ts";
import { targetCrds } from "../toolchain/sources.ts";
import { type Located } from "../lib/objects.ts";
import { chaosEngineCrd } from "../generators/validate/litmus.ts";
import { bitActorClusterCrd } from "../generators/constructs/bitactor-cluster.ts";
import { REPO } from "../lib/repo.ts";
import { cacheDir, hashOf } from "../toolchain/build.ts";
import { kubeconform } from "../toolchain/scanners.ts";
import { kubernetesDefinitions } from "./cluster/definitions.ts";
import { toolVersions } from "../lib/versions.ts";

/**
 * The offline strict schema layer: generates (once, cached by versions and generator source) the
 * JSON schemas of Kubernetes and of every CRD we target, then runs kubeconform with `-strict` and
 * no `-ignore-missing-schemas`, so a kind without a schema is an error, never a skip.
 */

/** CRDs the render itself defines (BitActorCluster), built by the generator rather than read from the tree. */
function ownCrds(): Located[] {
  return [{ file: "generators/constructs/bitactor-cluster.ts", object: bitActorClusterCrd({}).toJSON() as unknown as Located["object"] }];
}

/** The schema root for the pinned versions and our own CRDs; generated on first use. */
export function schemaRoot(): string {
  const own = ownCrds();
  const key = hashOf(
    readFileSync(join(REPO, "tools", "versions.json"), "utf8"),
    readFileSync(join(REPO, "checks", "kube-schemas.ts"), "utf8"),
    JSON.stringify(own.map((c) => c.object)),
    // targetCrds() holds one CRD made here (the ChaosEngine's, from our closed schema): a change to it is a new schema root.
    JSON.stringify(chaosEngineCrd()),
  );
  const root = join(cacheDir(), `schemas-${key}`);
  if (existsSync(root)) return root;
  const definitions = kubernetesDefinitions();
  const files = [...kubernetesSchemas(definitions, toolVersions().kubernetes.version), ...crdSchemas([...targetCrds(), ...own], definitions)];
  const tmp = `${root}.tmp-${process.pid}`;
  try {
    for (const f of files) {
      mkdirSync(dirname(join(tmp, f.path)), { recursive: true });
      writeFileSync(join(tmp, f.path), JSON.stringify(f.schema));
    }
    renameSync(tmp, root);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return root;
}

export interface KubeconformProblem {
  readonly file: string;
  readonly kind: string;
  readonly name: string;
  readonly status: "invalid" | "error";
  /** kubeconform's message; for schema violations, one line per field. */
  readonly message: string;
}

export interface KubeconformReport {
  readonly valid: number;
  readonly problems: readonly KubeconformProblem[];
}

interface RawReport {
  resources: { filename: string; kind: string; name: string; status: string; msg: string; validationErrors?: { path: string; msg: string }[] }[];
  summary: { valid: number; invalid: number; errors: number; skipped: number };
}

/**
 * kubeconform's `validationErrors` stop at the first level ("/spec: validation failed"); its message
 * has every leaf: "... failed with 'file:///…json#' - at '/spec': additional properties …". One line each.
 */
function schemaErrors(msg: string): string {
  const leaves = msg.split(/ - at '/).slice(1);
  return leaves.length ? leaves.map((l) => `/${l.replace(/^\//, "").replace(/^([^']*)': /, "$1: ").trim()}`).join("\n") : msg;
}

/** Runs kubeconform strictly over files or folders (relative to `cwd`). */
export function runKubeconform(paths: readonly string[], cwd: string): KubeconformReport {
  const root = schemaRoot();
  const args = ["-strict", "-summary", "-output", "json", "-kubernetes-version", toolVersions().kubernetes.version.replace(/^v/, "")];
  for (const l of schemaLocations(root)) args.push("-schema-location", l);
  const r = spawnSync(kubeconform(), [...args, ...paths], { cwd, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  let raw: RawReport;
  try {
    raw = JSON.parse(r.stdout) as RawReport;
  } catch {
    throw new Error(`kubeconform exited ${r.status} without a report: ${r.stderr || r.stdout}`);
  }
  // Skips only happen with -skip or -ignore-missing-schemas, which we never pass: treat one as a bug.
  if (raw.summary.skipped) throw new Error(`kubeconform skipped ${raw.summary.skipped} resources`);
  const problems = raw.resources.map((x) => ({
    file: x.filename,
    kind: x.kind,
    name: x.name,
    status: x.status === "statusInvalid" ? ("invalid" as const) : ("error" as const),
    message: schemaErrors(x.msg),
  }));
  if ((r.status === 0) !== (problems.length === 0)) throw new Error(`kubeconform exited ${r.status} but reported ${problems.length} problems`);
  return { valid: raw.summary.valid, problems };
}
