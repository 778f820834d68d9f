import { parseDocument, type Document } from "yaml";
import { OPERATOR_RELEASE, pinPath } from "../../generators/inputs/pins.ts";

/**
 * Edits a YAML input in memory the way a person would: comments, order, quoting and layout kept
 * byte for byte outside the edited values. The writer's style is chosen so that the untouched file
 * comes out unchanged (no re-wrapping; padding inside [flow] collections as the file has it); if no
 * style does, the edit is refused rather than rewriting what someone wrote.
 */
export class LayoutNotKept extends Error {}

export function editKeepingLayout(file: string, text: string, edit: (doc: Document.Parsed) => void): string {
  const style = [false, true].map((flowCollectionPadding) => ({ lineWidth: 0, flowCollectionPadding })).find((o) => parseDocument(text).toString(o) === text);
  if (!style) throw new LayoutNotKept(`${file} uses formatting the YAML writer would change; nothing was written`);
  const doc = parseDocument(text);
  edit(doc);
  return doc.toString(style);
}

/** One component's (or the operator's: generators/inputs/pins.ts) new pin in one region file. */
export interface PinEdit {
  readonly component: string;
  readonly version: string;
  readonly digest: string;
}

/**
 * A region file with one component's version and digest replaced. A hotfix on that pin is removed:
 * it named the digest being replaced, and the render refuses a hotfix for another digest.
 */
export function editPin(file: string, text: string, pin: PinEdit): string {
  const at = pinPath(pin.component);
  return editKeepingLayout(file, text, (doc) => {
    // The operator belongs in every stage: its first pin in a region is added (at the file's end).
    if (!doc.hasIn(at) && pin.component !== OPERATOR_RELEASE) throw new Error(`${file}: ${pin.component} is not deployed here`);
    doc.setIn([...at, "version"], pin.version);
    doc.setIn([...at, "digest"], pin.digest);
    doc.deleteIn([...at, "hotfix"]);
  });
}
