import { Ajv } from "ajv";

/**
 * The generators' one Ajv: the input check (inputs/schema-check.ts) and the render's own validators
 * (validate/) compile into it. One instance because each compiles the JSON Schema meta-schema on its
 * first compile (strict mode checks every schema against it; about 10 ms an instance), and because
 * the BitActorCluster validator then calls the region validator the input check compiled rather
 * than compiling the region schema again (about 35 ms). Options, each for every schema:
 * - allErrors: report every problem at once;
 * - verbose: keep the schema in each error, so an input error can list what is allowed;
 * - inlineRefs off: a `$ref` calls the compiled schema instead of compiling a copy inline;
 * - code.optimize off: ajv's optimizing pass over the generated code (dropping unused names,
 *   folding constants) was a third of compile time, and the validators decide exactly the same.
 * Times: docs/speed.md.
 */
export const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, inlineRefs: false, code: { optimize: false } });
