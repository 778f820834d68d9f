import { GROUP, KIND, VERSION, type OrderFlowSpec } from "./model.ts";

export const MANAGER = "bitactor-operator";
export const STATE_ANNOTATION = "bitactor.io/order-flow";
export const REASON_ANNOTATION = "bitactor.io/order-flow-reason";

/**
 * The order-flow object: a NetworkPolicy that the operator alone writes. The stage's default-deny
 * policy and the components' own policies (in git) allow no exchange traffic; this one adds the
 * exchanges' cidrs and ports for the exchange-egress pods while the region is TradingReady, and
 * nothing while it is not (policyTypes Egress with no rules selects the pods and allows them
 * nothing more). NetworkPolicies add up (kubernetes.io/docs/concepts/services-networking/network-policies,
 * "policies are additive"), so the exchanges are reachable exactly when this object says so, and the
 * CNI enforces it whatever the engine does. Owned by the BitActorCluster: deleting the CR closes it.
 */
export function orderFlowPolicy(namespace: string, owner: { name: string; uid: string }, spec: OrderFlowSpec, open: boolean, reason: string) {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: {
      name: spec.policyName,
      namespace,
      labels: { "app.kubernetes.io/managed-by": MANAGER, "app.kubernetes.io/part-of": "bitactor" },
      annotations: { [STATE_ANNOTATION]: open ? "Open" : "Closed", [REASON_ANNOTATION]: reason },
      ownerReferences: [{ apiVersion: `${GROUP}/${VERSION}`, kind: KIND, name: owner.name, uid: owner.uid, controller: true, blockOwnerDeletion: false }],
    },
    spec: {
      podSelector: structuredClone(spec.podSelector),
      policyTypes: ["Egress"],
      egress: open ? spec.egress.map((x) => ({ to: x.cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: x.ports.map((port) => ({ protocol: "TCP", port })) })) : [],
    },
  };
}
