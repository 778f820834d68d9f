import { createHash } from "node:crypto";
import { RECORD, durationText } from "../../generators/slo-promql.ts";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import type { KubeObject, Located } from "../../lib/objects.ts";
import { parseFiles } from "../../lib/objects.ts";
import { readInputs } from "../../lib/inputs.ts";
import { loadRepository } from "../../generators/inputs/load.ts";
import { paths, stageId } from "../../generators/naming.ts";
import { ZONE_KEY } from "../../generators/nodes/labels.ts";
import type { Component, RegionSettings } from "../../generators/inputs/types.ts";
import type { FakeNode, PodMonitorShape } from "./cluster.ts";

/** The rendered objects of one component in one region, exactly as committed, and what the e2e needs to know about them. */
export interface Release {
  readonly environment: string;
  readonly region: RegionSettings;
  readonly componentName: string;
  readonly component: Component;
  readonly namespace: string;
  /** Every rendered object of the component's folder, in file order. */
  readonly objects: readonly Located[];
  readonly rollout: KubeObject;
  readonly activeService: string;
  readonly previewService: string;
  /** The component's rendered PodMonitor. */
  readonly podMonitor: PodMonitorShape;
  /** The catalog's quantile: "p99 ≤ budget" means at least this share at or under the budget. */
  readonly quantile: number;
  /** The recorded share-under-budget series the p99 alert reads (its window is catalog data). */
  readonly withinBudgetRecord: string;
  /** Series labels the catalog names: the pod-template hash and the active/preview role. */
  readonly seriesLabels: { readonly hash: string; readonly role: string };
  /** The rule groups of the component's rendered PrometheusRule (its alerts judge the run too). */
  readonly ruleGroups: readonly { name: string; rules: { alert?: string; record?: string }[] }[];
}

interface RolloutShape {
  spec: {
    selector: { matchLabels: Record<string, string> };
    replicas: number;
    strategy: { blueGreen: { activeService: string; previewService: string } };
    template: {
      spec: {
        containers: { image: string; resources?: { requests?: Record<string, string> } }[];
        nodeSelector?: Record<string, string>;
        tolerations?: { key?: string; operator?: string; value?: string; effect?: string }[];
      };
    };
  };
}
export const rolloutSpec = (o: KubeObject) => (o as unknown as RolloutShape).spec;

type Requests = { resources?: { requests?: Record<string, string> } };
/** The fields of an Argo Rollouts analysis metric the e2e reads. */
export interface AnalysisMetric {
  name: string;
  provider: {
    prometheus?: Record<string, unknown>;
    job?: { spec: { template: { metadata?: { labels?: Record<string, string> }; spec: { containers: Requests[] } } } };
  };
}

/** Every metric of every AnalysisTemplate among `objects`. */
export function analysisMetrics(objects: readonly Located[]): AnalysisMetric[] {
  return objects.filter((o) => o.object.kind === "AnalysisTemplate").flatMap((o) => (o.object.spec as { metrics: AnalysisMetric[] }).metrics);
}

export async function loadRelease(root: string, environment: string, regionName: string, componentName: string): Promise<Release> {
  const model = loadRepository(await readInputs(root));
  const env = model.environments.find((e) => e.settings.environment === environment);
  const region = env?.regions.find((r) => r.region === regionName);
  const component = model.catalog.components[componentName];
  if (!env || !region || !component) {
    const known = model.environments.flatMap((e) => e.regions.map((r) => `${e.settings.environment}/${r.region}`));
    throw new Error(`no rendered ${environment}/${regionName}/${componentName}: environments are ${known.join(", ")}; components are ${Object.keys(model.catalog.components).join(", ")}`);
  }
  const dir = paths.component(environment, regionName, componentName);
  const files = new Map<string, string>();
  for (const f of (await readdir(join(root, dir))).sort()) files.set(`${dir}/${f}`, await readFile(join(root, dir, f), "utf8"));
  const objects = parseFiles(files);
  const rollout = objects.find((o) => o.object.kind === "Rollout")?.object;
  if (!rollout) throw new Error(`${dir} holds no Rollout: run npm run render`);
  const podMonitor = objects.find((o) => o.object.kind === "PodMonitor")?.object as unknown as PodMonitorShape | undefined;
  if (!podMonitor) throw new Error(`${dir} holds no PodMonitor: run npm run render`);
  const rule = objects.find((o) => o.object.kind === "PrometheusRule")?.object as { spec: { groups: Release["ruleGroups"] } } | undefined;
  if (!rule) throw new Error(`${dir} holds no PrometheusRule: run npm run render`);
  const bg = rolloutSpec(rollout).strategy.blueGreen;
  return {
    environment,
    region,
    componentName,
    component,
    namespace: stageId(environment, regionName),
    objects,
    rollout,
    activeService: bg.activeService,
    previewService: bg.previewService,
    podMonitor,
    ruleGroups: rule.spec.groups,
    seriesLabels: { hash: model.catalog.podTemplateHashLabel, role: model.catalog.roleLabel },
    quantile: model.catalog.quantile,
    withinBudgetRecord: RECORD.withinBudget(durationText(model.catalog.alerts.latencyWindowSeconds)),
  };
}

/**
 * The only change the e2e makes to rendered objects: every Prometheus provider of the analysis
 * templates queries this cluster's Prometheus. The address's cloud credentials (AWS SigV4 for
 * Amazon Managed Prometheus) belong to that address and go with it. Returns the changed paths.
 */
export function pointAtPrometheus(objects: readonly Located[], url: string): { objects: Located[]; changed: string[] } {
  const changed: string[] = [];
  const out = objects.map(({ file, object }) => {
    const copy = structuredClone(object);
    if (copy.kind === "AnalysisTemplate") {
      for (const m of analysisMetrics([{ file, object: copy }])) {
        const p = m.provider.prometheus;
        if (!p) continue;
        p.address = url;
        changed.push(`${file}: metric ${m.name}: prometheus.address`);
        if ("authentication" in p) {
          delete p.authentication;
          changed.push(`${file}: metric ${m.name}: prometheus.authentication (removed)`);
        }
      }
    }
    return { file, object: copy };
  });
  return { objects: out, changed };
}

/** Image of the release under test: the rendered image with another digest (what a version bump renders). */
export function releaseImage(rendered: string, tag: string): string {
  const repo = rendered.split("@")[0]!;
  return `${repo}@sha256:${createHash("sha256").update(`bitactor-e2e-release:${tag}`).digest("hex")}`;
}

/** Resource quantity in base units (cores or bytes), enough for node sizing. */
function quantity(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti)?$/.exec(q);
  if (!m) throw new Error(`unsupported quantity ${q}`);
  const unit = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 }[m[2] as "m"] ?? 1;
  return Number(m[1]) * unit;
}
/** Every resource the pod's containers request (cpu, memory, hugepages-2Mi ...), in base units. */
function requests(spec: { containers: Requests[] }): Record<string, number> {
  const out: Record<string, number> = { cpu: 0, memory: 0 };
  for (const c of spec.containers) {
    for (const [name, q] of Object.entries(c.resources?.requests ?? {})) out[name] = (out[name] ?? 0) + quantity(q as string);
  }
  return out;
}

/**
 * Fake nodes for the release, derived from the rendered objects (so their scheduling rules are what
 * is exercised): the Rollout allows one of the component's pods per host (required anti-affinity
 * across blue and green) spread over the region's zones, so there are two nodes per replica (one
 * for each stack), round-robin over the zones, each carrying the Rollout's nodeSelector labels and
 * the taints its tolerations accept and room for exactly one pod of every resource it requests
 * (hugepages included); plus an untainted node sized for the analysis load Job.
 */
export function fakeNodes(release: Release): FakeNode[] {
  const spec = rolloutSpec(release.rollout);
  const pod = requests(spec.template.spec);
  const zones = release.region.zones;
  const taints = (spec.template.spec.tolerations ?? [])
    .filter((t) => t.key && t.effect)
    .map((t) => ({ key: t.key!, ...(t.operator === "Exists" ? {} : { value: t.value ?? "" }), effect: t.effect! }));
  const engine = Array.from({ length: 2 * spec.replicas }, (_, i) => ({
    name: `${release.componentName}-${i}`,
    labels: { ...(spec.template.spec.nodeSelector ?? {}), [ZONE_KEY]: zones[i % zones.length]! },
    taints,
    capacity: { ...Object.fromEntries(Object.entries(pod).map(([k, v]) => [k, String(v)])), pods: "110" },
  }));
  const load = analysisMetrics(release.objects).flatMap((m) => (m.provider.job ? [requests(m.provider.job.spec.template.spec)] : []));
  const loadNode = {
    name: "load-0",
    labels: { [ZONE_KEY]: zones[0]! },
    taints: [],
    capacity: { cpu: String(Math.max(1, ...load.map((l) => l.cpu!)) * 2), memory: String(Math.max(2 ** 30, ...load.map((l) => l.memory!)) * 2), pods: "110" },
  };
  return [...engine, loadNode];
}
