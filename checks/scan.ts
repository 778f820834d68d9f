import { parse } from "yaml";
import type { Catalog } from "../generators/inputs/types.ts";
import type { KubeObject } from "../lib/objects.ts";
import { isRollout, rolloutAsDeployment } from "../lib/rollout-view.ts";

/**
 * The pure parts of `npm run scan` (scripts/scan.ts runs the programs): what Trivy is shown, how its
 * and Semgrep's findings are read back, and the rules for ignores. Each ignore must carry the check
 * id and a reason; an ignore without one is itself a finding.
 */

/** A rendered file as Trivy sees it. */
export interface ScanFile {
  /** Where it goes in the scan folder. */
  readonly path: string;
  readonly text: string;
  /** The rendered file a finding in it belongs to. */
  readonly source: string;
  /** Its object's kind (read once, here), for scanGroups. */
  readonly kind?: string;
}

const ROLLOUT_VIEW = ".rollout-pod-template.yaml";

/**
 * The rendered files, plus for every Argo Rollout a Deployment with the same metadata and pod
 * template (lib/rollout-view.ts): Trivy's Kubernetes checks select Pods, Deployments, Jobs and the like by kind
 * (trivy-checks checks/kubernetes/*.rego, `input.selector`) and know nothing of Rollouts, so
 * without this view the engine's own pods (capabilities, hugepages, host settings) would never be
 * checked. A finding in a view is reported against the Rollout's file.
 */
export function scanFiles(rendered: ReadonlyMap<string, string>): ScanFile[] {
  const out: ScanFile[] = [];
  for (const [path, text] of rendered) {
    const o = parse(text) as KubeObject | null;
    out.push({ path, text, source: path, ...(o?.kind ? { kind: o.kind } : {}) });
    if (o && isRollout(o)) {
      const view = rolloutAsDeployment(o);
      out.push({ path: `${path}${ROLLOUT_VIEW}`, text: JSON.stringify(view, null, 2), source: path, kind: view.kind });
    }
  }
  return out;
}

/**
 * Kinds Trivy must scan apart from everything else. Its checks scoped to one kind by an input
 * selector (trivy-checks: KSV-0040 to ResourceQuota, KSV-0039 to LimitRange) are applied to every
 * file of a scan once any file of that kind is in it (trivy pkg/iac/rego/scanner.go,
 * isPolicyApplicable matches the selector against all inputs), and these two read `spec.hard` /
 * `spec.limits` of whatever they are given: one ResourceQuota in the tree would make every
 * NetworkPolicy a "resource quota usage" finding. Scanned on their own, they meet only their kind.
 */
export const SCAN_APART_KINDS = ["ResourceQuota", "LimitRange"] as const;

/** Splits the files to scan: those of SCAN_APART_KINDS, and the rest. */
export function scanGroups(files: readonly ScanFile[]): { readonly apart: ScanFile[]; readonly rest: ScanFile[] } {
  const apart = files.filter((f) => (SCAN_APART_KINDS as readonly string[]).includes(f.kind ?? ""));
  return { apart, rest: files.filter((f) => !apart.includes(f)) };
}

/**
 * Trivy's data for KSV-0125 (images only from trusted registries): the registries of every image the
 * catalog pins, so an image from anywhere else in a rendered object is a finding
 * (trivy-checks checks/kubernetes/uses_untrusted_registry.rego reads data.ksv0125.trusted_registries).
 */
export function trustedRegistries(catalog: Catalog): string[] {
  const images = [
    ...Object.values(catalog.components).map((c) => c.image),
    catalog.loadGenerator.image,
    catalog.tracing.collector.image,
    catalog.benchmark.image,
  ];
  return [...new Set(images.map((i) => i.split("/")[0]!))].sort();
}

export interface Finding {
  readonly scanner: "trivy" | "semgrep";
  readonly id: string;
  readonly severity: string;
  /** The repository file (a rendered file for Trivy, a source file for Semgrep). */
  readonly file: string;
  readonly line?: number;
  readonly title: string;
  /** What the finding is about: the object (Trivy) or the matched code (Semgrep). */
  readonly detail: string;
}

interface TrivyJson {
  readonly Results?: readonly {
    readonly Target: string;
    readonly Misconfigurations?: readonly {
      readonly ID: string;
      readonly AVDID?: string;
      readonly Severity: string;
      readonly Title: string;
      readonly Message: string;
      readonly Status?: string;
      readonly CauseMetadata?: { readonly StartLine?: number };
    }[];
  }[];
}

/** Trivy's JSON report (`--format json`) as findings against the repository's files. */
export function trivyFindings(report: unknown, files: readonly ScanFile[]): Finding[] {
  const source = new Map(files.map((f) => [f.path, f] as const));
  return ((report as TrivyJson).Results ?? []).flatMap((r) =>
    (r.Misconfigurations ?? [])
      .filter((m) => m.Status === undefined || m.Status === "FAIL")
      .map((m) => {
        const f = source.get(r.Target);
        const view = f && f.path !== f.source;
        return {
          scanner: "trivy" as const,
          id: m.ID,
          severity: m.Severity,
          file: f?.source ?? r.Target,
          ...(view ? {} : m.CauseMetadata?.StartLine ? { line: m.CauseMetadata.StartLine } : {}),
          title: m.Title,
          detail: `${view ? "its pod template: " : ""}${m.Message}`,
        };
      }),
  );
}

interface SemgrepJson {
  readonly results?: readonly { readonly check_id: string; readonly path: string; readonly start: { readonly line: number }; readonly extra: { readonly severity: string; readonly message: string; readonly lines?: string } }[];
  readonly errors?: readonly { readonly message?: string; readonly type?: unknown }[];
}

/** Semgrep's JSON report as findings. Our rules' ids are bare; Semgrep prefixes them with the rules file's folder. */
export function semgrepFindings(report: unknown): Finding[] {
  return ((report as SemgrepJson).results ?? []).map((r) => ({
    scanner: "semgrep" as const,
    id: r.check_id.split(".").pop()!,
    severity: r.extra.severity,
    file: r.path,
    line: r.start.line,
    title: r.extra.message.split(/(?<=\.)\s/)[0]!,
    detail: (r.extra.lines ?? "").trim(),
  }));
}

export const formatFinding = (f: Finding): string => `${f.file}${f.line ? `:${f.line}` : ""}: ${f.scanner} ${f.id} (${f.severity}): ${f.title}${f.detail ? `\n    ${f.detail}` : ""}`;

/** One reviewed exception of .trivyignore.yaml (Trivy's YAML ignore file: id, paths, statement). */
export interface TrivyIgnore {
  readonly id: string;
  readonly paths?: readonly string[];
  readonly statement?: string;
}

/**
 * Problems of .trivyignore.yaml: every entry names one check id, the rendered files it covers and
 * the reason (`statement`, at least 30 characters: a reviewer must be able to judge it).
 */
export function trivyIgnoreIssues(text: string): string[] {
  const doc = (parse(text) ?? {}) as { misconfigurations?: unknown };
  const extra = Object.keys(doc).filter((k) => k !== "misconfigurations");
  const issues = extra.map((k) => `.trivyignore.yaml: /${k}: only misconfigurations are ignored here (configuration scanning)`);
  const list = doc.misconfigurations;
  if (list === undefined) return issues;
  if (!Array.isArray(list)) return [...issues, ".trivyignore.yaml: /misconfigurations: must be a list"];
  list.forEach((e: Partial<TrivyIgnore> & Record<string, unknown>, i) => {
    const at = `.trivyignore.yaml: /misconfigurations/${i}`;
    if (typeof e?.id !== "string" || !/^(AVD-)?[A-Z]+-?\d+$/.test(e.id)) issues.push(`${at}/id: a Trivy check id (KSV-0125) is required`);
    if (!Array.isArray(e?.paths) || e.paths.length === 0) issues.push(`${at}/paths: name the rendered files the exception covers (globs allowed); an exception for everything hides the next finding`);
    if (typeof e?.statement !== "string" || e.statement.trim().length < 30) issues.push(`${at}/statement: say why this finding is accepted (at least 30 characters)`);
    for (const k of Object.keys(e ?? {})) if (!["id", "paths", "statement"].includes(k)) issues.push(`${at}/${k}: unknown field (allowed: id, paths, statement)`);
  });
  return issues;
}

/**
 * Problems of Semgrep's ignore comments in our sources: each must name the rule it silences and say
 * why, after the comment marker: `nosemgrep: <rule-id> -- <reason>` (a bare one would silence every rule on the line).
 */
export function nosemgrepIssues(file: string, text: string): string[] {
  return text.split("\n").flatMap((line, i) => {
    const m = /(?:\/\/|#)\s*nosemgrep(.*)$/.exec(line);
    if (!m) return [];
    return /^:\s*[\w.-]+\s+--\s+\S.{9,}/.test(m[1]!) ? [] : [`${file}:${i + 1}: a Semgrep ignore must name the rule and the reason: // no${"semgrep"}: <rule-id> -- <why this is safe>`];
  });
}
