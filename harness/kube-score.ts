import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, relative, sep } from "node:path";
import type { KubeScoreObject } from "../checks/kube-score.ts";
import { toolVersions } from "../lib/versions.ts";
import { kubeScore } from "../toolchain/scanners.ts";

/**
 * Runs kube-score once over a set of files (rendered path → text), written to a scratch folder
 * under their rendered paths: one run, so its checks that look across objects (a Service or
 * NetworkPolicy that selects pods, a PodDisruptionBudget for a Deployment) see every namespace's
 * objects together. Returns its JSON report with each file named by its rendered path.
 */
export function runKubeScore(files: ReadonlyMap<string, string>): KubeScoreObject[] {
  if (!files.size) return [];
  const bin = kubeScore();
  // Real path: kube-score makes file names absolute from its working directory, symlinks resolved.
  const work = realpathSync(mkdtempSync(join(tmpdir(), "bitactor-kube-score-")));
  try {
    for (const [path, text] of files) {
      mkdirSync(dirname(join(work, path)), { recursive: true });
      writeFileSync(join(work, path), text);
    }
    const args = [
      "score", "--output-format", "json", "--output-version", "v2",
      // The checks of the Kubernetes minor we run, not kube-score's default (v1.18).
      "--kubernetes-version", toolVersions().kubernetes.version.replace(/^(v\d+\.\d+).*$/, "$1"),
      // What is accepted is decided in tools/kube-score-exceptions.yaml only: a kube-score/ignore
      // annotation in a rendered object must not hide a finding, nor kube-score/enable add checks.
      "--disable-ignore-checks-annotations", "--disable-optional-checks-annotations",
      ...files.keys(),
    ];
    const r = spawnSync(bin, args, { cwd: work, encoding: "utf8", maxBuffer: 1 << 28 });
    if (r.error) throw new Error(`cannot run kube-score: ${r.error.message}`);
    // Exit 1 means a CRITICAL finding, which is ours to judge; anything else is kube-score failing.
    if (r.status !== 0 && r.status !== 1) throw new Error(`kube-score exited ${r.status}: ${r.stderr.trim() || r.stdout.slice(0, 500)}`);
    let report: KubeScoreObject[] | null;
    try {
      report = JSON.parse(r.stdout) as KubeScoreObject[] | null;
    } catch {
      throw new Error(`kube-score exited ${r.status} without a JSON report: ${r.stderr.trim() || r.stdout.slice(0, 500)}`);
    }
    // kube-score names each file by its absolute path: back to the rendered one.
    return (report ?? []).map((o) => {
      const rel = isAbsolute(o.file_name) ? relative(work, o.file_name) : o.file_name;
      return { ...o, file_name: rel.startsWith("..") ? o.file_name : rel.split(sep).join("/") };
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
