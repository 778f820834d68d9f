import { Construct } from "constructs";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import type { IRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/Rule";
import type { Catalog, Component, RegionSettings } from "../inputs/types.ts";
import { emit } from "../argo.ts";
import { dashboards, names } from "../naming.ts";
import { ComponentQueries, RECORD, durationText, sloWindows } from "../slo-promql.ts";
import { postPromotionFloorRate } from "../gate-math.ts";

export interface ComponentRulesProps {
  readonly catalog: Catalog;
  readonly componentId: string;
  readonly component: Component;
  readonly region: RegionSettings;
  /** The stage's namespace: every rule reads only this stage's series. */
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** Alert names, for tests and runbooks. */
export const ALERTS = {
  latencyOverBudget: "BitActorLatencyOverBudget",
  activePodsDown: "BitActorActivePodsDown",
  activeMetricsAbsent: "BitActorActiveMetricsAbsent",
  latencyBurn: "BitActorLatencySLOBurnRate",
  availabilityBurn: "BitActorAvailabilitySLOBurnRate",
} as const;

/**
 * Rule-group evaluation intervals. 15 s lets the p99 alert page within seconds of its `for`; the SLO
 * ratios over windows of up to days are re-evaluated each minute, which is how often their value
 * can meaningfully move (the SRE workbook's alerting windows are ≥ 5 min).
 */
const FAST = "15s";
const SLOW = "1m";

/** `0.999` → `0.1 %`. */
const percent = (share: number) => `${Math.round((1 - share) * 1e6) / 1e4} %`;

/**
 * One component's PrometheusRule in one stage: recording rules for its p99, its share under budget,
 * its flow by venue and its SLO error ratios; alerts that page when the active pods' p99 is over
 * budget, when they cannot be scraped, and when an SLO's error budget burns too fast (multiwindow,
 * multi-burn-rate, Google SRE Workbook ch. 5, windows and factors from `catalog.slo`).
 *
 * Alerts judge only the active pods (`catalog.roleLabel` = active): the preview stack under the
 * gate's load is the gate's business, and paging on a release the gate is already rejecting would
 * teach people to ignore the pager.
 */
export class ComponentRules extends Construct {
  constructor(scope: Construct, id: string, props: ComponentRulesProps) {
    super(scope, id);
    const { catalog, component: c, componentId, namespace } = props;
    const q = new ComponentQueries(catalog, componentId, c, namespace);
    const component = { component: componentId };
    const rec = (record: string, expr: string): IRule => ({ record, expr, labels: component });
    const role = catalog.roleLabel;
    const dashboard = dashboards.url(props.region.grafana.url, dashboards.componentUid(componentId), namespace);
    const annotate = (summary: string, description: string) => ({ summary, description, dashboard });

    const latencyWindow = durationText(catalog.alerts.latencyWindowSeconds);
    // The p99 alert judges only with enough traffic for the share to mean something: the
    // post-promotion gate's floor rate (its minimum samples per window / window), times the catalog's share.
    const floorRate = Math.ceil(catalog.alerts.minRateShareOfFloor * postPromotionFloorRate(c));
    const windows = sloWindows(catalog);
    const { latencyObjective, availabilityObjective } = catalog.slo;

    const burnAlerts = (alert: string, sli: string, record: (w: string) => string, objective: number): IRule[] =>
      catalog.slo.burnRateAlerts.map((b) => ({
        alert,
        expr: `${q.recorded(record(b.longWindow))} > (${b.burnRate} * (1 - ${objective}))\nand\n${q.recorded(record(b.shortWindow))} > (${b.burnRate} * (1 - ${objective}))`,
        labels: { severity: b.severity, ...component, long_window: b.longWindow, short_window: b.shortWindow, burn_rate: String(b.burnRate) },
        annotations: annotate(
          `${componentId} ${sli} SLO error budget burning ${b.burnRate}x in ${namespace}`,
          `Over both ${b.longWindow} and ${b.shortWindow}, ${componentId}'s active pods miss the ${sli} SLO (${objective * 100} %, error budget ${percent(objective)} per ${catalog.slo.periodDays} days) at ${b.burnRate}x the sustainable rate or more: {{ $value | humanizePercentage }} over ${b.longWindow}.`,
        ),
      }));

    emit(this, "rules", new PrometheusRule({
      metadata: { name: names.monitor(componentId), labels: { ...props.labels } },
      spec: {
        groups: [
          {
            name: `${componentId}.latency`,
            interval: FAST,
            rules: [
              rec(RECORD.bucketNs, q.bucketsNs()),
              rec(RECORD.p99Ns, q.p99Ns()),
              rec(RECORD.withinBudget(latencyWindow), q.withinBudget(latencyWindow)),
              rec(RECORD.observations(latencyWindow), q.observations(latencyWindow)),
              rec(RECORD.events, q.events()),
              rec(RECORD.errors, q.errors()),
            ],
          },
          {
            name: `${componentId}.slo`,
            interval: SLOW,
            rules: windows.flatMap((w) => [
              rec(RECORD.latencySloErrors(w), q.latencySloErrors(w)),
              rec(RECORD.availabilitySloErrors(w), q.availabilitySloErrors(w)),
            ]),
          },
          {
            name: `${componentId}.alerts`,
            interval: FAST,
            rules: [
              {
                alert: ALERTS.latencyOverBudget,
                // Exact, like the gate: the share in the bucket le = budget, not an interpolated quantile.
                expr: `${q.recorded(RECORD.withinBudget(latencyWindow), `${role}="active"`)} < ${catalog.quantile}\nand on (${catalog.namespaceLabel}, ${role})\n${q.recorded(RECORD.observations(latencyWindow), `${role}="active"`)} >= ${floorRate}`,
                for: durationText(catalog.alerts.latencyForSeconds),
                labels: { severity: "page", ...component, budget_ns: String(c.budgetNs) },
                annotations: annotate(
                  `${componentId} p${catalog.quantile * 100} over its ${c.budgetNs} ns budget in ${namespace}`,
                  `Only {{ $value | humanizePercentage }} of ${componentId}'s observations on the active pods were at or under ${c.budgetNs} ns over the last ${latencyWindow} (needs ${catalog.quantile * 100} %), for ${durationText(catalog.alerts.latencyForSeconds)}.`,
                ),
              },
              {
                alert: ALERTS.activePodsDown,
                expr: `up{${q.active}, job="${namespace}/${names.monitor(componentId)}"} == 0`,
                for: durationText(catalog.alerts.scrapeDownForSeconds),
                labels: { severity: "page", ...component },
                annotations: annotate(
                  `${componentId} active pod {{ $labels.pod }} cannot be scraped in ${namespace}`,
                  `Prometheus has failed to scrape {{ $labels.pod }} for ${durationText(catalog.alerts.scrapeDownForSeconds)}; its latency is not being judged by any alert or SLO.`,
                ),
              },
              {
                alert: ALERTS.activeMetricsAbsent,
                // Fail closed: no active series at all (monitor or relabelling broken, pods gone) means nothing is judged.
                expr: `absent(up{${q.active}, job="${namespace}/${names.monitor(componentId)}"})`,
                for: durationText(catalog.alerts.scrapeDownForSeconds),
                labels: { severity: "page", ...component },
                annotations: annotate(
                  `No active ${componentId} pod is scraped in ${namespace}`,
                  `Prometheus has no scrape target for ${componentId}'s active pods (PodMonitor ${names.monitor(componentId)}, label ${role}="active"); latency and SLO alerts cannot fire.`,
                ),
              },
              ...burnAlerts(ALERTS.latencyBurn, "latency", RECORD.latencySloErrors, latencyObjective),
              ...burnAlerts(ALERTS.availabilityBurn, "availability", RECORD.availabilitySloErrors, availabilityObjective),
            ],
          },
        ],
      },
    }));
  }
}
