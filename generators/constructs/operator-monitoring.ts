import { Construct } from "constructs";
import { PodMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import type { EnvironmentSettings, RegionSettings } from "../inputs/types.ts";
import { emit } from "../argo.ts";
import { stageId } from "../naming.ts";
import { durationText } from "../slo-promql.ts";
import { operatorNames } from "./operator-access.ts";
import { podReader } from "./stage-prometheus.ts";
import { METRIC } from "../../operator/src/metrics.ts";
import type { ConditionType } from "../../operator/src/model.ts";

/** Alert names, for tests and runbooks. */
export const OPERATOR_ALERTS = {
  notTrading: "BitActorRegionNotTrading",
  noLeader: "BitActorOperatorNoLeader",
} as const;

/**
 * How long no replica may hold the Lease before it pages: the operator's own promise is a handover
 * within 15 s of the leader's death (its Lease duration, operator/src/lease.ts), so a minute without
 * a leader is no handover but an outage of the operator.
 */
const NO_LEADER_FOR_SECONDS = 60;

/** Evaluated as often as the component alerts (component-rules.ts FAST): the verdict is a few series. */
const INTERVAL = "15s";

/** The condition the alert judges, type-checked against the operator's own. */
const TRADING_READY: ConditionType = "TradingReady";

export interface OperatorMonitoringProps {
  readonly environment: EnvironmentSettings;
  readonly region: RegionSettings;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * The operator's monitoring in its namespace `<stage>-operator`, which the stage's Prometheus selects
 * next to the stage namespace (stage-prometheus.ts):
 * - a PodMonitor that scrapes every replica's /metrics (operator/src/metrics.ts) on the port its pods
 *   name `metrics`: both replicas, so the standby's `bitactor_operator_leader 0` is seen too;
 * - a PrometheusRule: `BitActorRegionNotTrading` when the leader has reported TradingReady other than
 *   True for the environment's order-flow grace (`operator.orderFlowCloseGraceSeconds`: the moment the
 *   operator closes the order flow), with the environment's `operator.notTradingSeverity`; and
 *   `BitActorOperatorNoLeader` when replicas run but none has held the Lease for a minute, or, where
 *   the region runs the operator, none is scraped (then nothing judges the region, and its order
 *   flow stays as it was);
 * - the stage Prometheus' podReader Role and binding here (stage-prometheus.ts).
 * Only the leader's condition series count: a replica that lost the Lease keeps its last figures.
 */
export class OperatorMonitoring extends Construct {
  constructor(scope: Construct, id: string, props: OperatorMonitoringProps) {
    super(scope, id);
    const stage = stageId(props.environment.environment, props.region.region);
    const namespace = operatorNames.namespace(stage);
    const labels = { ...props.labels };
    const job = `${namespace}/${operatorNames.monitor}`;
    const o = props.environment.operator;
    const grace = durationText(o.orderFlowCloseGraceSeconds);
    emit(this, "monitor", new PodMonitor({
      metadata: { name: operatorNames.monitor, namespace, labels },
      spec: {
        selector: { matchLabels: { ...operatorNames.podLabels } },
        podMetricsEndpoints: [{ port: operatorNames.metricsPort.name, path: "/metrics", interval: INTERVAL, scrapeTimeout: INTERVAL }],
      },
    }));
    const leader = `${METRIC.leader}{job="${job}"}`;
    emit(this, "rules", new PrometheusRule({
      metadata: { name: operatorNames.monitor, namespace, labels },
      spec: {
        groups: [{
          name: "bitactor-operator",
          interval: INTERVAL,
          rules: [
            {
              alert: OPERATOR_ALERTS.notTrading,
              // The leader's TradingReady=True series is 0 while the condition is False or Unknown.
              expr: `${METRIC.condition}{job="${job}", type="${TRADING_READY}", status="True"} == 0\nand on (pod)\n${leader} == 1`,
              for: grace,
              labels: { severity: o.notTradingSeverity, stage },
              annotations: {
                summary: `BitActorCluster {{ $labels.cluster }} is not TradingReady: its order flow is closed`,
                description: `The operator has reported TradingReady other than True for ${grace}, the environment's order-flow grace, so it has closed the region's exchange egress. \`kubectl get bitactorcluster {{ $labels.cluster }}\` names the condition that is not True and why.`,
              },
            },
            {
              alert: OPERATOR_ALERTS.noLeader,
              // Replicas scraped, none leading; and where the region runs the operator (its file pins
              // one), none scraped at all: a crash-looping or unschedulable operator leaves no series,
              // which `max` alone would never see. Not in a region the operator has not reached yet:
              // there the absent series is expected, and would page for an operator nobody runs.
              expr: props.region.operator ? `max(${leader}) < 1\nor\nabsent(${leader})` : `max(${leader}) < 1`,
              for: durationText(NO_LEADER_FOR_SECONDS),
              labels: { severity: o.notTradingSeverity, stage },
              annotations: {
                summary: `No BitActor operator replica leads in ${stage}`,
                description: `For ${durationText(NO_LEADER_FOR_SECONDS)} no replica in ${namespace} has reported holding the Lease ${operatorNames.lease}: nothing judges the region, and its order flow stays as it was.`,
              },
            },
          ],
        }],
      },
    }));
    const reader = podReader(stage, namespace, props.environment.monitoring.namespace, labels);
    emit(this, "prometheus-role", new Role(reader.role));
    emit(this, "prometheus-binding", new RoleBinding(reader.binding));
  }
}
