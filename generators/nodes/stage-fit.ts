/**
 * The fit check over a whole render: every stage's pod templates against the node types of its
 * region (node-types.ts), the mesh's injected proxy counted where Istio injects it. Misfits come back
 * as input errors at the region file's line that put the pod there: the pool's `instanceType` when
 * the region picks its own machine, else the component's entry, else the region's `cloud`.
 */
import type { InputError } from "../inputs/errors.ts";
import type { RepositoryModel } from "../inputs/types.ts";
import { LABEL, stageId } from "../naming.ts";
import { ISTIO, ISTIO_PROXY_DEFAULTS } from "../constructs/mesh.ts";
import { CAPACITY_TYPE_KEY, HOST_KEY, REGION_KEY, ZONE_KEY } from "./labels.ts";
import { daemonSetUnits, stageNodeTypes } from "./node-types.ts";
import { describeMisfit, stageMisfits, type Misfit, type StageFitInput } from "./fit.ts";
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

/** Every misfit of one stage's objects (labelled with its environment and region). */
export function stageFit(model: RepositoryModel, environment: string, regionName: string, objects: readonly FitObject[]): Misfit[] {
  const region = model.environments.find((e) => e.settings.environment === environment)?.regions.find((r) => r.region === regionName);
  if (!region) return [];
  const cloud = model.machines.clouds[region.cloud];
  return stageMisfits({
    objects,
    nodeTypes: stageNodeTypes(model.catalog, model.machines, region),
    serviceDaemonSets: cloud.daemonSets.map((d) => ({ cpu: daemonSetUnits("cpu", d.cpu), memory: daemonSetUnits("memory", d.memory), pods: 1n })),
    injected: meshProxy(new Set([stageId(environment, regionName)])),
    ignoredKeys: FIT_IGNORED_KEYS,
  });
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
      errors.push(source ? source.error(where.path, message, where.key) : { file, line: 1, column: 1, field: `/${[...where.path, ...(where.key ? [where.key] : [])].join("/")}`, message });
    }
  }
  return errors;
}
