import { toolVersions, type Pinned, type ToolVersions } from "../../lib/versions.ts";

/**
 * The Versions tables of docs/versions.md, made from tools/versions.json so the two cannot
 * disagree: test/versions.test.ts fails when the doc does not hold exactly these lines, and
 * `npm run versions` prints them to paste after a version move.
 */

/**
 * Every pinned program of tools/versions.json, in the file's order: each top-level entry except
 * crdSources, addons and models. One without a name, why or support is an error, so a new entry can never
 * be left out of the table.
 */
export function pinnedPrograms(v: ToolVersions): Pinned[] {
  return Object.entries(v).flatMap(([key, value]) => {
    if (key === "crdSources" || key === "addons" || key === "models" || typeof value !== "object") return [];
    const missing = ["name", "version", "why", "support"].filter((f) => typeof (value as Record<string, unknown>)[f] !== "string");
    if (missing.length) throw new Error(`tools/versions.json: ${key} has no ${missing.join(", ")}`);
    return [value as Pinned];
  });
}

/** The platform's add-ons (tools/versions.json addons), in the file's order. */
export function pinnedAddons(v: ToolVersions): Pinned[] {
  return Object.entries(v.addons).flatMap(([id, value]) => (typeof value === "string" ? [] : [{ ...value, name: `${value.name} (add-on ${id}${value.appVersion ? `; the chart runs ${value.appVersion}` : ""})` }]));
}

/** Table cells may not hold a pipe or a line break. */
const cell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");

const row = (p: Pinned): string => `| ${cell(p.name)} | ${cell(p.version)} | ${cell(p.why)} | ${cell(p.support)} |`;

export function versionsTable(v: ToolVersions = toolVersions()): string {
  const lines = [
    "| component | version | why this one | support window (source) |",
    "|---|---|---|---|",
    ...[...pinnedPrograms(v), ...v.crdSources, ...pinnedAddons(v)].map(row),
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
