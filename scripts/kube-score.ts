// npm run kube-score [-- <folder>] [--findings <file>]
//
// kube-score (built from the Go module proxy, tools/versions.json) over every rendered YAML file of
// apps/, applicationsets/ and rollouts/, each Argo Rollout shown as the Deployment it stands for and
// each analysis's job metric as the Job it creates (checks/kube-score.ts). Every CRITICAL or WARNING finding must be listed once in
// tools/kube-score-exceptions.yaml with its reason, and every exception must still match one;
// otherwise it exits 1 naming file, object, check and kube-score's comment. With --findings, writes
// every finding grouped by check (to decide what to fix and what to accept). With a folder, scores
// that folder's rendered tree and exceptions instead of this repository's (the tests plant problems in one).
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { main } from "./lib/run.ts";
import { readRendered } from "../lib/tree.ts";
import { toolVersions } from "../lib/versions.ts";
import { EXCEPTIONS_FILE, findingsReport, formatFinding, judge, kubeScoreFindings, kubeScoreInput, parseExceptions, summaryLine } from "../checks/kube-score.ts";
import { runKubeScore } from "../harness/kube-score.ts";

await main(async () => {
  const args = process.argv.slice(2);
  const at = args.indexOf("--findings");
  const findingsFile = at >= 0 ? args.splice(at, 2)[1] : undefined;
  if (at >= 0 && !findingsFile) throw new Error("--findings needs a file");
  const root = args[0] ?? process.cwd();
  const started = Date.now();

  const rendered = await readRendered(root);
  if (!rendered.size) throw new Error(`nothing rendered in ${root}: run npm run render first`);
  const input = kubeScoreInput(rendered);
  const report = runKubeScore(input.files);
  const findings = kubeScoreFindings(report, input);
  const exceptionsPath = join(root, EXCEPTIONS_FILE);
  const { exceptions, problems } = parseExceptions(existsSync(exceptionsPath) ? await readFile(exceptionsPath, "utf8") : "");
  const j = judge(findings, exceptions);

  const version = toolVersions().kubeScore.version;
  for (const f of j.unreviewed) console.log(formatFinding(f));
  for (const p of [...j.listedTwice, ...j.stale, ...problems]) console.log(p);
  if (findingsFile) {
    await writeFile(findingsFile, findingsReport(version, findings, j));
    console.log(`every finding, grouped by check: ${findingsFile}`);
  }
  console.log(`${summaryLine(version, { files: input.files.size, objects: report.length, rollouts: input.rollouts.length, analysisJobs: input.analysisJobs.length }, findings.length, j)} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return j.unreviewed.length || j.stale.length || j.listedTwice.length || problems.length ? 1 : 0;
});
