import type { StrictIssue } from "./strict.ts";

/**
 * Structural checks of a Grafana dashboard ConfigMap, run on every render (a ConfigMap's `data` is
 * free text to Kubernetes, so no schema sees the JSON inside): one dashboard per ConfigMap under
 * `<uid>.json`, a valid uid, unique panel ids, every panel with a unit and at least one query,
 * panels inside the 24-column grid without overlapping, and no query using a variable the
 * dashboard does not define. Whether each query parses and returns data is for Prometheus to say
 * (test/observability.test.ts runs them).
 */

/** The label Grafana's dashboard sidecar selects ConfigMaps by. */
export const SIDECAR_LABEL = "grafana_dashboard";

/** Panel types the generators emit. */
const PANEL_TYPES = new Set(["timeseries", "heatmap", "stat", "bargauge"]);
/** Grafana's global variables a query may use without defining them. */
const BUILTIN_VARIABLES = new Set(["__rate_interval", "__interval", "__range", "__range_s"]);
// Grafana uids: at most 40 characters of letters, digits, - and _ (pkg/util/shortid_generator.go).
const UID = /^[a-zA-Z0-9_-]{1,40}$/;

type Json = Record<string, unknown>;
const isObject = (x: unknown): x is Json => typeof x === "object" && x !== null && !Array.isArray(x);

/** Issues of a ConfigMap that carries the sidecar label. */
export function dashboardConfigMapIssues(object: { metadata: object }): StrictIssue[] {
  const obj = object as { metadata: { labels?: Record<string, string> }; data?: Record<string, string> };
  if (obj.metadata.labels?.[SIDECAR_LABEL] === undefined) return [];
  const keys = Object.keys(obj.data ?? {});
  if (keys.length !== 1) return [{ path: "/data", message: `a dashboard ConfigMap holds exactly one dashboard, found ${keys.length} keys` }];
  const key = keys[0]!;
  const at = `/data/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`;
  let json: unknown;
  try {
    json = JSON.parse(obj.data![key]!);
  } catch (e) {
    return [{ path: at, message: `not JSON: ${(e as Error).message}` }];
  }
  const issues = dashboardIssues(json).map((i) => ({ path: at + i.path, message: i.message }));
  if (isObject(json) && key !== `${String(json.uid)}.json`) issues.push({ path: at, message: `key must be the dashboard's uid + ".json" ("${String(json.uid)}.json")` });
  return issues;
}

/** Issues of one dashboard's JSON model. */
export function dashboardIssues(d: unknown): StrictIssue[] {
  if (!isObject(d)) return [{ path: "", message: "a dashboard is a JSON object" }];
  const issues: StrictIssue[] = [];
  if (typeof d.uid !== "string" || !UID.test(d.uid)) issues.push({ path: "/uid", message: "uid must be 1-40 letters, digits, - or _" });
  if (typeof d.title !== "string" || d.title === "") issues.push({ path: "/title", message: "title is required" });
  const defined = new Set<string>(BUILTIN_VARIABLES);
  const vars = isObject(d.templating) && Array.isArray(d.templating.list) ? d.templating.list : [];
  vars.forEach((v: unknown) => isObject(v) && typeof v.name === "string" && defined.add(v.name));
  const panels = Array.isArray(d.panels) ? d.panels : [];
  if (panels.length === 0) issues.push({ path: "/panels", message: "a dashboard needs panels" });
  const ids = new Map<unknown, number>();
  const boxes: { i: number; x: number; y: number; w: number; h: number }[] = [];
  panels.forEach((p: unknown, i: number) => {
    const at = `/panels/${i}`;
    if (!isObject(p)) {
      issues.push({ path: at, message: "a panel is an object" });
      return;
    }
    if (!Number.isInteger(p.id) || (p.id as number) < 1) issues.push({ path: `${at}/id`, message: "id must be a positive integer" });
    else if (ids.has(p.id)) issues.push({ path: `${at}/id`, message: `id ${String(p.id)} is also panel ${ids.get(p.id)}'s; ids must be unique` });
    else ids.set(p.id, i);
    if (typeof p.type !== "string" || !PANEL_TYPES.has(p.type)) issues.push({ path: `${at}/type`, message: `type must be one of ${[...PANEL_TYPES].join(", ")}` });
    if (typeof p.title !== "string" || p.title === "") issues.push({ path: `${at}/title`, message: "title is required" });
    const unit = isObject(p.fieldConfig) && isObject(p.fieldConfig.defaults) ? p.fieldConfig.defaults.unit : undefined;
    if (typeof unit !== "string" || unit === "" || unit === "none") issues.push({ path: `${at}/fieldConfig/defaults/unit`, message: "every panel needs a unit (ns, percentunit, ops, currencyUSD ...)" });
    const targets = Array.isArray(p.targets) ? p.targets : [];
    if (targets.length === 0) issues.push({ path: `${at}/targets`, message: "every panel needs at least one query" });
    const refIds = new Set<unknown>();
    targets.forEach((t: unknown, j: number) => {
      const tat = `${at}/targets/${j}`;
      if (!isObject(t) || typeof t.expr !== "string" || t.expr.trim() === "") {
        issues.push({ path: `${tat}/expr`, message: "a query needs a PromQL expression" });
        return;
      }
      if (refIds.has(t.refId)) issues.push({ path: `${tat}/refId`, message: `refId ${String(t.refId)} is used twice in this panel` });
      refIds.add(t.refId);
      for (const m of t.expr.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)) {
        if (!defined.has(m[1]!)) issues.push({ path: `${tat}/expr`, message: `uses $${m[1]}, which the dashboard does not define (variables: ${[...defined].filter((v) => !BUILTIN_VARIABLES.has(v)).join(", ")})` });
      }
    });
    const g = isObject(p.gridPos) ? p.gridPos : {};
    const [x, y, w, h] = [g.x, g.y, g.w, g.h].map(Number) as [number, number, number, number];
    if (![x, y, w, h].every(Number.isInteger) || x < 0 || y < 0 || w < 1 || h < 1 || x + w > 24) {
      issues.push({ path: `${at}/gridPos`, message: "gridPos must lie within Grafana's 24 columns" });
    } else {
      const overlap = boxes.find((b) => x < b.x + b.w && b.x < x + w && y < b.y + b.h && b.y < y + h);
      if (overlap) issues.push({ path: `${at}/gridPos`, message: `overlaps panel ${overlap.i}` });
      boxes.push({ i, x, y, w, h });
    }
  });
  return issues;
}
