import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "../../lib/repo.ts";
import { toolVersions } from "../../lib/versions.ts";
import { cacheDir, hashOf } from "../../toolchain/build.ts";

/**
 * The schema definitions a kube-apiserver of the pinned version serves as OpenAPI v3 (enums
 * included), read once from a throw-away control plane (harness/cluster/served-openapi.ts, in a
 * child process so this stays synchronous) and cached by the Kubernetes and etcd versions.
 */
export function kubernetesDefinitions(): Record<string, never> {
  const v = toolVersions();
  const file = join(cacheDir(), `openapi-v3-${hashOf(v.kubernetes.version, v.etcd.version, readFileSync(join(REPO, "harness", "cluster", "served-openapi.ts"), "utf8"))}.json`);
  if (!existsSync(file)) {
    process.stderr.write(`reading the OpenAPI v3 schemas kube-apiserver ${v.kubernetes.version} serves (once; cached in ${cacheDir()})...\n`);
    const r = spawnSync(process.execPath, ["--import", "tsx", join(REPO, "harness", "cluster", "served-openapi.ts")], { cwd: REPO, encoding: "utf8", maxBuffer: 256 << 20 });
    if (r.error || r.status !== 0) throw new Error(`could not read the served OpenAPI v3 document: ${r.error?.message ?? r.stderr.trim().split("\n").slice(-5).join("\n")}`);
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, r.stdout);
    renameSync(tmp, file);
  }
  return JSON.parse(readFileSync(file, "utf8")) as Record<string, never>;
}
