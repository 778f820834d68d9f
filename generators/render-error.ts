// Apart from render.ts so that a command can recognise the error without loading the whole render
// (scripts/lib/run.ts: every command's main() would otherwise load the generators and the bindings).

/** A rendered object that failed strict validation: a generator bug, never a user's input error. */
export class RenderValidationError extends Error {
  constructor(readonly issues: readonly { path: string; field: string; message: string }[]) {
    super(`${issues.length} rendered object${issues.length === 1 ? "" : "s"} failed validation; nothing was written:\n${issues.map((i) => `  ${i.path}: ${i.field || "(object)"}: ${i.message}`).join("\n")}`);
    this.name = "RenderValidationError";
  }
}
