import { Construct } from "constructs";
import { PodMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor";
import type { AddonCatalog } from "../inputs/addons.ts";
import type { Catalog, EnvironmentSettings, RegionSettings } from "../inputs/types.ts";
import { addonPresent } from "../inputs/addon-semantics.ts";
import { emit } from "../argo.ts";
import { stageId, stagePrometheusNames } from "../naming.ts";
import { operatorNames } from "./operator-access.ts";
import { podReader } from "./stage-prometheus.ts";

export interface AddonScrapesProps {
  readonly addons: AddonCatalog;
  readonly catalog: Catalog;
  readonly environment: EnvironmentSettings;
  readonly region: RegionSettings;
  /** Labels of everything emitted; they carry `app.kubernetes.io/part-of: bitactor`, which the stage Prometheus selects. */
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * The stage's Prometheus scrapes the add-ons whose metrics our rules read (engine/addons.yaml
 * `scrape`): the Pushgateway, whose drill results the `dr-drill` rules judge. Per such add-on the
 * stage runs:
 * - a PodMonitor `addon-<id>` in the stage's namespace, the only place the stage Prometheus takes
 *   PodMonitors from (stage-prometheus.ts), whose `namespaceSelector` points at the add-on's
 *   namespace (prometheus-operator honours it unless the Prometheus sets `ignoreNamespaceSelectors`,
 *   Documentation/api-reference: PodMonitorSpec); `honorLabels` where the add-on says so, so the
 *   `namespace` a drill pushed survives the scrape;
 * - podReader `<stage>-prometheus-<namespace>` there: the stage Prometheus' account may list the pods of the add-on's namespace,
 *   which its pod discovery needs (one Role per namespace, however many add-ons share it).
 * An add-on whose `when` leaves the stage out is not scraped; one set `enabled: false` still is: the
 * site runs it its own way (addonPresent), and its pods, if they carry the labels, are read the same.
 */
export class AddonScrapes extends Construct {
  constructor(scope: Construct, id: string, props: AddonScrapesProps) {
    super(scope, id);
    const stage = stageId(props.environment.environment, props.region.region);
    const labels = { ...props.labels };
    const scraped = Object.keys(props.addons.addons).sort()
      .filter((addonId) => props.addons.addons[addonId]!.scrape && addonPresent(props.addons.addons[addonId]!, props.environment.environment, props.region, props.catalog));
    for (const addonId of scraped) {
      const spec = props.addons.addons[addonId]!;
      const scrape = spec.scrape!;
      emit(this, `monitor-${addonId}`, new PodMonitor({
        metadata: { name: `addon-${addonId}`, namespace: stage, labels },
        spec: {
          namespaceSelector: { matchNames: [spec.namespace] },
          selector: { matchLabels: { ...scrape.pods } },
          podMetricsEndpoints: [{ port: scrape.port, path: scrape.path ?? "/metrics", honorLabels: scrape.honorLabels ?? false }],
        },
      }));
    }
    // The stage's namespace and its operator's have their podReader already (stage-prometheus.ts, operator-monitoring.ts).
    const readable = new Set([stage, operatorNames.namespace(stage)]);
    for (const namespace of [...new Set(scraped.map((addonId) => props.addons.addons[addonId]!.namespace))].filter((n) => !readable.has(n)).sort()) {
      // Named after the namespace too: one folder holds them all, and its files are named by kind and name.
      const reader = podReader(stage, namespace, props.environment.monitoring.namespace, labels, `${stagePrometheusNames(stage).account}-${namespace}`);
      emit(this, `role-${namespace}`, { toJSON: () => reader.role });
      emit(this, `binding-${namespace}`, { toJSON: () => reader.binding });
    }
  }
}
