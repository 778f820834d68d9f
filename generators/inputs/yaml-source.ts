import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from "yaml";
import type { InputError } from "./errors.ts";

/**
 * A parsed YAML input that can point back at its own text: every later check (schema, semantics)
 * reports `file:line:column` through `locate`.
 */
export class YamlSource {
  private constructor(
    readonly file: string,
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
    /** The plain value (only meaningful when `errors` is empty). */
    readonly value: unknown,
    /** YAML syntax errors (bad indentation, duplicate keys, several documents in one file). */
    readonly errors: readonly InputError[],
  ) {}

  static parse(file: string, text: string): YamlSource {
    const lines = new LineCounter();
    // uniqueKeys (the default) turns a repeated key into an error instead of "last one wins".
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    // Only the first syntax error: the parser's later ones are usually echoes of it.
    const errors: InputError[] = [...doc.errors, ...doc.warnings].slice(0, 1).map((e) => {
      const pos = lines.linePos(e.pos[0]);
      return { file, line: pos.line, column: pos.col, field: "", message: `invalid YAML: ${e.message.split("\n")[0]}` };
    });
    // A second document in the same file would be silently ignored: refuse it.
    const rest = text.slice(doc.range[2]);
    if (errors.length === 0 && /^---/m.test(rest)) {
      const pos = lines.linePos(doc.range[2]);
      errors.push({ file, line: pos.line, column: pos.col, field: "", message: "invalid YAML: only one document per file is allowed" });
    }
    let value: unknown;
    if (errors.length === 0) {
      try {
        value = doc.toJS({ maxAliasCount: 50 });
      } catch (e) {
        // e.g. an alias to an anchor that does not exist, or an alias bomb.
        const alias = /\*[^\s,\]}]+/.exec(text);
        const pos = lines.linePos(alias?.index ?? 0);
        errors.push({ file, line: pos.line, column: pos.col, field: "", message: `invalid YAML: ${(e as Error).message}` });
      }
    }
    return new YamlSource(file, doc, lines, value, errors);
  }

  /** An error at a field, located at the field's value, or at its key when `atKey` is given. */
  error(path: readonly (string | number)[], message: string, atKey?: string): InputError {
    const node = this.nodeAt(path);
    let offset = node?.range?.[0] ?? 0;
    if (atKey !== undefined && node && isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === atKey);
      const keyNode = pair?.key as Node | undefined;
      if (keyNode?.range) offset = keyNode.range[0];
    }
    const pos = this.lines.linePos(offset);
    const field = [...path, ...(atKey !== undefined ? [atKey] : [])].map((s) => "/" + String(s)).join("");
    return { file: this.file, line: pos.line, column: pos.col, field, message };
  }

  /** The deepest existing node along `path` (so a missing key points at its parent). */
  private nodeAt(path: readonly (string | number)[]): Node | undefined {
    let node: unknown = this.doc.contents;
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) break;
        node = pair.value ?? pair.key;
      } else if (isSeq(node)) {
        const item = node.items[Number(seg)];
        if (item === undefined) break;
        node = item;
      } else break;
    }
    return (node as Node | null) ?? undefined;
  }
}
