import type { Catalog, EnvironmentSettings, RegionSettings } from "./inputs/types.ts";
import { GateQueries } from "./promql.ts";
import { LABEL, PART_OF, names, stageId } from "./naming.ts";
import { GPU_RESOURCE, HUGEPAGES_2MI } from "./nodes/node-types.ts";
import { INSTANCE_TYPE_KEY, NODE_POOL_KEY } from "./nodes/labels.ts";
import { instanceTypeOf } from "./nodes/instance-type.ts";
import { acceleratedPod } from "./constructs/accelerated-networks.ts";
import type { OrderFlowSpec, Target } from "../operator/src/model.ts";

/**
 * What a BitActorCluster asks of its region beyond the region file: each component's performance
 * target and the order flow the operator may open. The shapes are the operator's own
 * (operator/src/model.ts, a type-only import: the render and the operator cannot disagree on them
 * without the type check failing). Pure: computed from the catalog and the inputs.
 */
export type ClusterTarget = Target;
export type OrderFlow = OrderFlowSpec & {
  readonly podSelector: {
    readonly matchLabels: Readonly<Record<string, string>>;
    readonly matchExpressions: readonly { readonly key: string; readonly operator: "In"; readonly values: readonly string[] }[];
  };
};

/**
 * Per component the region runs: the post-promotion gate's window and sample floor, judged with the
 * gate's own queries (generators/promql.ts) over the active pods of the stage, so the operator
 * calls a region slow exactly when a post-promotion analysis would. Nodes: the pool the pods select
 * and the extended resources one pod asks for, as the Rollout's pod template does.
 */
export function clusterTargets(catalog: Catalog, environment: EnvironmentSettings, region: RegionSettings): Record<string, ClusterTarget> {
  const namespace = stageId(environment.environment, region.region);
  return Object.fromEntries(
    Object.keys(region.components).sort().map((id) => {
      const c = catalog.components[id]!;
      const q = new GateQueries(catalog, c, { namespace, role: "active" }, c.postPromotion.intervalSeconds);
      const perPod: Record<string, string> = {
        [HUGEPAGES_2MI]: c.resources.hugepages2Mi,
        ...(c.resources.gpus !== undefined ? { [GPU_RESOURCE]: String(c.resources.gpus) } : {}),
        ...acceleratedPod(catalog, c).resources,
      };
      const target: ClusterTarget = {
        rollout: id,
        image: c.image,
        budgetNs: c.budgetNs,
        quantile: catalog.quantile,
        windowSeconds: c.postPromotion.intervalSeconds,
        minSamples: c.postPromotion.minSamplesPerMeasurement,
        query: { share: q.shareWithinBudget(c.postPromotion.minSamplesPerMeasurement), samples: q.sampleCount() },
        firstReleaseRun: names.firstReleaseRun(id),
        nodes: { selector: { [NODE_POOL_KEY]: c.nodePool, [INSTANCE_TYPE_KEY]: instanceTypeOf(catalog, region, c.nodePool) }, perPod, labels: {} },
      };
      return [id, target];
    }),
  );
}

/**
 * The exchanges the region trades on, for the pods of the components with `exchangeEgress`: the
 * NetworkPolicy the operator writes while the region is TradingReady (operator/src/order-flow.ts).
 * None when the region runs no such component: there is no order flow to open.
 */
export function orderFlow(catalog: Catalog, environment: EnvironmentSettings, region: RegionSettings): OrderFlow | undefined {
  const egressing = Object.keys(region.components).filter((id) => catalog.components[id]!.exchangeEgress).sort();
  if (egressing.length === 0) return undefined;
  return {
    policyName: names.orderFlowPolicy,
    podSelector: { matchLabels: { [LABEL.partOf]: PART_OF }, matchExpressions: [{ key: LABEL.name, operator: "In", values: egressing }] },
    egress: region.exchanges.map((x) => ({ cidrs: [...x.cidrs], ports: [...x.ports] })),
    closeGraceSeconds: environment.operator.orderFlowCloseGraceSeconds,
  };
}
