import { parse, parseAllDocuments, stringify } from "yaml";
import type { KubeObject } from "../lib/objects.ts";
import { analysisJobs, isAnalysis, isRollout, rolloutAsDeployment } from "../lib/rollout-view.ts";

/**
 * The pure parts of `npm run kube-score` (harness/kube-score.ts runs the program): what kube-score
 * is shown, how its JSON report is read back, and the judgement against the reviewed exceptions of
 * tools/kube-score-exceptions.yaml. Every CRITICAL or WARNING finding must be listed there exactly
 * once, with a reason, and every exception must still match a finding, so the list stays honest.
 */

export const EXCEPTIONS_FILE = "tools/kube-score-exceptions.yaml";

/** kube-score's grades (scorecard/scorecard.go): 1 CRITICAL, 5 WARNING, 7 and 10 OK; 0 only on skipped checks. */
const CRITICAL = 1;
const WARNING = 5;

/** One scored object of `kube-score score --output-format json` (its v2 format, renderer/json_v2/api.go). */
export interface KubeScoreObject {
  readonly object_name: string;
  readonly type_meta: { readonly apiVersion?: string; readonly kind?: string };
  readonly object_meta: { readonly name?: string; readonly namespace?: string };
  readonly checks: readonly {
    readonly check: { readonly id: string; readonly name: string; readonly comment: string };
    readonly grade: number;
    readonly skipped: boolean;
    readonly comments: readonly { readonly path: string; readonly summary: string; readonly description: string }[] | null;
  }[] | null;
  /** The file as kube-score was given it (harness/kube-score.ts makes it the rendered path). */
  readonly file_name: string;
  readonly file_row: number;
}

/** What kube-score is shown: the rendered YAML files, each Rollout in them turned into its Deployment, each analysis's job metric beside it as its Job. */
export interface KubeScoreInput {
  /** Rendered path → the text kube-score reads. */
  readonly files: ReadonlyMap<string, string>;
  /** The Rollouts shown as Deployments: their findings are reported against the Rollout. */
  readonly rollouts: readonly { readonly file: string; readonly namespace: string; readonly name: string }[];
  /** The Jobs of the analyses' job metrics (`name` is the Job's): their findings are reported against the analysis. */
  readonly analysisJobs: readonly { readonly file: string; readonly namespace: string; readonly name: string; readonly kind: string; readonly analysis: string; readonly metric: string }[];
}

/**
 * kube-score knows no Argo Rollouts: it would score the Services, NetworkPolicies and
 * PodDisruptionBudgets that select the engine's pods and never the pods themselves (and call those
 * selectors dangling). Each Rollout is shown as the apps/v1 Deployment it stands for instead, and
 * each AnalysisTemplate's or AnalysisRun's job metric, beside it, as the batch/v1 Job it creates
 * (lib/rollout-view.ts): the analysis load pods are scored, and their NetworkPolicy selects pods. A
 * Rollout whose pod template lives elsewhere (workloadRef) would score nothing, so it is refused
 * rather than silently passed.
 */
export function kubeScoreInput(rendered: ReadonlyMap<string, string>): KubeScoreInput {
  const files = new Map<string, string>();
  const rollouts: { file: string; namespace: string; name: string }[] = [];
  const jobs: KubeScoreInput["analysisJobs"][number][] = [];
  for (const [file, text] of rendered) {
    if (!/\.ya?ml$/.test(file)) continue;
    // Only a file that names a Rollout or an analysis is parsed, and rewritten only if it holds one; the rest go as rendered.
    if (!text.includes("Rollout") && !text.includes("Analysis")) {
      files.set(file, text);
      continue;
    }
    const before = rollouts.length + jobs.length;
    const docs = parseAllDocuments(text).flatMap((d) => {
      if (d.errors.length) throw new Error(`${file}: ${d.errors[0]!.message}`);
      const o = d.toJS() as KubeObject | null;
      if (o && isAnalysis(o)) {
        const views = analysisJobs(o);
        for (const v of views) jobs.push({ file, namespace: o.metadata.namespace ?? "", name: v.job.metadata.name ?? "", kind: o.kind, analysis: o.metadata.name ?? "", metric: v.metric });
        return [o, ...views.map((v) => v.job)];
      }
      if (!o || !isRollout(o)) return [o];
      if (!(o.spec as { template?: unknown } | undefined)?.template) throw new Error(`${file}: Rollout ${o.metadata.name} has no pod template (spec.template) for kube-score to score`);
      rollouts.push({ file, namespace: o.metadata.namespace ?? "", name: o.metadata.name ?? "" });
      return [rolloutAsDeployment(o)];
    });
    files.set(file, rollouts.length + jobs.length > before ? docs.filter((o) => o !== null).map((o) => stringify(o)).join("---\n") : text);
  }
  return { files, rollouts, analysisJobs: jobs };
}

export interface KubeScoreFinding {
  /** The rendered file of the object. */
  readonly file: string;
  /** `Kind/namespace/name`, the Rollout's own kind for a Rollout scored as a Deployment; what exceptions match. */
  readonly object: string;
  /** Set when kube-score scored the object as another kind: `Deployment`, or `Job` and the metric it runs. */
  readonly scoredAs?: string;
  readonly check: string;
  readonly checkName: string;
  /** What the check is about, as kube-score describes it. */
  readonly checkComment: string;
  readonly grade: "CRITICAL" | "WARNING";
  /** kube-score's comments: what is wrong (summary), and where (path: the container, when it names one). */
  readonly comments: readonly { readonly path: string; readonly summary: string }[];
}

export const objectId = (kind: string, namespace: string | undefined, name: string | undefined): string => `${kind}/${namespace ?? ""}/${name ?? ""}`;

/** kube-score's report as findings: every check graded CRITICAL or WARNING and not skipped (as kube-score's own exit code counts them). */
export function kubeScoreFindings(report: readonly KubeScoreObject[], views: Pick<KubeScoreInput, "rollouts" | "analysisJobs">): KubeScoreFinding[] {
  const key = (file: string, namespace: string | undefined, name: string | undefined) => `${file}\0${namespace ?? ""}/${name ?? ""}`;
  const asRollout = new Set(views.rollouts.map((r) => key(r.file, r.namespace, r.name)));
  const asJob = new Map(views.analysisJobs.map((j) => [key(j.file, j.namespace, j.name), j]));
  const out: KubeScoreFinding[] = [];
  for (const o of report) {
    const kind = o.type_meta.kind ?? "?";
    const at = key(o.file_name, o.object_meta.namespace, o.object_meta.name);
    const rollout = kind === "Deployment" && asRollout.has(at);
    const job = kind === "Job" ? asJob.get(at) : undefined;
    for (const c of o.checks ?? []) {
      if (c.skipped || c.grade > WARNING) continue;
      out.push({
        file: o.file_name,
        object: job ? objectId(job.kind, job.namespace, job.analysis) : objectId(rollout ? "Rollout" : kind, o.object_meta.namespace, o.object_meta.name),
        ...(rollout ? { scoredAs: "Deployment" } : job ? { scoredAs: `Job of metric ${job.metric}` } : {}),
        check: c.check.id,
        checkName: c.check.name,
        checkComment: c.check.comment,
        grade: c.grade <= CRITICAL ? "CRITICAL" : "WARNING",
        comments: (c.comments ?? []).map((m) => ({ path: m.path, summary: m.summary })),
      });
    }
  }
  return out.sort((a, b) => (a.file === b.file ? (a.check < b.check ? -1 : a.check > b.check ? 1 : 0) : a.file < b.file ? -1 : 1));
}

export const formatFinding = (f: KubeScoreFinding): string =>
  `${f.file}: ${f.object}${f.scoredAs ? ` (scored as a ${f.scoredAs})` : ""}: ${f.check} (${f.grade}): ${f.comments.map((c) => (c.path ? `${c.path}: ${c.summary}` : c.summary)).join("; ") || f.checkComment}`;

/** One reviewed exception: a kube-score check accepted on the objects its globs match, and why. */
export interface KubeScoreException {
  /** Its position in the file's list, to name it. */
  readonly index: number;
  readonly check: string;
  /** `Kind/namespace/name` globs; `*` stands for any run of characters within one part. */
  readonly objects: readonly string[];
  readonly reason: string;
}

/** The exceptions file read, each entry checked: a check id, object globs of three parts and a reason a reviewer can judge. */
export function parseExceptions(text: string): { readonly exceptions: KubeScoreException[]; readonly problems: string[] } {
  const problems: string[] = [];
  let doc: unknown;
  try {
    doc = parse(text) ?? [];
  } catch (e) {
    return { exceptions: [], problems: [`${EXCEPTIONS_FILE}: not YAML: ${(e as Error).message}`] };
  }
  if (!Array.isArray(doc)) return { exceptions: [], problems: [`${EXCEPTIONS_FILE}: must be a list of { check, objects, reason }`] };
  const exceptions: KubeScoreException[] = [];
  doc.forEach((e: Record<string, unknown> | null, index) => {
    const at = `${EXCEPTIONS_FILE}: /${index}`;
    const before = problems.length;
    const objects = typeof e?.objects === "string" ? [e.objects] : e?.objects;
    if (typeof e?.check !== "string" || !/^[a-z0-9][a-z0-9-]*$/.test(e.check)) problems.push(`${at}/check: a kube-score check id (pod-probes-identical) is required`);
    if (!Array.isArray(objects) || objects.length === 0 || !objects.every((g) => typeof g === "string" && g.split("/").length === 3 && g.split("/").every((p) => p.length > 0))) {
      problems.push(`${at}/objects: name the objects as Kind/namespace/name globs (Rollout/production-*/order-engine), one or a list`);
    }
    if (typeof e?.reason !== "string" || e.reason.trim().length < 30) problems.push(`${at}/reason: say why this finding is accepted (at least 30 characters)`);
    for (const k of Object.keys(e ?? {})) if (!["check", "objects", "reason"].includes(k)) problems.push(`${at}/${k}: unknown field (allowed: check, objects, reason)`);
    if (problems.length === before) exceptions.push({ index, check: e!.check as string, objects: objects as string[], reason: e!.reason as string });
  });
  return { exceptions, problems };
}

const globRegExp = (glob: string): RegExp => new RegExp(`^${glob.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[^/]*")}$`);

export interface Judgement {
  readonly reviewed: readonly KubeScoreFinding[];
  readonly unreviewed: readonly KubeScoreFinding[];
  /** Exceptions, or globs of one, that match no finding. */
  readonly stale: readonly string[];
  /** Findings more than one exception lists: which reason holds is unclear. */
  readonly listedTwice: readonly string[];
}

export function judge(findings: readonly KubeScoreFinding[], exceptions: readonly KubeScoreException[]): Judgement {
  const globs = exceptions.flatMap((e) => e.objects.map((glob) => ({ e, glob, re: globRegExp(glob), used: false })));
  const reviewed: KubeScoreFinding[] = [];
  const unreviewed: KubeScoreFinding[] = [];
  const listedTwice: string[] = [];
  for (const f of findings) {
    const hits = globs.filter((g) => g.e.check === f.check && g.re.test(f.object));
    for (const g of hits) g.used = true;
    const by = [...new Set(hits.map((g) => g.e.index))];
    if (by.length === 0) unreviewed.push(f);
    else reviewed.push(f);
    if (by.length > 1) listedTwice.push(`${f.file}: ${f.object}: ${f.check} is listed by ${by.length} exceptions of ${EXCEPTIONS_FILE} (/${by.join(", /")}): keep one`);
  }
  const stale = globs.filter((g) => !g.used).map((g) => `${EXCEPTIONS_FILE}: /${g.e.index}: ${g.e.check} on ${g.glob} matches no finding: stale, remove it`);
  return { reviewed, unreviewed, stale, listedTwice };
}

export interface Counts {
  readonly files: number;
  readonly objects: number;
  readonly rollouts: number;
  readonly analysisJobs: number;
}

export function summaryLine(version: string, counts: Counts, findings: number, j: Judgement): string {
  return (
    `kube-score ${version}: ${counts.files} files, ${counts.objects} objects scored (${counts.rollouts} Rollouts as the Deployments they stand for, ${counts.analysisJobs} analysis job metrics as their Jobs), ` +
    `${findings} finding${findings === 1 ? "" : "s"}: ${j.reviewed.length} reviewed, ${j.unreviewed.length} unreviewed, ${j.stale.length} stale exception${j.stale.length === 1 ? "" : "s"}` +
    (j.listedTwice.length ? `, ${j.listedTwice.length} listed twice` : "")
  );
}

/**
 * Every finding, grouped by check with counts, what kube-score says and the objects: the list to
 * decide from which to fix in the generators and which to accept in the exceptions file.
 */
export function findingsReport(version: string, findings: readonly KubeScoreFinding[], j: Judgement, examples = 5): string {
  const reviewed = new Set(j.reviewed);
  const byCheck = new Map<string, KubeScoreFinding[]>();
  for (const f of findings) byCheck.set(f.check, [...(byCheck.get(f.check) ?? []), f]);
  const tally = (xs: readonly string[]): string => {
    const n = new Map<string, number>();
    for (const x of xs) n.set(x, (n.get(x) ?? 0) + 1);
    return [...n].sort((a, b) => b[1] - a[1]).map(([x, c]) => `${x} (${c})`).join(", ");
  };
  const lines = [
    `kube-score ${version} over the rendered tree: ${findings.length} CRITICAL or WARNING findings in ${byCheck.size} checks, ${j.reviewed.length} of them reviewed.`,
    "Each Argo Rollout is scored as the apps/v1 Deployment it stands for (same metadata, replicas, selector and pod template), each analysis's job metric as the batch/v1 Job it creates.",
    "",
    "check | grade | findings | reviewed",
    ...[...byCheck].sort((a, b) => b[1].length - a[1].length).map(([c, fs]) => `${c} | ${tally(fs.map((f) => f.grade))} | ${fs.length} | ${fs.filter((f) => reviewed.has(f)).length}`),
  ];
  for (const [check, fs] of [...byCheck].sort((a, b) => b[1].length - a[1].length)) {
    lines.push(
      "",
      `## ${check} (${fs[0]!.checkName}): ${fs.length} finding${fs.length === 1 ? "" : "s"}, ${fs.filter((f) => reviewed.has(f)).length} reviewed`,
      `checks: ${fs[0]!.checkComment}`,
      `says: ${tally(fs.flatMap((f) => f.comments.map((c) => c.summary)))}`,
      `kinds: ${tally(fs.map((f) => f.object.split("/")[0]!))}`,
      `examples:`,
      ...fs.slice(0, examples).map((f) => `  ${formatFinding(f)}`),
      `all objects:`,
      ...fs.map((f) => `  ${f.object}${reviewed.has(f) ? " (reviewed)" : ""}  ${f.file}`),
    );
  }
  return lines.join("\n") + "\n";
}
