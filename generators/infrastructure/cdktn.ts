import { requireCjs } from "./cjs.ts";

// What the stage modules use of cdktn, required like the provider bindings (./cjs.ts: why). Types
// only (TerraformElement) come from "cdktn" itself: a type import loads nothing.
export const { App, AzurermBackend, Fn, GcsBackend, S3Backend, TerraformOutput, TerraformStack } = requireCjs<typeof import("cdktn")>("cdktn");
