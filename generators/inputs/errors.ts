/** An error in a person's input, located precisely enough to fix without reading code. */
export interface InputError {
  /** Repository-relative file path. */
  readonly file: string;
  /** 1-based line and column of the offending key or value (the file's start when unknown). */
  readonly line: number;
  readonly column: number;
  /** JSON-pointer-like path of the field, e.g. `/components/order-engine/replicas`; `` for the whole file. */
  readonly field: string;
  /** What is wrong and what is allowed. */
  readonly message: string;
}

export function formatInputError(e: InputError): string {
  return `${e.file}:${e.line}:${e.column}: ${e.field || "(file)"}: ${e.message}`;
}

/** Thrown when inputs do not validate; carries every error found, not only the first. */
export class InputValidationError extends Error {
  constructor(readonly errors: readonly InputError[]) {
    super(`${errors.length} input error${errors.length === 1 ? "" : "s"}:\n${errors.map((e) => "  " + formatInputError(e)).join("\n")}`);
    this.name = "InputValidationError";
  }
}
