// The run docs/gitops.md shows is written by `npm run e2e:gitops -- --record` from a passing run:
// its figures (a region rebuilt from git against the seed's RTO, an add-on upgrade from commit to
// Synced) come from the steps' own timings, a failed run is never recorded, and the page holds one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./helpers/repo.ts";
import { RECORD_BEGIN, RECORD_END, runRecord, withRecord } from "../harness/gitops/report.ts";
import type { StepRow } from "../harness/gitops/steps.ts";

const row = (step: string, toSynced: number | null, toDecision: number | null, problems: string[] = []): StepRow => ({ step, expected: "", observed: `observed ${step}`, problems, toSynced, toDecision });
const rows = [row("bootstrap: the README's commands on an empty cluster", 240, 242), row("first releases: every component", 240, 240), row("(u) prometheus-operator upgraded by commit: v0.94.0 → v0.94.1", 41, 63), row("(a) promote", 31, 509)];
const facts = { date: "2026-12-07", cores: 2, seconds: 1300, rtoSeconds: 300, served: ["argo-rollouts v1.10.2"], unserved: ["velero 12.2.1"] };

test("the record carries the rebuild and upgrade figures from the steps, judged against the RTO", () => {
  const r = runRecord(rows, facts);
  assert.ok(r.startsWith(RECORD_BEGIN) && r.endsWith(RECORD_END));
  assert.match(r, /A region rebuilt from git\*\*: .* \*\*240 s\*\*, within the seed's RTO of 300 s/);
  assert.match(r, /An add-on upgrade\*\*: from the commit to every Application of it Synced: \*\*41 s\*\*; Healthy with every Deployment on the new release: 63 s/);
  assert.match(r, /\n\| \(u\) \| observed \(u\) prometheus-operator .* \| 41 \| 63 \|\n/);
  assert.match(r, /\n\| bootstrap \| .* \| 240 \| 242 \|\n/);
  assert.match(r, /Not served \(checked statically\): velero 12\.2\.1\./);
  assert.match(r, /e2e:gitops: 4 steps as expected, 0 not \(1300 s\)/);
  // A rebuild slower than the RTO says so.
  assert.match(runRecord([row("bootstrap: x", 301, 301), rows[2]!], facts), /\*\*301 s\*\*, over the seed's RTO of 300 s/);
});

test("a failed run, or one without the figures, is never recorded", () => {
  assert.throws(() => runRecord([...rows, row("(b) abort", 31, null, ["not aborted"])], facts), /not recorded: \(b\) did not pass/);
  assert.throws(() => runRecord([rows[0]!], facts), /no bootstrap or add-on upgrade figure/);
  assert.throws(() => runRecord([row("bootstrap: x", null, null), rows[2]!], facts), /no bootstrap or add-on upgrade figure/);
});

test("docs/gitops.md holds exactly one recorded run, and recording replaces only it", () => {
  const doc = readFileSync(join(ROOT, "docs", "gitops.md"), "utf8");
  assert.equal(doc.split(RECORD_BEGIN).length, 2);
  const block = doc.slice(doc.indexOf(RECORD_BEGIN), doc.indexOf(RECORD_END) + RECORD_END.length);
  assert.match(block, /A region rebuilt from git\*\*: .* \*\*\d+ s\*\*, (within|over) the seed's RTO of \d+ s/);
  assert.match(block, /An add-on upgrade\*\*: .* \*\*\d+ s\*\*/);
  assert.match(block, /\ne2e:gitops: (\d+) steps as expected, 0 not \(\d+ s\)\n/);
  const again = withRecord(doc, runRecord(rows, facts));
  assert.equal(again.slice(0, doc.indexOf(RECORD_BEGIN)), doc.slice(0, doc.indexOf(RECORD_BEGIN)));
  assert.equal(again.slice(again.indexOf(RECORD_END)), doc.slice(doc.indexOf(RECORD_END)));
  assert.throws(() => withRecord("# no markers", "x"), /no single e2e:gitops run block/);
});
