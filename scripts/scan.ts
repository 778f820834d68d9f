// npm run scan [-- <folder>]
//
// Security scanning, offline, zero unreviewed findings (npm test runs it; .github/workflows/security.yml
// on the host):
// - Trivy (built from the Go module proxy, tools/versions.json) configuration checks over the rendered
//   tree (apps/, applicationsets/, rollouts/), each Rollout's pod template included (checks/scan.ts),
//   images trusted only from the registries engine/catalog.yaml pins. Reviewed exceptions:
//   .trivyignore.yaml, each with its check id, files and reason.
// - Semgrep (PyPI) with our rules (.semgrep/bitactor.yaml) over generators/, scripts/, checks/ and
//   harness/ (.semgrep/generators.yaml over generators/ only); the rules' own tests first (`semgrep --test`). A `nosemgrep` must name its rule and reason.
// With a folder, scans that folder's rendered tree and sources instead of this repository's (the
// tests plant problems in a copy).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { main } from "./lib/run.ts";
import { readInputs } from "../lib/inputs.ts";
import { readRendered } from "../lib/tree.ts";
import { loadRepository } from "../generators/inputs/load.ts";
import { formatFinding, nosemgrepIssues, scanFiles, scanGroups, semgrepFindings, trivyFindings, trivyIgnoreIssues, trustedRegistries, type Finding } from "../checks/scan.ts";
import { REPO } from "../lib/repo.ts";
import { semgrep, trivy } from "../toolchain/scanners.ts";
import { toolVersions } from "../lib/versions.ts";

const SOURCES = ["generators", "scripts", "checks", "harness"];

function run(program: string, args: readonly string[], cwd: string): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(program, args, { cwd, encoding: "utf8", maxBuffer: 1 << 28 });
  if (r.error) throw new Error(`cannot run ${program}: ${r.error.message}`);
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

async function sourceFiles(root: string, dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(root, dir), { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sourceFiles(root, p)));
    else if (/\.(ts|mjs|js|sh)$/.test(e.name)) out.push(p);
  }
  return out;
}

await main(async () => {
  const root = process.argv[2] ?? process.cwd();
  const started = Date.now();
  const problems: string[] = [];
  const findings: Finding[] = [];

  // Trivy over the rendered tree (and each Rollout's pod template as a Deployment).
  const rendered = await readRendered(root);
  if (!rendered.size) throw new Error(`nothing rendered in ${root}: run npm run render first`);
  const model = loadRepository(await readInputs(root));
  const files = scanFiles(rendered);
  const ignoreFile = join(root, ".trivyignore.yaml");
  const ignoreText = existsSync(ignoreFile) ? await readFile(ignoreFile, "utf8") : "";
  problems.push(...trivyIgnoreIssues(ignoreText));
  const work = await mkdtemp(join(tmpdir(), "bitactor-scan-"));
  let trivySeconds = 0;
  try {
    const data = join(work, "data");
    await mkdir(data);
    await writeFile(join(data, "ksv0125.json"), JSON.stringify({ ksv0125: { trusted_registries: trustedRegistries(model.catalog) } }));
    if (ignoreText) await writeFile(join(work, "trivyignore.yaml"), ignoreText);
    // Two scans: ResourceQuotas and LimitRanges apart from the rest (checks/scan.ts SCAN_APART_KINDS).
    const { apart, rest } = scanGroups(files);
    for (const [name, group] of [["tree", rest], ["apart", apart]] as const) {
      if (!group.length) continue;
      const tree = join(work, name);
      for (const f of group) {
        await mkdir(dirname(join(tree, f.path)), { recursive: true });
        await writeFile(join(tree, f.path), f.text);
      }
      const t0 = Date.now();
      const r = run(trivy(), [
        "config", "--skip-check-update", "--skip-version-check", "--disable-telemetry", "--quiet",
        "--format", "json", "--output", join(work, `${name}.json`), "--config-data", data,
        ...(ignoreText ? ["--ignorefile", join(work, "trivyignore.yaml")] : []), tree,
      ], work);
      trivySeconds += (Date.now() - t0) / 1000;
      if (r.status !== 0) throw new Error(`trivy config failed (exit ${r.status}):\n${r.stderr.trim()}`);
      findings.push(...trivyFindings(JSON.parse(await readFile(join(work, `${name}.json`), "utf8")), files));
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }

  // Semgrep: the rules' tests, then the rules over our sources.
  const sg = semgrep();
  const sgFlags = ["--metrics=off", "--disable-version-check"];
  const t1 = Date.now();
  const tests = run(sg, ["--test", ...sgFlags, join(REPO, ".semgrep")], REPO);
  if (tests.status !== 0) problems.push(`semgrep --test .semgrep/: the rules fail their own examples:\n${(tests.stdout + tests.stderr).trim()}`);
  const dirs = SOURCES.filter((d) => existsSync(join(root, d)));
  // Two passes: the rules for all our code, and the purity rules over generators/ only (scripts/ may do I/O).
  const scanned = new Set<string>();
  for (const [rules, targets] of [["bitactor.yaml", dirs], ["generators.yaml", dirs.filter((d) => d === "generators")]] as const) {
    if (!targets.length) continue;
    const scan = run(sg, ["scan", ...sgFlags, "--quiet", "--json", "--config", join(REPO, ".semgrep", rules), ...targets], root);
    const report = JSON.parse(scan.stdout || "{}") as { errors?: { message?: string }[]; paths?: { scanned?: string[] } };
    if (scan.status !== 0 && scan.status !== 1) problems.push(`semgrep scan --config .semgrep/${rules} failed (exit ${scan.status}): ${scan.stderr.trim() || JSON.stringify(report.errors ?? []).slice(0, 500)}`);
    for (const p of report.paths?.scanned ?? []) scanned.add(p);
    findings.push(...semgrepFindings(report));
  }
  const semgrepSeconds = (Date.now() - t1) / 1000;
  for (const d of dirs) for (const f of await sourceFiles(root, d)) problems.push(...nosemgrepIssues(f, await readFile(join(root, f), "utf8")));

  const v = toolVersions();
  for (const f of findings) console.log(formatFinding(f));
  for (const p of problems) console.log(p);
  console.log(
    `npm run scan: trivy ${v.trivy.version} over ${rendered.size} rendered files (${files.length - rendered.size} Rollout pod templates) in ${trivySeconds.toFixed(1)} s, ` +
      `semgrep ${v.semgrep.version} over ${scanned.size} files of ${dirs.join("/, ")}/ in ${semgrepSeconds.toFixed(1)} s: ` +
      `${findings.length} unreviewed finding${findings.length === 1 ? "" : "s"}, ${problems.length} other problem${problems.length === 1 ? "" : "s"} (${((Date.now() - started) / 1000).toFixed(0)} s)`,
  );
  return findings.length || problems.length ? 1 : 0;
});
