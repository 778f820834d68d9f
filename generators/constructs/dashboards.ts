import { Construct } from "constructs";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { Catalog, Component } from "../inputs/types.ts";
import { emit } from "../argo.ts";
import { dashboards, names } from "../naming.ts";
import { dashboardJson, type DashboardSpec, type PanelSpec } from "../grafana.ts";
import { ComponentQueries, RECORD, durationText, sloWindows } from "../slo-promql.ts";
import { SIDECAR_LABEL } from "../validate/dashboards.ts";
import { DRILL_ALERTS, DRILL_METRICS, DRILL_STALE_DAYS } from "./dr-drill.ts";

/**
 * Label (and value) Grafana's dashboard sidecar looks for on ConfigMaps: the Grafana Helm chart's
 * `sidecar.dashboards.label` / `labelValue` defaults, which kube-prometheus-stack keeps.
 */
export const DASHBOARD_LABEL = { [SIDECAR_LABEL]: "1" } as const;

export interface DashboardProps {
  readonly catalog: Catalog;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface ComponentDashboardProps extends DashboardProps {
  readonly componentId: string;
  readonly component: Component;
}

/** The dashboard of one component: what an operator watching a release needs on one screen. */
export function componentDashboard(props: ComponentDashboardProps): DashboardSpec {
  const { catalog, componentId, component: c } = props;
  const active = `${catalog.roleLabel}="active"`;
  // The rules' own selectors, on the stage the dashboard's variable picks.
  const q = new ComponentQueries(catalog, componentId, c, "$namespace");
  const r = (name: string, extra = "") => q.recorded(name, extra);
  const { latencyObjective, availabilityObjective, periodDays } = catalog.slo;
  const windows = sloWindows(catalog);
  const latencyWindow = durationText(catalog.alerts.latencyWindowSeconds);
  // Error budget left over the SLO period: the average of the shortest window's error ratios (5 m in
  // the catalog) over the period, as Sloth computes its 30-day ratio, against the budget 1 − objective.
  const budgetLeft = (record: (w: string) => string, objective: number) =>
    `1 - (sum_over_time(${r(record(windows[0]!))}[${periodDays}d]) / count_over_time(${r(record(windows[0]!))}[${periodDays}d])) / (1 - ${objective})`;
  const panels: PanelSpec[] = [
    {
      title: `Latency heatmap (ns)`,
      description: `Observations per second in each bucket of ${c.metric.name}, all pods of the stage, bounds in nanoseconds (every client spelling of le merged).`,
      type: "heatmap",
      unit: "ops",
      width: 24,
      queries: [{ expr: `sum by (le) (${r(RECORD.bucketNs)})`, legendFormat: "{{le}}", format: "heatmap" }],
    },
    {
      title: `p${catalog.quantile * 100} by ReplicaSet (ns, budget ${c.budgetNs} ns)`,
      description: "Interpolated quantile per role and rollouts-pod-template-hash: blue and green side by side. The gate and the alerts use the exact share below instead.",
      type: "timeseries",
      unit: "ns",
      width: 12,
      threshold: { value: c.budgetNs, redWhen: "above" },
      queries: [{ expr: r(RECORD.p99Ns), legendFormat: `{{${catalog.roleLabel}}} {{${catalog.podTemplateHashLabel}}}` }],
    },
    {
      title: `Share at or under ${c.budgetNs} ns`,
      description: `Exact share of observations in the bucket le = budget over ${latencyWindow}, per role. Below ${catalog.quantile * 100} % on the active pods pages.`,
      type: "timeseries",
      unit: "percentunit",
      width: 12,
      threshold: { value: catalog.quantile, redWhen: "below" },
      queries: [{ expr: r(RECORD.withinBudget(latencyWindow)), legendFormat: `{{${catalog.roleLabel}}}` }],
    },
    {
      title: `${cap(c.counters.eventUnit)} per second by venue`,
      description: `Events handled by the active pods per venue (${c.counters.events}).`,
      type: "timeseries",
      unit: "ops",
      width: 12,
      queries: [{ expr: `sum by (${catalog.venueLabel}) (${r(RECORD.events, active)})`, legendFormat: `{{${catalog.venueLabel}}}` }],
    },
    {
      title: "Error ratio",
      description: `${c.counters.errors} / ${c.counters.events} on the active pods over 1m.`,
      type: "timeseries",
      unit: "percentunit",
      width: 12,
      threshold: { value: 1 - availabilityObjective, redWhen: "above" },
      queries: [{ expr: `sum(${r(RECORD.errors, active)}) / sum(${r(RECORD.events, active)})`, legendFormat: "errors" }],
    },
    {
      title: `Latency SLO burn rate (objective ${latencyObjective * 100} %)`,
      description: `How many times faster than sustainable the latency error budget burns, per window. Pages: ${catalog.slo.burnRateAlerts.map((b) => `${b.burnRate}× over ${b.longWindow} and ${b.shortWindow}`).join("; ")}.`,
      type: "timeseries",
      unit: "suffix:×",
      width: 12,
      threshold: { value: Math.min(...catalog.slo.burnRateAlerts.map((b) => b.burnRate)), redWhen: "above" },
      queries: windows.map((w) => ({ expr: `${r(RECORD.latencySloErrors(w))} / (1 - ${latencyObjective})`, legendFormat: w })),
    },
    {
      title: `Availability SLO burn rate (objective ${availabilityObjective * 100} %)`,
      description: "How many times faster than sustainable the availability error budget burns, per window.",
      type: "timeseries",
      unit: "suffix:×",
      width: 12,
      threshold: { value: Math.min(...catalog.slo.burnRateAlerts.map((b) => b.burnRate)), redWhen: "above" },
      queries: windows.map((w) => ({ expr: `${r(RECORD.availabilitySloErrors(w))} / (1 - ${availabilityObjective})`, legendFormat: w })),
    },
    {
      title: `Latency error budget left (${periodDays} d)`,
      description: `Share of the ${periodDays}-day latency error budget (${round((1 - latencyObjective) * 100)} % of observations over ${c.budgetNs} ns) not yet spent.`,
      type: "stat",
      unit: "percentunit",
      width: 12,
      threshold: { value: 0, redWhen: "below" },
      queries: [{ expr: budgetLeft(RECORD.latencySloErrors, latencyObjective), legendFormat: "left", instant: true }],
    },
    {
      title: `Availability error budget left (${periodDays} d)`,
      description: `Share of the ${periodDays}-day availability error budget (${round((1 - availabilityObjective) * 100)} % of events) not yet spent.`,
      type: "stat",
      unit: "percentunit",
      width: 12,
      threshold: { value: 0, redWhen: "below" },
      queries: [{ expr: budgetLeft(RECORD.availabilitySloErrors, availabilityObjective), legendFormat: "left", instant: true }],
    },
  ];
  return {
    uid: dashboards.componentUid(componentId),
    title: `BitActor / ${componentId}`,
    description: `${c.description} Latency against the ${c.budgetNs} ns budget, flow by venue and SLOs.`,
    tags: ["bitactor", componentId],
    namespace: props.namespace,
    namespaceLabel: props.catalog.namespaceLabel,
    namespaceSource: `${RECORD.observations(latencyWindow)}{component="${componentId}"}`,
    panels,
  };
}

/**
 * The trading dashboard: flow by venue across components and the business gauges of
 * `catalog.businessMetrics`. Gauges come from the active pods only (a preview under synthetic load
 * must not show positions), and every active replica reports the whole book (replicated state), so
 * replicas are combined with `max`, never summed.
 */
export function tradingDashboard(props: DashboardProps): DashboardSpec {
  const { catalog } = props;
  const b = catalog.businessMetrics;
  const sym = catalog.symbolLabel;
  const stage = `${catalog.namespaceLabel}="$namespace", ${catalog.roleLabel}="active"`;
  const gauge = (name: string) => `max by (${sym}) (${name}{${stage}})`;
  const drill = `${catalog.namespaceLabel}="$namespace"`;
  return {
    uid: dashboards.tradingUid,
    title: "BitActor / trading",
    description: "Order flow by venue, P&L, positions and risk exposure by symbol, and the stage's last restore drill.",
    tags: ["bitactor", "trading"],
    namespace: props.namespace,
    namespaceLabel: props.catalog.namespaceLabel,
    namespaceSource: `${b.pnl}{${catalog.roleLabel}="active"}`,
    panels: [
      {
        title: "Flow per second by component and venue",
        description: "Events handled by the active pods of every component, per venue.",
        type: "timeseries",
        unit: "ops",
        width: 24,
        queries: [{ expr: `sum by (component, ${catalog.venueLabel}) (${RECORD.events}{${stage}})`, legendFormat: `{{component}} {{${catalog.venueLabel}}}` }],
      },
      {
        title: "P&L (USD)",
        description: `${b.pnl}: realised plus unrealised, all symbols.`,
        type: "stat",
        unit: "currencyUSD",
        width: 6,
        threshold: { value: 0, redWhen: "below" },
        queries: [{ expr: `sum(${gauge(b.pnl)})`, legendFormat: "P&L", instant: true }],
      },
      {
        title: "P&L by symbol (USD)",
        description: `${b.pnl} per ${sym}.`,
        type: "timeseries",
        unit: "currencyUSD",
        width: 18,
        queries: [{ expr: gauge(b.pnl), legendFormat: `{{${sym}}}` }],
      },
      {
        title: "Position value by symbol (USD)",
        description: `${b.positionValue}: mark-to-market value of open positions per ${sym}.`,
        type: "timeseries",
        unit: "currencyUSD",
        width: 12,
        queries: [{ expr: gauge(b.positionValue), legendFormat: `{{${sym}}}` }],
      },
      {
        title: "Risk exposure by symbol (USD, top 20)",
        description: `${b.riskExposure}: gross exposure charged against limits per ${sym}.`,
        type: "bargauge",
        unit: "currencyUSD",
        width: 12,
        queries: [{ expr: `topk(20, ${gauge(b.riskExposure)})`, legendFormat: `{{${sym}}}`, instant: true }],
      },
      // The stage's restore drill (constructs/dr-drill.ts), as its last push to the Pushgateway left it.
      {
        title: "DR drill: last result",
        description: "Whether the last monthly restore drill of this stage passed every check (docs/disaster-recovery.md, Drill).",
        type: "stat",
        unit: "bool_yes_no",
        width: 8,
        threshold: { value: 1, redWhen: "below" },
        queries: [{ expr: `max(${DRILL_METRICS.success}{${drill}})`, legendFormat: "passed", instant: true }],
      },
      {
        title: "DR drill: restore time and RTO",
        description: "Seconds the last drill's restore took, and the recovery time objective it is held to.",
        type: "stat",
        unit: "s",
        width: 8,
        queries: [
          { expr: `max(${DRILL_METRICS.restoreSeconds}{${drill}})`, legendFormat: "restore", instant: true },
          { expr: `max(${DRILL_METRICS.rtoSeconds}{${drill}})`, legendFormat: "RTO", instant: true },
        ],
      },
      {
        title: "DR drill: days since the last one",
        description: `Days since the last drill ran; the ${DRILL_ALERTS.notRun} alert fires after ${DRILL_STALE_DAYS}.`,
        type: "stat",
        unit: "d",
        width: 8,
        threshold: { value: DRILL_STALE_DAYS, redWhen: "above" },
        queries: [{ expr: `(time() - max(${DRILL_METRICS.lastRun}{${drill}})) / 86400`, legendFormat: "days", instant: true }],
      },
    ],
  };
}

/** The ConfigMap Grafana's sidecar loads: one dashboard JSON, labelled for the sidecar. */
export class DashboardConfigMap extends Construct {
  constructor(scope: Construct, id: string, props: { readonly name: string; readonly spec: DashboardSpec; readonly labels: Readonly<Record<string, string>> }) {
    super(scope, id);
    emit(this, "configmap", new ConfigMap({
      metadata: { name: props.name, labels: { ...props.labels, ...DASHBOARD_LABEL } },
      data: { [`${props.spec.uid}.json`]: JSON.stringify(dashboardJson(props.spec), null, 2) + "\n" },
    }));
  }
}

/** The component's dashboard, plus the trading dashboard in the folder of the component that exports the business gauges. */
export class ComponentDashboards extends Construct {
  constructor(scope: Construct, id: string, props: ComponentDashboardProps) {
    super(scope, id);
    new DashboardConfigMap(this, "component", { name: names.dashboardConfigMap(props.componentId), spec: componentDashboard(props), labels: props.labels });
    if (props.catalog.businessMetrics.exporter === props.componentId) {
      new DashboardConfigMap(this, "trading", { name: names.tradingDashboardConfigMap, spec: tradingDashboard(props), labels: props.labels });
    }
  }
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
