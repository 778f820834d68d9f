import { Construct } from "constructs";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { INetworkPolicyPeer } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer";
import type { INetworkPolicyEgressRule } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyEgressRule";
import type { Catalog, EnvironmentSettings, RegionSettings } from "../inputs/types.ts";
import { emit } from "../argo.ts";
import { LABEL, LOAD_POD_LABELS, PART_OF, names, podSelector } from "../naming.ts";
import { OTLP_PORTS } from "../otel-config.ts";
import { ISTIOD } from "./mesh.ts";

/** Pods of a component (the Rollout's selector) or of the stage's collector. */
const podsOf = (name: string) => ({ matchLabels: podSelector(name) });
/** Every namespace carries this label with its own name (Kubernetes ≥ 1.22). */
const namespaceNamed = (ns: string) => ({ matchLabels: { "kubernetes.io/metadata.name": ns } });
const tcp = (port: number) => ({ protocol: "TCP" as const, port });

/**
 * DNS service pods: the cluster DNS of EKS, GKE and AKS all carry `k8s-app: kube-dns` in kube-system
 * (CoreDNS on EKS and AKS keeps the label for compatibility).
 */
const DNS: INetworkPolicyPeer = { namespaceSelector: namespaceNamed("kube-system"), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } };

/** Egress to the cluster DNS, UDP and TCP. */
export const DNS_EGRESS: INetworkPolicyEgressRule = { to: [DNS], ports: [{ protocol: "UDP", port: 53 }, tcp(53)] };

/**
 * Egress to the stage's Kubernetes API server, for the pods that call it (the restore drill, the
 * chaos session and Litmus' pods). A policy sees the endpoint behind the `kubernetes` Service, which
 * every cloud as rendered puts inside the region's `infrastructure.cidr` (infrastructure/): EKS's
 * private endpoint interfaces in the cluster's subnets, GKE's control-plane range cut from the VPC's
 * CIDR, AKS's private endpoint in the node subnet. All serve on 443.
 */
export const apiServerEgress = (region: RegionSettings): INetworkPolicyEgressRule => ({ to: [{ ipBlock: { cidr: region.infrastructure.cidr } }], ports: [tcp(443)] });

export interface StageNetworkPoliciesProps {
  readonly environment: EnvironmentSettings;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * What holds for every pod of a stage's namespace: deny all traffic in and out unless a policy
 * allows it (policies are additive, so this makes every other one an allow-list), DNS and the
 * mesh's control plane for every pod, and the collector's own flows (spans in from the engine, out to the tracing backend).
 */
export class StageNetworkPolicies extends Construct {
  constructor(scope: Construct, id: string, props: StageNetworkPoliciesProps) {
    super(scope, id);
    const m = props.environment.monitoring;
    const labels = { ...props.labels };
    emit(this, "deny", new NetworkPolicy({ metadata: { name: names.defaultDeny, labels }, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } }));
    emit(this, "dns", new NetworkPolicy({
      metadata: { name: names.allowDns, labels },
      spec: { podSelector: {}, policyTypes: ["Egress"], egress: [DNS_EGRESS] },
    }));
    // Istio sidecars (STRICT mTLS, constructs/mesh.ts) need istiod for configuration and certificates.
    emit(this, "mesh", new NetworkPolicy({
      metadata: { name: names.allowMeshControlPlane, labels },
      spec: {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [{ to: [{ namespaceSelector: namespaceNamed(ISTIOD.namespace), podSelector: { matchLabels: { ...ISTIOD.podLabels } } }], ports: [tcp(ISTIOD.xdsPort)] }],
      },
    }));
    emit(this, "collector", new NetworkPolicy({
      metadata: { name: names.otelCollector, labels },
      spec: {
        podSelector: podsOf(names.otelCollector),
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [{ podSelector: { matchLabels: { [LABEL.partOf]: PART_OF } } }], ports: [tcp(OTLP_PORTS.grpc), tcp(OTLP_PORTS.http)] }],
        egress: [{ to: [{ namespaceSelector: namespaceNamed(m.namespace) }], ports: [tcp(m.tracingPort)] }],
      },
    }));
  }
}

export interface ComponentNetworkPoliciesProps {
  readonly catalog: Catalog;
  readonly environment: EnvironmentSettings;
  readonly region: RegionSettings;
  readonly componentId: string;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * The flows of one component, from `catalog.flows` and the region's exchanges: its service port
 * opens to the components that flow into it and to its own analysis load Job, its metrics port to
 * Prometheus; it may reach the components it flows to, the stage's collector and, when it has
 * `exchangeEgress`, each exchange's cidrs on that exchange's ports, unless the region's
 * `exchangeAccess` hands them to the operator. Its load Job may only reach it.
 */
export class ComponentNetworkPolicies extends Construct {
  constructor(scope: Construct, id: string, props: ComponentNetworkPoliciesProps) {
    super(scope, id);
    const { catalog, componentId: cid } = props;
    const c = catalog.components[cid]!;
    const m = props.environment.monitoring;
    const labels = { ...props.labels };
    const deployed = (x: string) => props.region.components[x] !== undefined;
    const from = catalog.flows.filter((f) => f.to === cid && deployed(f.from)).map((f) => f.from);
    const to = catalog.flows.filter((f) => f.from === cid && deployed(f.to)).map((f) => f.to);
    emit(this, "component", new NetworkPolicy({
      metadata: { name: names.componentPolicy(cid), labels },
      spec: {
        podSelector: podsOf(cid),
        policyTypes: ["Ingress", "Egress"],
        ingress: [
          {
            from: [...from.map((x) => ({ podSelector: podsOf(x) })), { podSelector: { matchLabels: LOAD_POD_LABELS(cid) } }],
            ports: [tcp(c.servicePort.port)],
          },
          { from: [{ namespaceSelector: namespaceNamed(m.namespace), podSelector: { matchLabels: { ...m.prometheusPodLabels } } }], ports: [tcp(c.metricsPort.port)] },
        ],
        egress: [
          ...to.map((x) => ({ to: [{ podSelector: podsOf(x) }], ports: [tcp(catalog.components[x]!.servicePort.port)] })),
          { to: [{ podSelector: podsOf(names.otelCollector) }], ports: [tcp(OTLP_PORTS.grpc)] },
          // Where the region hands its exchanges to the operator, its order-flow policy is the only allow.
          ...(c.exchangeEgress && (props.region.exchangeAccess ?? "components") === "components" ? props.region.exchanges.map((x) => ({ to: x.cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: x.ports.map(tcp) })) : []),
        ],
      },
    }));
    emit(this, "load", new NetworkPolicy({
      metadata: { name: names.loadPolicy(cid), labels },
      spec: {
        podSelector: { matchLabels: LOAD_POD_LABELS(cid) },
        policyTypes: ["Ingress", "Egress"],
        egress: [{ to: [{ podSelector: podsOf(cid) }], ports: [tcp(c.servicePort.port)] }],
      },
    }));
  }
}
