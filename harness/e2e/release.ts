import { createHash } from "node:crypto";
import { RECORD, durationText } from "../../generators/slo-promql.ts";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import type { KubeObject, Located } from "../../lib/objects.ts";
import { parseFiles } from "../../lib/objects.ts";
import { readInputs } from "../../lib/inputs.ts";
import { loadRepository } from "../../generators/inputs/load.ts";
import { paths, stageId } from "../../generators/naming.ts";
import { HOST_KEY, ZONE_KEY } from "../../generators/nodes/labels.ts";
import { SYSTEM_POOL, stageNodeTypes, type NodeType } from "../../generators/nodes/node-types.ts";
import { stagePools, type StagePool } from "../../generators/infrastructure/pools.ts";
import type { Component, RegionSettings } from "../../generators/inputs/types.ts";
import type { FakeNode } from "./cluster.ts";
import type { FixtureBehaviour, FixtureConfig } from "./fixture.ts";
import type { PodMonitorShape } from "../observability/pod-monitor-config.ts";
import { stagePrometheusNames } from "../../generators/naming.ts";

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
  /**
   * The stage's rendered Prometheus, its account, Role and RoleBinding (its monitoring folder): what
   * prometheus-operator configures the gate's Prometheus from.
   */
  readonly prometheus: { readonly namespace: string; readonly name: string; readonly objects: readonly Located[] };
  /** The catalog's quantile: "p99 ≤ budget" means at least this share at or under the budget. */
  readonly quantile: number;
  /** The recorded share-under-budget series the p99 alert reads (its window is catalog data). */
  readonly withinBudgetRecord: string;
  /** Series labels the catalog names: the pod-template hash and the active/preview role. */
  readonly seriesLabels: { readonly hash: string; readonly role: string };
  /** The rule groups of the component's rendered PrometheusRule (its alerts judge the run too). */
  readonly ruleGroups: readonly { name: string; rules: { alert?: string; record?: string }[] }[];
  /** Every node type of the stage, from the node catalog: what the e2e's nodes are. */
  readonly nodeTypes: readonly NodeType[];
  /** The catalog's system nodes per zone. */
  readonly systemNodesPerZone: number;
  /** The stage's engine pools as its cloud side creates them (stagePools: their node counts). */
  readonly pools: readonly StagePool[];
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

/** Every metric of every AnalysisTemplate (or, with `kinds`, of those kinds: an AnalysisRun has the same metrics) among `objects`. */
export function analysisMetrics(objects: readonly Located[], kinds: readonly string[] = ["AnalysisTemplate"]): AnalysisMetric[] {
  return objects.filter((o) => kinds.includes(o.object.kind)).flatMap((o) => (o.object.spec as { metrics: AnalysisMetric[] }).metrics);
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
  const stage = stageId(environment, regionName);
  const monitoringDir = paths.monitoring(environment, regionName);
  const monitoringFiles = new Map<string, string>();
  for (const f of (await readdir(join(root, monitoringDir))).sort()) monitoringFiles.set(`${monitoringDir}/${f}`, await readFile(join(root, monitoringDir, f), "utf8"));
  const names = stagePrometheusNames(stage);
  const prometheusObjects = parseFiles(monitoringFiles).filter(({ object: o }) => (o.kind === "Prometheus" && o.metadata.name === names.prometheus) || (["ServiceAccount", "Role", "RoleBinding"].includes(o.kind) && o.metadata.name === names.account));
  const prometheus = prometheusObjects.find((o) => o.object.kind === "Prometheus")?.object;
  if (!prometheus || prometheusObjects.length !== 4) throw new Error(`${monitoringDir} holds no Prometheus ${names.prometheus} with its account, Role and RoleBinding: run npm run render`);
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
    prometheus: { namespace: prometheus.metadata.namespace!, name: prometheus.metadata.name!, objects: prometheusObjects },
    ruleGroups: rule.spec.groups,
    seriesLabels: { hash: model.catalog.podTemplateHashLabel, role: model.catalog.roleLabel },
    quantile: model.catalog.quantile,
    withinBudgetRecord: RECORD.withinBudget(durationText(model.catalog.alerts.latencyWindowSeconds)),
    nodeTypes: stageNodeTypes(model.catalog, model.machines, region),
    systemNodesPerZone: model.catalog.systemNodes.perZone,
    pools: stagePools(model.catalog, region),
  };
}

/**
 * How the latency fixture imitates one component (its config without the cluster's credentials):
 * its pods are the Rollout's, its load the pre-promotion template's load Job's pods, its traffic
 * follows the active Service. Throws when the template has no load Job with pod labels.
 */
export function fixtureOf(release: Release, behaviour: FixtureBehaviour): Omit<FixtureConfig, "server" | "token" | "ca"> {
  const loadPodSelector = analysisMetrics(release.objects).map((m) => m.provider.job?.spec.template.metadata?.labels).find((l) => l !== undefined);
  if (!loadPodSelector) throw new Error(`${release.namespace}/${release.componentName}: the pre-promotion template has no load Job with pod labels`);
  return {
    namespace: release.namespace,
    podSelector: rolloutSpec(release.rollout).selector.matchLabels,
    loadPodSelector,
    activeService: release.activeService,
    metric: release.component.metric.name,
    boundsNs: release.component.metric.bucketsNs,
    behaviour,
  };
}

/**
 * The only change the e2e makes to rendered objects: every Prometheus provider of the analysis
 * templates and of the first-release AnalysisRun queries this cluster's Prometheus. The address's
 * cloud credentials (AWS SigV4 for Amazon Managed Prometheus) belong to that address and go with
 * it. Returns the changed paths.
 */
export function pointAtPrometheus(objects: readonly Located[], url: string): { objects: Located[]; changed: string[] } {
  const changed: string[] = [];
  const out = objects.map(({ file, object }) => {
    const copy = structuredClone(object);
    if (copy.kind === "AnalysisTemplate" || copy.kind === "AnalysisRun") {
      for (const m of analysisMetrics([{ file, object: copy }], [copy.kind])) {
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

/**
 * The disk the kubelet reports as ephemeral-storage. The node catalog has no disk figure (a node's
 * root volume is a cluster setting, and the fit check does not count ephemeral-storage:
 * generators/nodes/fit.ts NOT_COUNTED), yet the scheduler refuses a pod that requests it on a node
 * without it. Every fake node takes Karpenter's AL2023 default, the smallest of the three services'
 * defaults: a 20Gi root volume (karpenter-provider-aws v1.15.1 pkg/providers/amifamily/resolver.go
 * DefaultEBS), less 1Gi kube-reserved and the 10 % nodefs eviction threshold
 * (pkg/providers/instancetype/types.go).
 */
export const EPHEMERAL_STORAGE = { capacity: 20n << 30n, allocatable: (20n << 30n) - (1n << 30n) - (2n << 30n) } as const;

/** Units as a quantity the API server reads: CPU in millicores, the rest as whole units. */
const quantityText = (resource: string, units: bigint): string => (resource === "cpu" ? `${units}m` : String(units));
const quantities = (units: Readonly<Record<string, bigint>>, disk: bigint): Record<string, string> => ({
  ...Object.fromEntries(Object.entries(units).map(([k, v]) => [k, quantityText(k, v)])),
  "ephemeral-storage": quantityText("ephemeral-storage", disk),
});

/** One node of a catalog node type in a zone: the type's labels and taints, its capacity and allocatable. */
export function fakeNode(type: NodeType, name: string, zone: string): FakeNode {
  return {
    name,
    labels: { ...type.labels, [ZONE_KEY]: zone, [HOST_KEY]: name },
    taints: type.taints.map((t) => ({ ...t })),
    capacity: quantities(type.capacity, EPHEMERAL_STORAGE.capacity),
    allocatable: quantities(type.allocatable, EPHEMERAL_STORAGE.allocatable),
  };
}

/**
 * The nodes of a cluster running these releases (one stage's components), from the node catalog
 * (engine/machines.yaml through stageNodeTypes), never from the pods: for each pool the components
 * use, twice the largest replica count among its components (both blue/green stacks of each, which
 * the old stack keeps through scaleDownDelaySeconds), round-robin over the region's zones, where
 * components of a pool share nodes as the scheduler decides; and the system nodes, perZone (at
 * least one) in every zone, for the load Jobs and the collector. A pod that fits no machine stays
 * Pending, and the e2e fails with the scheduler's reason. `stacks`: how many stacks of each
 * component the engine pools hold at once (two: blue and green).
 */
export function fakeNodes(releases: readonly Release[], stacks = 2): FakeNode[] {
  const first = releases[0];
  if (!first) throw new Error("fake nodes for no release");
  const other = releases.find((r) => r.namespace !== first.namespace);
  if (other) throw new Error(`fake nodes are one stage's: ${first.namespace} and ${other.namespace}`);
  const zones = first.region.zones;
  const typeOf = (pool: string) => {
    const t = first.nodeTypes.find((n) => n.pool === pool);
    if (!t) throw new Error(`${first.namespace}: no node type for pool ${pool} (stageNodeTypes: ${first.nodeTypes.map((n) => n.pool).join(", ")})`);
    return t;
  };
  const spread = (type: NodeType, count: number) => Array.from({ length: count }, (_, i) => fakeNode(type, `${type.pool}-${i}`, zones[i % zones.length]!));
  // As many nodes per pool as the cloud side creates (stagePools: one per replica of its largest
  // component for each of two stacks), or room for `stacks`, for the pools these releases use.
  const used = new Set(releases.map((r) => r.component.nodePool));
  const engine = first.pools.filter((p) => used.has(p.name)).flatMap((p) => spread(typeOf(p.name), (p.nodes / 2) * stacks));
  return [...engine, ...spread(typeOf(SYSTEM_POOL), Math.max(1, first.systemNodesPerZone) * zones.length)];
}
