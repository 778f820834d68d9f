/**
 * Grafana dashboard JSON (the model Grafana stores and its dashboard sidecar loads), built from the
 * catalog. Pure data: the construct in `constructs/dashboards.ts` wraps it in a ConfigMap. Panels
 * read the recorded series of `slo-promql.ts` where one exists, so a dashboard and the alerts show
 * the same number.
 */

/** One query of a panel. `expr` may use `$namespace` (the stage) and Grafana's `$__rate_interval`. */
export interface DashboardQuery {
  readonly expr: string;
  readonly legendFormat: string;
  /** `heatmap` for bucket series (Grafana then reads `le` as the bucket bound). */
  readonly format?: "time_series" | "heatmap" | "table";
  /** Only the newest value (stat and bar-gauge panels). */
  readonly instant?: boolean;
}

export interface PanelSpec {
  readonly title: string;
  readonly description: string;
  readonly type: "timeseries" | "heatmap" | "stat" | "bargauge";
  /** Grafana unit id (`ns`, `percentunit`, `ops`, `currencyUSD`, `suffix:×` ...). */
  readonly unit: string;
  readonly queries: readonly DashboardQuery[];
  /** A red threshold line/colour from this value (a budget, an objective). */
  readonly threshold?: { readonly value: number; readonly redWhen: "above" | "below" };
  /** Width in grid columns (24 = full width). */
  readonly width: 6 | 8 | 12 | 18 | 24;
}

export interface DashboardSpec {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  /** The stage namespace the dashboard opens on; the `namespace` variable offers the others. */
  readonly namespace: string;
  /** The label that carries the stage (catalog `namespaceLabel`). */
  readonly namespaceLabel: string;
  /** A recorded or raw series whose `namespaceLabel` values fill the variable. */
  readonly namespaceSource: string;
  readonly panels: readonly PanelSpec[];
}

const DATASOURCE = { type: "prometheus", uid: "${datasource}" } as const;
const HEIGHT = 8;

function thresholds(t: PanelSpec["threshold"]) {
  if (!t) return { mode: "absolute", steps: [{ color: "green", value: null }] };
  return t.redWhen === "above"
    ? { mode: "absolute", steps: [{ color: "green", value: null }, { color: "red", value: t.value }] }
    : { mode: "absolute", steps: [{ color: "red", value: null }, { color: "green", value: t.value }] };
}

/** Lays the panels out left to right, wrapping at 24 columns; ids are 1, 2, 3 ... in order. */
export function dashboardJson(spec: DashboardSpec): Record<string, unknown> {
  let x = 0;
  let y = 0;
  const panels = spec.panels.map((p, i) => {
    if (x + p.width > 24) {
      x = 0;
      y += HEIGHT;
    }
    const gridPos = { x, y, w: p.width, h: HEIGHT };
    x += p.width;
    return {
      id: i + 1,
      type: p.type,
      title: p.title,
      description: p.description,
      datasource: DATASOURCE,
      gridPos,
      fieldConfig: {
        defaults: {
          unit: p.unit,
          thresholds: thresholds(p.threshold),
          ...(p.type === "timeseries" && p.threshold ? { custom: { thresholdsStyle: { mode: "line" } } } : {}),
        },
        overrides: [],
      },
      options:
        p.type === "heatmap"
          ? // Buckets are pre-computed by Prometheus (calculate: false); the y axis is the bucket bound in ns.
            { calculate: false, yAxis: { unit: "ns" }, cellValues: { unit: p.unit }, color: { mode: "scheme", scheme: "Oranges" } }
          : p.type === "timeseries"
            ? { legend: { displayMode: "table", placement: "bottom", calcs: ["lastNotNull", "max"] }, tooltip: { mode: "multi" } }
            : { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false } },
      targets: p.queries.map((q, j) => ({
        refId: String.fromCharCode(65 + j),
        datasource: DATASOURCE,
        expr: q.expr,
        legendFormat: q.legendFormat,
        format: q.format ?? "time_series",
        ...(q.instant ? { instant: true, range: false } : { range: true }),
      })),
    };
  });
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: [...spec.tags],
    timezone: "utc",
    editable: false,
    graphTooltip: 1,
    refresh: "10s",
    time: { from: "now-1h", to: "now" },
    schemaVersion: 39,
    templating: {
      list: [
        { name: "datasource", label: "Prometheus", type: "datasource", query: "prometheus", current: {}, hide: 0 },
        {
          name: "namespace",
          label: "Stage",
          type: "query",
          datasource: DATASOURCE,
          query: { query: `label_values(${spec.namespaceSource}, ${spec.namespaceLabel})`, refId: "namespace" },
          definition: `label_values(${spec.namespaceSource}, ${spec.namespaceLabel})`,
          current: { text: spec.namespace, value: spec.namespace },
          refresh: 2,
          sort: 1,
          hide: 0,
        },
      ],
    },
    annotations: { list: [] },
    links: [],
    panels,
  };
}
