import { isMap, isScalar, LineCounter, parseDocument } from "yaml";

/**
 * The operator's image pins against what git builds (operator/image.json): a region file that pins
 * the operator's current version (operator/package.json) must pin the digest the build of this tree
 * gives, so a version never names two images and no region runs an image git cannot rebuild. Older
 * versions are the release train's to move (docs/releases.md); their digests were checked when they
 * were current. Pure: the caller reads the files.
 */

export interface OperatorPinIssue {
  readonly file: string;
  readonly line: number;
  readonly field: string;
  readonly message: string;
}

/** `regionFiles`: path → text of every environments/<env>/regions/<region>.yaml. */
export function operatorPinIssues(regionFiles: ReadonlyMap<string, string>, current: { readonly version: string; readonly digest: string }): OperatorPinIssue[] {
  const out: OperatorPinIssue[] = [];
  for (const [file, text] of regionFiles) {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines });
    const operator = doc.get("operator", true);
    if (!isMap(operator)) continue; // the schema requires it; the render says so with its line
    const version = operator.get("version", true);
    const digest = operator.get("digest", true);
    if (!isScalar(version) || !isScalar(digest) || version.value !== current.version) continue;
    if (digest.value !== current.digest) {
      out.push({
        file,
        line: lines.linePos(digest.range?.[0] ?? 0).line,
        field: "operator.digest",
        message: `${current.version} is the operator's current version, whose image this tree builds as ${current.digest} (operator/image.json); this pins ${String(digest.value)}. Pin the recorded digest, or give a changed operator a new version (operator/README.md, "The image")`,
      });
    }
  }
  return out;
}
