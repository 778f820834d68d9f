// npm run infra:check [-- <folder>]
//
// The rendered OpenTofu modules (infrastructure/<env>/<region>/main.tf.json), offline, zero
// unreviewed findings (npm test runs it):
// - our policy rules (checks/infrastructure.ts INFRA_RULES): encrypted, versioned, private backups;
//   no public cluster API; no 0.0.0.0/0 ingress; no spot in production; the catalog's instance types;
//   every exception with its reason;
// - checkov (PyPI, tools/versions.json; terraform_json framework) over every stage, its failed
//   checks judged against the exceptions each resource carries in its "//" comment (checkov does
//   not read those itself); an exception no finding needs any more fails too.
// With a folder, checks that folder's modules (the tests plant problems in a copy).
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { main } from "./lib/run.ts";
import { readInputs } from "../lib/inputs.ts";
import { readRendered } from "../lib/tree.ts";
import { loadRepository } from "../generators/inputs/load.ts";
import { INFRASTRUCTURE_DIR } from "../generators/infrastructure/module.ts";
import { INFRA_RULES, forCheckov, infrastructureViolations, judgeCheckov, type CheckovFinding } from "../checks/infrastructure.ts";
import { checkov } from "../toolchain/scanners.ts";
import { toolVersions } from "../lib/versions.ts";

await main(async () => {
  const root = process.argv[2] ?? process.cwd();
  const model = loadRepository(await readInputs(root));
  const files = await readRendered(root, [INFRASTRUCTURE_DIR]);
  if (files.size === 0) throw new Error(`no modules in ${join(root, INFRASTRUCTURE_DIR)}: run npm run render first`);
  const modules = new Map([...files].map(([p, text]) => [p, JSON.parse(text)]));
  // infrastructure/<env>/<region>/main.tf.json: the region's own machine choices are allowed too.
  const regionOf = (p: string) => model.environments.find((e) => e.settings.environment === p.split("/")[1])?.regions.find((r) => r.region === p.split("/")[2]);
  const violations = [...modules].flatMap(([p, m]) => infrastructureViolations(p, m, model.catalog, regionOf(p)));
  for (const v of violations) console.log(`VIOLATION ${v.path}: ${v.resource}: ${v.rule}: ${v.message}`);
  const resources = [...modules.values()].reduce((n, m) => n + Object.values(m.resource ?? {}).reduce((k: number, r) => k + Object.keys(r as object).length, 0), 0);
  console.log(`infra policy: ${modules.size} modules, ${resources} resources, ${Object.keys(INFRA_RULES).length} rules, ${violations.length} violation${violations.length === 1 ? "" : "s"}`);

  const tmp = await mkdtemp(join(tmpdir(), "bitactor-checkov-"));
  try {
    for (const [p, m] of modules) {
      await mkdir(dirname(join(tmp, p)), { recursive: true });
      await writeFile(join(tmp, p), JSON.stringify(forCheckov(m), null, 2));
    }
    // Offline: no Prisma Cloud download, no PyPI version check (both wait on the network otherwise).
    const r = spawnSync(checkov(), ["-d", INFRASTRUCTURE_DIR, "--framework", "terraform_json", "-o", "json", "--skip-download", "--quiet", "--compact"], {
      cwd: tmp,
      encoding: "utf8",
      maxBuffer: 1 << 28,
      env: { ...process.env, CKV_SKIP_PACKAGE_UPDATE_CHECK: "true", BC_SKIP_MAPPING: "TRUE", CKV_PARSE_ERROR_FAIL: "true" },
    });
    if (r.error) throw new Error(`cannot run checkov: ${r.error.message}`);
    const report = JSON.parse(r.stdout || "{}") as { summary?: { passed: number; failed: number; parsing_errors: number }; results?: { failed_checks: CheckovFinding[] } };
    if (!report.summary || report.summary.parsing_errors > 0) throw new Error(`checkov could not read the modules (exit ${r.status}):\n${r.stderr.slice(-2000)}`);
    const verdict = judgeCheckov(report.results?.failed_checks ?? [], modules, INFRASTRUCTURE_DIR);
    for (const f of verdict.unreviewed) console.log(`FINDING ${f.path}: ${f.resource}: ${f.check_id}: ${f.check_name} (unreviewed: fix it, or add a skip with its reason in the generator)`);
    for (const s of verdict.stale) console.log(`STALE ${s.path}: ${s.resource}: ${s.id}: no finding needs this exception any more; remove it`);
    console.log(`checkov ${toolVersions().checkov.version}: ${report.summary.passed} passed, ${report.summary.failed} failed: ${verdict.reviewed.length} reviewed (an exception with its reason), ${verdict.unreviewed.length} unreviewed; ${verdict.stale.length} stale exception${verdict.stale.length === 1 ? "" : "s"}`);
    return violations.length || verdict.unreviewed.length || verdict.stale.length ? 1 : 0;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});
