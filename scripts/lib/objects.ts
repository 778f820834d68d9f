import { parseAllDocuments } from "yaml";
import { crdManifests } from "../../harness/tools.ts";
import { chaosEngineCrd } from "../../generators/validate/litmus.ts";

/** Kubernetes objects read from YAML files, with the file each came from. */

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

export interface Located {
  /** File (rendered path, or module path of a CRD manifest) the object came from. */
  readonly file: string;
  readonly object: KubeObject;
}

/** Every YAML document of each file, in file order. */
export function parseFiles(files: ReadonlyMap<string, string>): Located[] {
  const out: Located[] = [];
  for (const [file, text] of files) {
    for (const d of parseAllDocuments(text)) {
      if (d.errors.length) throw new Error(`${file}: ${d.errors[0]!.message}`);
      const object = d.toJS() as KubeObject | null;
      if (object) out.push({ file, object });
    }
  }
  return out;
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

export const isCrd = (o: KubeObject): boolean => o.apiVersion === "apiextensions.k8s.io/v1" && o.kind === "CustomResourceDefinition";
