// The examples `semgrep --test .semgrep/` checks .semgrep/generators.yaml against. Never imported or run.
declare const region: { region: string; cloud: string };
declare const file: string;
// ruleid: bitactor-generator-io
import * as cp from "node:child_process";
// ruleid: bitactor-generator-io
import { writeFileSync } from "node:fs";
// ok: bitactor-generator-io
import { stringify } from "yaml";
// ruleid: bitactor-generator-nondeterminism
const renderedAt = Date.now();
// ok: bitactor-generator-nondeterminism
const fixed = new Date("2026-01-01T00:00:00Z");
// ruleid: bitactor-region-branch
if (region.region === "us-east-1") writeFileSync(file, String(renderedAt + fixed.getTime()));
// ruleid: bitactor-region-branch
const pool = region.cloud !== "aws" ? "cluster" : "karpenter";
// ok: bitactor-region-branch
const sameStage = region.region === other.region;
declare const other: { region: string };
export { cp, pool, sameStage, stringify };
