/**
 * The fit check over a whole render: every stage's pod templates against the node types of its
 * region (node-types.ts), the mesh's injected proxy counted where Istio injects it. Misfits come back
 * as input errors at the region file's line that put the pod there: the pool's `instanceType` when
 * the region picks its own machine, else the component's entry, else the region's `cloud`.
 */
import type { InputError } from "../inputs/errors.ts";
import type { RegionSettings, RepositoryModel } from "../inputs/types.ts";
import { LABEL, stageId } from "../naming.ts";
import { ISTIO, ISTIO_PROXY_DEFAULTS } from "../constructs/mesh.ts";
import { CAPACITY_TYPE_KEY, HOST_KEY, REGION_KEY, ZONE_KEY } from "./labels.ts";
import { serviceDaemonSetRequests, stageNodeTypes, SYSTEM_POOL } from "./node-types.ts";
import { describeMisfit, landsOn, podRequests, podTemplatesOf, stageMisfits, unplaced, type Misfit, type StageFitInput } from "./fit.ts";
import { showQuantity } from "./quantity.ts";
import { millicores, quantityUnits } from "./quantity.ts";

/** Label keys every node type carries with whatever value a pod could want: zones, the region, host names, the capacity type (both are allowed outside production; production's pools require on-demand and no pod selects it). */
export const FIT_IGNORED_KEYS: ReadonlySet<string> = new Set([ZONE_KEY, REGION_KEY, HOST_KEY, CAPACITY_TYPE_KEY]);

/** A rendered object as the fit reads it. */
type FitObject = StageFitInput["objects"][number];

/**
 * Istio's sidecar injector adds its proxy to every pod of a namespace labelled for injection unless
 * the pod opts out (`sidecar.istio.io/inject: "false"`, label or annotation); its requests are the
 * pod's proxy annotations or Istio's defaults (ISTIO_PROXY_DEFAULTS).
 */
export function meshProxy(meshNamespaces: ReadonlySet<string>) {
  return (namespace: string | undefined, annotations: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>): Record<string, bigint>[] => {
    if (!namespace || !meshNamespaces.has(namespace)) return [];
    if (labels[ISTIO.inject] === "false" || annotations[ISTIO.inject] === "false") return [];
    return [{ cpu: millicores(annotations[ISTIO.proxyCpu] ?? ISTIO_PROXY_DEFAULTS.cpu), memory: quantityUnits(annotations[ISTIO.proxyMemory] ?? ISTIO_PROXY_DEFAULTS.memory) }];
  };
}

/** What the fit needs to know of a stage's cluster besides its objects, or undefined for no such stage. */
function stageCluster(model: RepositoryModel, environment: string, regionName: string): (Omit<StageFitInput, "objects"> & { region: RegionSettings }) | undefined {
  const region = model.environments.find((e) => e.settings.environment === environment)?.regions.find((r) => r.region === regionName);
  if (!region) return undefined;
  return {
    region,
    nodeTypes: stageNodeTypes(model.catalog, model.machines, region),
    serviceDaemonSets: serviceDaemonSetRequests(model.machines.clouds[region.cloud]),
    injected: meshProxy(new Set([stageId(environment, regionName)])),
    ignoredKeys: FIT_IGNORED_KEYS,
  };
}

/** Every misfit of one stage's objects (labelled with its environment and region). */
export function stageFit(model: RepositoryModel, environment: string, regionName: string, objects: readonly FitObject[]): Misfit[] {
  const cluster = stageCluster(model, environment, regionName);
  return cluster ? stageMisfits({ ...cluster, objects }) : [];
}

/**
 * What a stage's system nodes must hold at once when the region comes up: every replica of its
 * Deployments and of its Prometheus, and one pod of every job metric of its AnalysisRuns (each component's first-release
 * run starts its load Job as soon as it is synced), all on `systemNodes.perZone` × zones nodes,
 * each leaving its allocatable less its DaemonSets. Undefined when they fit; else what does not.
 */
export function systemBringUp(model: RepositoryModel, environment: string, regionName: string, objects: readonly FitObject[]): { message: string; cloud: string } | undefined {
  const cluster = stageCluster(model, environment, regionName);
  if (!cluster) return undefined;
  const { region, injected } = cluster;
  const system = cluster.nodeTypes.find((n) => n.pool === SYSTEM_POOL)!;
  const pods = objects.flatMap(({ object }) => {
    const bringUp = object.kind === "Deployment" || object.kind === "Prometheus" || object.kind === "AnalysisRun" || object.kind === "DaemonSet";
    if (!bringUp) return [];
    return podTemplatesOf(object).filter((t) => landsOn(t.spec, system, FIT_IGNORED_KEYS)).flatMap((t) => {
      const asked = podRequests(t.spec, injected(object.metadata.namespace, t.annotations, t.labels));
      const replicas = object.kind === "Deployment" || object.kind === "Prometheus" ? Number((object.spec as { replicas?: number } | undefined)?.replicas ?? 1) : 1;
      return Array.from({ length: replicas }, (_, i) => ({ name: `${object.kind} ${object.metadata.name}${replicas > 1 ? ` #${i + 1}` : ""}`, asked, daemon: object.kind === "DaemonSet" }));
    });
  });
  const load: Record<string, bigint> = {};
  for (const d of [...cluster.serviceDaemonSets, ...pods.filter((p) => p.daemon).map((p) => p.asked)]) for (const [r, v] of Object.entries(d)) load[r] = (load[r] ?? 0n) + v;
  const left = Object.fromEntries(Object.entries(system.allocatable).map(([r, v]) => [r, v - (load[r] ?? 0n)]));
  const count = model.catalog.systemNodes.perZone * region.zones.length;
  const missing = unplaced(pods.filter((p) => !p.daemon), left, count);
  if (missing.length === 0) return undefined;
  const all = pods.filter((p) => !p.daemon);
  const cpu = all.reduce((n, p) => n + (p.asked.cpu ?? 0n), 0n);
  return {
    cloud: region.cloud,
    message: `${environment}/${regionName}'s ${count} system nodes (${system.instanceType}, ${showQuantity("cpu", left.cpu ?? 0n)} CPU and ${showQuantity("memory", left.memory ?? 0n)} left on each after their DaemonSets) cannot run its ${all.length} bring-up pods at once (${showQuantity("cpu", cpu)} CPU: every Deployment and Prometheus replica and every first-release load Job); no room for ${missing.map((p) => p.name).join(", ")}: pick a larger systemNodes machine or raise systemNodes.perZone`,
  };
}

/** The objects of each stage, by `<environment>/<region>` from their labels (objects without both are no stage's). */
export function byStage<T extends FitObject>(objects: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const o of objects) {
    const l = o.object.metadata.labels ?? {};
    const env = l[LABEL.environment];
    const region = l[LABEL.region];
    if (!env || !region) continue;
    const key = `${env}/${region}`;
    (out.get(key) ?? out.set(key, []).get(key)!).push(o);
  }
  return out;
}

/** The render's fit check: every misfit of every stage as an input error at the line that chose the machine. */
export function fitErrors(model: RepositoryModel, objects: readonly FitObject[]): InputError[] {
  const errors: InputError[] = [];
  for (const [key, stageObjects] of byStage(objects)) {
    const [environment, regionName] = key.split("/") as [string, string];
    const region = model.environments.find((e) => e.settings.environment === environment)?.regions.find((r) => r.region === regionName);
    if (!region) continue;
    const file = `environments/${environment}/regions/${regionName}.yaml`;
    const source = model.sources?.get(file);
    for (const m of stageFit(model, environment, regionName, stageObjects)) {
      const component = m.object.labels[LABEL.component];
      const pool = m.nodeType?.pool;
      const where = m.nodeType && pool !== undefined && region.nodePools?.[pool]?.instanceType !== undefined
        ? { path: ["nodePools", pool, "instanceType"] }
        : component && region.components[component]
          ? { path: ["components"], key: component }
          : { path: ["cloud"] };
      const chosen = !m.nodeType ? "" : m.nodeType.pool === "system"
        ? ` (engine/catalog.yaml systemNodes.instanceTypes.${region.cloud}; its figures: engine/machines.yaml clouds.${region.cloud}.types.${m.nodeType.instanceType})`
        : ` (${where.path[0] === "nodePools" ? "this region's choice" : `engine/catalog.yaml nodePools.${pool}.instanceTypes.${region.cloud}`}; its figures: engine/machines.yaml clouds.${region.cloud}.types.${m.nodeType.instanceType})`;
      const message = `${describeMisfit(m)}${chosen}: pick a larger machine type or ask for less`;
      // A stage's Prometheus asks what its environment's monitoring.prometheus says: the error goes there.
      if (m.object.kind === "Prometheus") {
        const envFile = `environments/${environment}/environment.yaml`;
        const envSource = model.sources?.get(envFile);
        errors.push(envSource ? envSource.error(["monitoring"], message, "prometheus") : { file: envFile, line: 1, column: 1, field: "/monitoring/prometheus", message });
        continue;
      }
      errors.push(source ? source.error(where.path, message, where.key) : { file, line: 1, column: 1, field: `/${[...where.path, ...(where.key ? [where.key] : [])].join("/")}`, message });
    }
    const bringUp = systemBringUp(model, environment, regionName, stageObjects);
    if (bringUp) {
      const path = ["systemNodes", "instanceTypes", bringUp.cloud];
      const catalog = model.sources?.get("engine/catalog.yaml");
      errors.push(catalog ? catalog.error(path, bringUp.message) : { file: "engine/catalog.yaml", line: 1, column: 1, field: `/${path.join("/")}`, message: bringUp.message });
    }
  }
  return errors;
}
