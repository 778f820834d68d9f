import { Construct } from "constructs";
import { PeerAuthentication } from "@kubernetes-models/istio/security.istio.io/v1/PeerAuthentication";
import type { Catalog } from "../inputs/types.ts";
import { emit } from "../argo.ts";
import { names, podSelector } from "../naming.ts";

/**
 * Istio mTLS. The namespace is STRICT: every connection through the mesh must present a workload
 * certificate. The engine's hot path does not go through the mesh at all: each engine pod's
 * sidecar lets its service port and its flow targets' service ports bypass Envoy (pod annotations
 * from `meshAnnotations`), and the component's PeerAuthentication sets that port to DISABLE, so
 * no proxy hop and no TLS record sits between two engine components. The metrics port is
 * PERMISSIVE for Prometheus, which runs outside the mesh. docs/security.md, "mTLS (Istio) and the hot path" has the trade-off.
 */

/** Pod annotations of Istio's sidecar injector (istio.io/latest/docs/reference/config/annotations). */
export const ISTIO = {
  excludeInbound: "traffic.sidecar.istio.io/excludeInboundPorts",
  excludeOutbound: "traffic.sidecar.istio.io/excludeOutboundPorts",
  inject: "sidecar.istio.io/inject",
  /** The injected proxy's requests and limits (pod annotations, same reference). */
  proxyCpu: "sidecar.istio.io/proxyCPU",
  proxyCpuLimit: "sidecar.istio.io/proxyCPULimit",
  proxyMemory: "sidecar.istio.io/proxyMemory",
  proxyMemoryLimit: "sidecar.istio.io/proxyMemoryLimit",
  /** Namespace label that turns sidecar injection on. */
  injectionLabel: "istio-injection",
} as const;

/**
 * The injected proxy's requests when a pod names none: Istio's `global.proxy.resources.requests`
 * (manifests/charts/istio-control/istio-discovery/values.yaml: cpu 100m, memory 128Mi; limits 2000m
 * and 1024Mi). The fit check counts them on every pod of a stage namespace.
 */
export const ISTIO_PROXY_DEFAULTS = { cpu: "100m", memory: "128Mi" } as const;

/**
 * Where every sidecar fetches its configuration and workload certificate: istiod's xDS/CA port in
 * istio-system (Istio's default install: pods labelled app=istiod, port 15012). Without this egress
 * the namespace's default-deny NetworkPolicy would keep every sidecar, and so every pod, unready.
 */
export const ISTIOD = { namespace: "istio-system", podLabels: { app: "istiod" }, xdsPort: 15012 } as const;

/**
 * The injected proxy's resources, requests = limits: with Istio's defaults (requests below limits)
 * the pod would be Burstable, and the kubelet's static CPU manager pins cores only for Guaranteed
 * pods. Istio builds the proxy's resources from these annotations alone once any is set.
 */
export function proxyResourceAnnotations(catalog: Catalog): Record<string, string> {
  const p = catalog.meshProxy;
  return { [ISTIO.proxyCpu]: p.cpu, [ISTIO.proxyCpuLimit]: p.cpu, [ISTIO.proxyMemory]: p.memory, [ISTIO.proxyMemoryLimit]: p.memory };
}

/** The hot-path ports an engine pod's sidecar must not intercept: its own, and those it sends to. */
export function meshAnnotations(catalog: Catalog, componentId: string, deployed: (id: string) => boolean): Record<string, string> {
  const own = catalog.components[componentId]!.servicePort.port;
  const targets = catalog.flows.filter((f) => f.from === componentId && deployed(f.to)).map((f) => catalog.components[f.to]!.servicePort.port);
  const out = [...new Set(targets)].sort((a, b) => a - b);
  return {
    ...proxyResourceAnnotations(catalog),
    [ISTIO.excludeInbound]: String(own),
    ...(out.length ? { [ISTIO.excludeOutbound]: out.join(",") } : {}),
  };
}

export class StageMesh extends Construct {
  constructor(scope: Construct, id: string, props: { readonly labels: Readonly<Record<string, string>> }) {
    super(scope, id);
    emit(this, "strict", new PeerAuthentication({ metadata: { name: names.meshDefault, labels: { ...props.labels } }, spec: { mtls: { mode: "STRICT" } } }));
  }
}

export class ComponentMesh extends Construct {
  constructor(scope: Construct, id: string, props: { readonly catalog: Catalog; readonly componentId: string; readonly labels: Readonly<Record<string, string>> }) {
    super(scope, id);
    const c = props.catalog.components[props.componentId]!;
    emit(this, "peer", new PeerAuthentication({
      metadata: { name: names.componentPolicy(props.componentId), labels: { ...props.labels } },
      spec: {
        selector: { matchLabels: podSelector(props.componentId) },
        mtls: { mode: "STRICT" },
        portLevelMtls: {
          // The hot path: bypasses the sidecar (annotations), so the port must not demand mTLS.
          [c.servicePort.port]: { mode: "DISABLE" },
          // Prometheus scrapes from outside the mesh.
          [c.metricsPort.port]: { mode: "PERMISSIVE" },
        },
      },
    }));
  }
}
