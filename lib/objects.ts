import { parseAllDocuments } from "yaml";

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

export const isCrd = (o: KubeObject): boolean => o.apiVersion === "apiextensions.k8s.io/v1" && o.kind === "CustomResourceDefinition";
