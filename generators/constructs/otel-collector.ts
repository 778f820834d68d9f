import { createHash } from "node:crypto";
import { Construct } from "constructs";
import { stringify } from "yaml";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Service } from "kubernetes-models/v1/Service";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import type { Catalog, RegionSettings } from "../inputs/types.ts";
import { emit } from "../argo.ts";
import { LABEL, names, podSelector } from "../naming.ts";
import { OTLP_PORTS, otelCollectorConfig } from "../otel-config.ts";
import { restrictedContainer, restrictedPod } from "../pod-security.ts";
import { LIVENESS } from "../probes.ts";

export interface OtelCollectorProps {
  readonly catalog: Catalog;
  readonly region: RegionSettings;
  readonly labels: Readonly<Record<string, string>>;
}

/** Where the configuration is mounted in the collector's container. */
const CONFIG_DIR = "/etc/otelcol";
/** The collector's own metrics (its default telemetry port). */
const METRICS_PORT = 8888;

/**
 * A region's OpenTelemetry Collector as plain manifests: its configuration (ConfigMap), one
 * Deployment and a ClusterIP Service the engines' SDKs send to. The pod template carries the
 * configuration's digest, so a changed configuration rolls the collector instead of waiting for a
 * restart. The collector runs as a restricted pod: non-root, read-only root, no capabilities.
 */
export class OtelCollector extends Construct {
  /** DNS name the engines' SDKs export to (namespace-relative Service name). */
  readonly host: string;

  constructor(scope: Construct, id: string, props: OtelCollectorProps) {
    super(scope, id);
    const name = names.otelCollector;
    this.host = name;
    const t = props.catalog.tracing.collector;
    const config = stringify(otelCollectorConfig(props.catalog, props.region), { lineWidth: 0 });
    const labels = { ...props.labels, [LABEL.name]: name };
    const selector = podSelector(name);
    const resources = { cpu: String(t.resources.cpu), memory: t.resources.memory, "ephemeral-storage": t.resources.ephemeralStorage };
    emit(this, "config", new ConfigMap({ metadata: { name, labels }, data: { "config.yaml": config } }));
    // Its own identity, bound to nothing and without a token: the collector reads no Kubernetes API.
    emit(this, "account", new ServiceAccount({ metadata: { name, labels }, automountServiceAccountToken: false }));
    emit(this, "service", new Service({
      metadata: { name, labels },
      spec: {
        type: "ClusterIP",
        selector,
        ports: [
          { name: "otlp-grpc", port: OTLP_PORTS.grpc, targetPort: "otlp-grpc", protocol: "TCP", appProtocol: "grpc" },
          { name: "otlp-http", port: OTLP_PORTS.http, targetPort: "otlp-http", protocol: "TCP" },
        ],
      },
    }));
    emit(this, "deployment", new Deployment({
      metadata: { name, labels },
      spec: {
        replicas: t.replicas,
        selector: { matchLabels: selector },
        template: {
          metadata: {
            labels: selector,
            annotations: { "bitactor.io/config-sha256": createHash("sha256").update(config).digest("hex") },
          },
          spec: {
            serviceAccountName: name,
            automountServiceAccountToken: false,
            securityContext: restrictedPod(),
            containers: [
              {
                name,
                image: t.image,
                args: [`--config=file:${CONFIG_DIR}/config.yaml`],
                ports: [
                  { name: "otlp-grpc", containerPort: OTLP_PORTS.grpc, protocol: "TCP" },
                  { name: "otlp-http", containerPort: OTLP_PORTS.http, protocol: "TCP" },
                  { name: "metrics", containerPort: METRICS_PORT, protocol: "TCP" },
                ],
                // requests = limits: Guaranteed QoS; memory_limiter works in percent of this limit.
                resources: { requests: resources, limits: resources },
                // Ready while the receiver the engines' SDKs export to accepts connections. Liveness
                // (probes.ts) asks the other receiver, which no engine uses, and only after a minute
                // restarts a collector that accepts nothing: a restart drops every trace it holds.
                readinessProbe: { tcpSocket: { port: "otlp-grpc" }, periodSeconds: 5 },
                livenessProbe: { tcpSocket: { port: "otlp-http" }, ...LIVENESS },
                securityContext: restrictedContainer(),
                volumeMounts: [{ name: "config", mountPath: CONFIG_DIR, readOnly: true }],
              },
            ],
            volumes: [{ name: "config", configMap: { name } }],
          },
        },
      },
    }));
  }
}
