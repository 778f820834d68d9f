// .github/workflows/: actionlint (shellcheck for the run: scripts) over every workflow, our own rules
// for pins, inputs, permissions, concurrency and timeouts (checks/workflows.ts), and the link between
// bench.yml's runner labels and the catalog's node pools.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { ROOT, committedModel } from "./helpers/repo.ts";
import { actionlint } from "../toolchain/scanners.ts";
import { manifestIssues, workflowIssues, type ActionsManifest } from "../checks/workflows.ts";
import { benchMatrix } from "../checks/bench-matrix.ts";
import { renderObjects } from "../generators/render.ts";

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const WORKFLOWS = join(ROOT, ".github", "workflows");
const files = readdirSync(WORKFLOWS).filter((f) => f.endsWith(".yml")).sort();
const manifest = JSON.parse(readFileSync(join(ROOT, ".github", "actions.json"), "utf8")) as ActionsManifest;
const checkout = manifest.actions["actions/checkout"]!;

function lint(dir: string, names: readonly string[]): { status: number; out: string } {
  const r = spawnSync(actionlint(), ["-no-color", "-config-file", join(ROOT, ".github", "actionlint.yaml"), ...names.map((n) => join(dir, n))], { encoding: "utf8" });
  return { status: r.status ?? 1, out: r.stdout + r.stderr };
}

/** A scratch folder with one workflow, for actionlint's negative cases. */
function planted(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "bitactor-wf-"));
  mkdirSync(join(dir, ".github", "workflows"), { recursive: true });
  writeFileSync(join(dir, ".github", "workflows", "planted.yml"), text);
  return join(dir, ".github", "workflows");
}

const minimal = (steps: string, runsOn = "ubuntu-24.04") => `name: planted
on: [push]
permissions:
  contents: read
concurrency:
  group: planted
jobs:
  one:
    runs-on: ${runsOn}
    timeout-minutes: 5
    steps:
${steps}`;

test("the workflows: ci, security, kind, bench, dr-drill and operator-image", () => {
  assert.deepEqual(files, ["bench.yml", "ci.yml", "dr-drill.yml", "kind.yml", "operator-image.yml", "security.yml"]);
});

test("actionlint, with shellcheck over every run: script, finds nothing in .github/workflows/", () => {
  const r = lint(WORKFLOWS, files);
  assert.equal(r.status, 0, r.out);
});

test("actionlint's shellcheck catches an unquoted expansion in a run: script, and an unknown runner label", () => {
  const shell = lint(planted(minimal(`      - run: rm -rf $TARGET/build\n`)), ["planted.yml"]);
  assert.equal(shell.status, 1, shell.out);
  assert.match(shell.out, /shellcheck reported issue in this script: SC2086/);
  const label = lint(planted(minimal(`      - run: "true"\n`, "[self-hosted, bitactor-no-such-pool]")), ["planted.yml"]);
  assert.equal(label.status, 1, label.out);
  assert.match(label.out, /label "bitactor-no-such-pool" is unknown/);
});

test("every uses: is a full commit SHA recorded in .github/actions.json, with the release in its comment and only declared inputs", () => {
  assert.deepEqual(manifestIssues(manifest), []);
  let uses = 0;
  for (const f of files) {
    const text = readFileSync(join(WORKFLOWS, f), "utf8");
    assert.deepEqual(workflowIssues(`.github/workflows/${f}`, text, manifest), [], f);
    uses += (text.match(/^\s*- uses: /gm) ?? []).length;
  }
  assert.ok(uses >= 15, `only ${uses} uses: found`);
  // Every recorded action is used: a stale entry would keep a pin nobody reviews.
  const all = files.map((f) => readFileSync(join(WORKFLOWS, f), "utf8")).join("\n");
  for (const name of Object.keys(manifest.actions)) assert.ok(all.includes(`uses: ${name}@`), `${name} is recorded but unused`);
});

test("the pin rules: a tag, another SHA, a wrong release comment, an unknown action and a misspelled input each fail at their line", () => {
  const check = (steps: string) => workflowIssues("planted.yml", minimal(steps), manifest);
  const tag = check(`      - uses: actions/checkout@v7\n`);
  assert.equal(tag.length, 1);
  assert.equal(tag[0]!.line, 12);
  assert.equal(tag[0]!.field, "/jobs/one/steps/0/uses");
  assert.match(tag[0]!.message, /pin to a full 40-hex commit SHA/);
  const other = check(`      - uses: actions/checkout@${"a".repeat(40)} # ${checkout.version}\n`);
  assert.match(other[0]!.message, new RegExp(`pins ${checkout.sha}`));
  const comment = check(`      - uses: actions/checkout@${checkout.sha} # v6.0.0\n`);
  assert.deepEqual(comment.map((i) => i.message), [`actions/checkout: the comment should name the release, "# ${checkout.version}" (found "# v6.0.0")`]);
  const unknown = check(`      - uses: someone/action@${"b".repeat(40)} # v1.0.0\n`);
  assert.match(unknown[0]!.message, /someone\/action is not in \.github\/actions\.json/);
  const input = check(`      - uses: actions/checkout@${checkout.sha} # ${checkout.version}\n        with:\n          fetch_depth: 0\n`);
  assert.equal(input.length, 1);
  assert.equal(input[0]!.line, 14);
  assert.equal(input[0]!.field, "/jobs/one/steps/0/with/fetch_depth");
  assert.match(input[0]!.message, /declares no input "fetch_depth"/);
  assert.deepEqual(check(`      - uses: actions/checkout@${checkout.sha} # ${checkout.version}\n        with:\n          fetch-depth: 0\n`), []);
  const image = check(`      - uses: docker://alpine:3\n`);
  assert.match(image[0]!.message, /pinned by digest/);
});

test("least privilege and bounded runs: a workflow without permissions, concurrency or a job timeout fails", () => {
  const text = `on: [push]\njobs:\n  one:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: "true"\n`;
  assert.deepEqual(workflowIssues("w.yml", text, manifest).map((i) => i.field), ["/permissions", "/concurrency", "/jobs/one/timeout-minutes"]);
  for (const f of files) {
    const w = parse(readFileSync(join(WORKFLOWS, f), "utf8")) as { permissions: Record<string, string> };
    // Nothing writes to the repository; the widest grant is actions: read (bench.yml reads the last result).
    for (const [scope, level] of Object.entries(w.permissions)) assert.ok(level === "read" || (scope === "id-token" && level === "write"), `${f}: ${scope}: ${level}`);
  }
});

test("bench.yml's self-hosted runners: every node pool's label is declared to actionlint, and the matrix comes from the catalog", async () => {
  const model = await committedModel();
  const labels = (parse(readFileSync(join(ROOT, ".github", "actionlint.yaml"), "utf8")) as { "self-hosted-runner": { labels: string[] } })["self-hosted-runner"].labels;
  const matrix = benchMatrix(model.catalog);
  assert.deepEqual(matrix.map((j) => j.component), Object.keys(model.catalog.components).sort());
  for (const j of matrix) {
    assert.ok(labels.includes(j.runner), `${j.runner} (node pool ${j.pool}) is not in .github/actionlint.yaml`);
    assert.equal(j.budgetNs, model.catalog.components[j.component]!.budgetNs);
    assert.equal(j.image, model.catalog.benchmark.image);
  }
  // One label per node pool of the catalog, and no stale one.
  assert.deepEqual(labels.filter((l) => l.startsWith("bitactor-") && l !== "bitactor-ops").sort(), Object.keys(model.catalog.nodePools).map((p) => `bitactor-${p}`).sort());
  const bench = readFileSync(join(WORKFLOWS, "bench.yml"), "utf8");
  assert.match(bench, /npm run --silent bench:gate -- --matrix/);
  assert.match(bench, /runs-on: \[self-hosted, linux, bare-metal, "\$\{\{ matrix\.runner \}\}"\]/);
});

test("dr-drill.yml: monthly verify and on-demand drill, behind the dr-drill environment, on the ops runners, outlasting every stage's drill Job", async () => {
  const w = parse(readFileSync(join(WORKFLOWS, "dr-drill.yml"), "utf8")) as Any;
  assert.deepEqual(Object.keys(w.on).sort(), ["schedule", "workflow_dispatch"]);
  assert.deepEqual(w.on.schedule, [{ cron: "0 8 3 * *" }]);
  for (const [name, job] of Object.entries(w.jobs) as [string, Any][]) {
    assert.equal(job.environment, "dr-drill", name);
    assert.deepEqual(job["runs-on"], ["self-hosted", "linux", "bitactor-ops"], name);
  }
  assert.match(w.jobs.verify.steps.at(-1).run, /^npm run dr-drill -- --verify$/);
  assert.equal(w.jobs.drill.steps.at(-1).env.STAGE, "${{ inputs.stage }}");
  assert.match(w.jobs.drill.steps.at(-1).run, /^npm run dr-drill -- "\$\{STAGE\}"$/);
  // The workflow waits as long as the longest drill Job may run (its deadline) plus 15 minutes to install and poll.
  const deadlines = renderObjects(await committedModel()).filter((o) => o.object.kind === "CronJob" && /-dr-drill$/.test(o.object.metadata.name)).map((o) => (o.object as Any).spec.jobTemplate.spec.activeDeadlineSeconds as number);
  assert.equal(deadlines.length, 7);
  assert.ok(w.jobs.drill["timeout-minutes"] * 60 >= Math.max(...deadlines) + 15 * 60, `${w.jobs.drill["timeout-minutes"]} minutes < ${Math.max(...deadlines)} s + 15 min`);
});
