import { readFileSync } from "node:fs";
import { join } from "node:path";
import { toolVersions } from "../lib/versions.ts";
import { isCrd, parseFiles, type KubeObject, type Located } from "../lib/objects.ts";
import { chaosEngineCrd } from "../generators/validate/litmus.ts";
import { moduleDir } from "./build.ts";

/** Upstream sources read from the Go module cache: the CRD manifests of every controller we target. */

/** The CRD manifests of every controller we target, read from their Go modules. */
export function crdManifests(): { source: string; text: string }[] {
  return toolVersions().crdSources.flatMap((s) => {
    const dir = moduleDir(s.module, s.version);
    return s.files.map((f) => ({ source: `${s.module}@${s.version}/${f}`, text: readFileSync(join(dir, f), "utf8") }));
  });
}

/**
 * The CRDs of every controller we target (tools/versions.json), from their Go modules, and the
 * ChaosEngine CRD made from our closed schema (Litmus' own is on no registry reachable here;
 * generators/validate/litmus.ts).
 */
export function targetCrds(): Located[] {
  return [
    ...parseFiles(new Map(crdManifests().map((m) => [m.source, m.text]))).filter((c) => isCrd(c.object)),
    { file: "generators/validate/litmus.ts (chaosEngineCrd, our closed schema)", object: chaosEngineCrd() as KubeObject },
  ];
}

