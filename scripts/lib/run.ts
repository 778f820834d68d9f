import { InputValidationError } from "../../generators/inputs/errors.ts";
import { RenderValidationError } from "../../generators/render-error.ts";

/** Runs a script body; failures print their message (no stack trace) and exit 1. */
export async function main(body: () => Promise<number | void>): Promise<void> {
  try {
    process.exitCode = (await body()) ?? 0;
  } catch (e) {
    if (e instanceof InputValidationError || e instanceof RenderValidationError) {
      console.error(`render failed, nothing was written.\n${e.message}`);
    } else {
      console.error(`error: ${(e as Error).message}`);
    }
    process.exitCode = 1;
  }
}
