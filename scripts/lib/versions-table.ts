import { toolVersions, type Pinned, type ToolVersions } from "../../harness/tools.ts";

/**
 * The Versions tables of docs/versions.md, made from tools/versions.json so the two cannot
 * disagree: test/versions.test.ts fails when the doc does not hold exactly these lines, and
 * `npm run versions` prints them to paste after a version move.
 */

/** What each top-level entry of tools/versions.json is, in the docs' words. */
const PROGRAMS: readonly [keyof ToolVersions, string][] = [
  ["kubernetes", "Kubernetes: kube-apiserver, kube-scheduler, kube-controller-manager"],
  ["etcd", "etcd"],
  ["prometheus", "Prometheus and promtool"],
  ["kubeconform", "kubeconform"],
  ["kwok", "kwok"],
  ["kubeseal", "kubeseal"],
  ["otelcol", "OpenTelemetry Collector (tools/otelcol)"],
  ["goToolchain", "Go toolchain (GOTOOLCHAIN)"],
];

/** Table cells may not hold a pipe or a line break. */
const cell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");

const row = (name: string, p: Pinned): string => `| ${cell(name)} | ${cell(p.version)} | ${cell(p.why)} | ${cell(p.support)} |`;

export function versionsTable(v: ToolVersions = toolVersions()): string {
  const lines = [
    "| component | version | why this one | support window (source) |",
    "|---|---|---|---|",
    ...PROGRAMS.map(([key, name]) => row(name, v[key] as Pinned)),
    ...v.crdSources.map((s) => row(`${s.name} (CRDs${s.name === "Argo Rollouts" ? "; the e2e's controller and tools/argo-eval" : ""})`, s)),
  ];
  return lines.join("\n");
}

export function modelsTable(v: ToolVersions = toolVersions()): string {
  const lines = ["| npm package | version | generated from |", "|---|---|---|"];
  for (const [pkg, m] of Object.entries(v.models)) {
    if (typeof m === "string") continue; // the section's $comment
    lines.push(`| \`${pkg}\` | ${m.version} | ${cell(m.generatedFrom)} |`);
  }
  return lines.join("\n");
}
