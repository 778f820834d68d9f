// Who opens the exchanges: by default each exchange-egress component's own NetworkPolicy; once a
// region hands them to the operator (`exchangeAccess: operator`, one data edit), only the operator's
// order-flow policy does. The hand-over changes exactly those policies and the BitActorCluster, and
// loses nothing: the operator's open policy allows exactly what the components' policies stop allowing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { committedModel } from "./helpers/repo.ts";
import { renderObjects, type RenderedObject } from "../generators/render.ts";
import type { RepositoryModel } from "../generators/inputs/types.ts";
import { orderFlowPolicy } from "../operator/src/order-flow.ts";

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const model = await committedModel();
const committed = renderObjects(model);

/** The model with one region's exchanges handed to the operator. */
function handedOver(environment: string, region: string): RepositoryModel {
  return {
    ...model,
    environments: model.environments.map((e) =>
      e.settings.environment !== environment ? e : { ...e, regions: e.regions.map((r) => (r.region === region ? { ...r, exchangeAccess: "operator" as const } : r)) },
    ),
  };
}

/** Every egress rule of a stage's NetworkPolicies that names an exchange cidr, by policy name. */
function exchangeRules(objects: readonly RenderedObject[], folderPrefix: string, cidrs: ReadonlySet<string>): Map<string, Any[]> {
  const out = new Map<string, Any[]>();
  for (const o of objects.filter((x) => x.path.startsWith(folderPrefix) && x.object.kind === "NetworkPolicy")) {
    const rules = ((o.object as Any).spec.egress ?? []).filter((r: Any) => (r.to ?? []).some((t: Any) => t.ipBlock && cidrs.has(t.ipBlock.cidr)));
    if (rules.length) out.set(`${o.object.metadata.namespace ?? ""}/${o.object.metadata.name}`, rules);
  }
  return out;
}

const exchangeCidrs = (r: { exchanges: readonly { cidrs: readonly string[] }[] }) => new Set(r.exchanges.flatMap((x) => x.cidrs));

test("in the committed tree, each exchange-egress component's policy allows exactly its region's exchanges, unless the region handed them to the operator", () => {
  for (const env of model.environments) {
    for (const r of env.regions) {
      const egressing = Object.keys(r.components).filter((c) => model.catalog.components[c]!.exchangeEgress).sort();
      const rules = exchangeRules(committed, `rollouts/${env.settings.environment}/${r.region}/`, exchangeCidrs(r));
      const expected = (r.exchangeAccess ?? "components") === "components" ? egressing : [];
      assert.deepEqual([...rules.keys()].sort(), expected.map((c) => `${env.settings.environment}-${r.region}/${c}`));
      for (const got of rules.values()) assert.deepEqual(got, r.exchanges.map((x) => ({ to: x.cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: x.ports.map((port) => ({ protocol: "TCP", port })) })));
    }
  }
});

test("handed to the operator, a region's exchanges are allowed by no rendered object; only its policies and its BitActorCluster change", () => {
  const [env, region] = ["staging", "us-east-1"];
  const r = model.environments.find((e) => e.settings.environment === env)!.regions.find((x) => x.region === region)!;
  assert.ok(r.operator, "staging pins the operator, so it may take the exchanges");
  assert.equal(r.exchangeAccess, undefined, "the committed staging region leaves them to the components (this test hands them over)");
  const after = renderObjects(handedOver(env, region));
  assert.deepEqual(after.map((o) => o.path), committed.map((o) => o.path), "no object added or removed");
  const changed = after.filter((o, i) => JSON.stringify(o.object) !== JSON.stringify(committed[i]!.object)).map((o) => o.path);
  const egressing = Object.keys(r.components).filter((c) => model.catalog.components[c]!.exchangeEgress).sort();
  assert.deepEqual(changed.sort(), [
    `rollouts/${env}/${region}/platform/bitactorcluster-${env}-${region}.yaml`,
    ...egressing.map((c) => `rollouts/${env}/${region}/${c}/networkpolicy-${c}.yaml`),
  ].sort());
  assert.equal(exchangeRules(after, `rollouts/${env}/${region}/`, exchangeCidrs(r)).size, 0, "no rendered policy allows an exchange");
  const cr = after.find((o) => o.object.kind === "BitActorCluster" && o.path.startsWith(`rollouts/${env}/${region}/`))!.object as Any;
  assert.equal(cr.spec.exchangeAccess, "operator", "the operator sees the hand-over in its spec");

  // What the components' policies stop allowing, the operator's open policy allows: the same rules, for the same pods.
  const removed = exchangeRules(committed, `rollouts/${env}/${region}/`, exchangeCidrs(r));
  const open = orderFlowPolicy(`${env}-${region}`, { name: cr.metadata.name, uid: "u" }, cr.spec.orderFlow, true, "TradingReady");
  for (const rules of removed.values()) assert.deepEqual(open.spec.egress, rules);
  assert.deepEqual(cr.spec.orderFlow.podSelector.matchExpressions[0].values, egressing, "it selects exactly the pods that lost their exchanges");
  const closed = orderFlowPolicy(`${env}-${region}`, { name: cr.metadata.name, uid: "u" }, cr.spec.orderFlow, false, "not TradingReady");
  assert.deepEqual(closed.spec.egress, [], "closed, the exchanges are reachable by nothing");
});

test("the other regions are untouched by one region's hand-over", () => {
  const after = renderObjects(handedOver("staging", "us-east-1"));
  const outside = (o: RenderedObject) => !o.path.startsWith("rollouts/staging/us-east-1/");
  assert.deepEqual(after.filter(outside).map((o) => [o.path, o.object]), committed.filter(outside).map((o) => [o.path, o.object]));
});
