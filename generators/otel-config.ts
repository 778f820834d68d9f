import type { Catalog, RegionSettings } from "./inputs/types.ts";

/** Ports of the collector: OTLP over gRPC (4317) and HTTP (4318), the OTLP specification's defaults. */
export const OTLP_PORTS = { grpc: 4317, http: 4318 } as const;

/**
 * The OpenTelemetry Collector configuration of one region. Pipeline: OTLP in → memory_limiter
 * (refuses data before the collector runs out of memory; the engine's SDK then drops, it never
 * waits) → tail_sampling → batch → OTLP out to the region's tracing backend.
 *
 * Tail sampling keeps every trace with an error, every trace with a span slower than its
 * component's latency budget (span duration in nanoseconds, so sub-microsecond budgets work,
 * where the `latency` policy counts whole milliseconds), and `baselinePercent` of the rest.
 * Components are told apart by `service.name`, which each Rollout sets to the component id.
 */
export function otelCollectorConfig(catalog: Catalog, region: RegionSettings): Record<string, unknown> {
  const t = catalog.tracing.collector;
  const overBudget = Object.entries(catalog.components)
    .filter(([id]) => region.components[id])
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([id, c]) => `resource.attributes["service.name"] == "${id}" and span.end_time_unix_nano - span.start_time_unix_nano > ${c.budgetNs}`);
  return {
    receivers: {
      otlp: {
        protocols: {
          grpc: { endpoint: `0.0.0.0:${OTLP_PORTS.grpc}` },
          http: { endpoint: `0.0.0.0:${OTLP_PORTS.http}` },
        },
      },
    },
    processors: {
      // Percentages of the container's memory limit (the collector reads its cgroup limit).
      memory_limiter: { check_interval: "1s", limit_percentage: 80, spike_limit_percentage: 20 },
      tail_sampling: {
        decision_wait: `${t.decisionWaitSeconds}s`,
        num_traces: t.maxTraces,
        policies: [
          { name: "errors", type: "status_code", status_code: { status_codes: ["ERROR"] } },
          // error_mode propagate: a condition that cannot be evaluated is a collector error, not a silent "no".
          { name: "over-budget", type: "ottl_condition", ottl_condition: { error_mode: "propagate", span: overBudget } },
          { name: "baseline", type: "probabilistic", probabilistic: { sampling_percentage: t.baselinePercent } },
        ],
      },
      batch: { send_batch_size: 8192, timeout: "1s" },
    },
    exporters: {
      otlp: {
        endpoint: region.tracing.endpoint,
        tls: { insecure: !region.tracing.tls },
        sending_queue: { enabled: true, queue_size: 10000 },
        retry_on_failure: { enabled: true, max_elapsed_time: "60s" },
      },
    },
    service: {
      pipelines: {
        traces: { receivers: ["otlp"], processors: ["memory_limiter", "tail_sampling", "batch"], exporters: ["otlp"] },
      },
    },
  };
}

/**
 * The environment of an engine container that points its OpenTelemetry SDK at the region's
 * collector, with the sampling and queue bound that keep tracing off the hot path (OpenTelemetry
 * SDK environment variables specification).
 */
export function sdkEnvironment(catalog: Catalog, opts: { componentId: string; collectorHost: string; environment: string; region: RegionSettings }): { name: string; value: string }[] {
  return [
    { name: "OTEL_SERVICE_NAME", value: opts.componentId },
    { name: "OTEL_RESOURCE_ATTRIBUTES", value: `deployment.environment.name=${opts.environment},cloud.provider=${opts.region.cloud},cloud.region=${opts.region.region}` },
    { name: "OTEL_EXPORTER_OTLP_ENDPOINT", value: `http://${opts.collectorHost}:${OTLP_PORTS.grpc}` },
    { name: "OTEL_EXPORTER_OTLP_PROTOCOL", value: "grpc" },
    { name: "OTEL_TRACES_SAMPLER", value: "parentbased_traceidratio" },
    { name: "OTEL_TRACES_SAMPLER_ARG", value: String(catalog.tracing.headSamplingRatio) },
    { name: "OTEL_BSP_MAX_QUEUE_SIZE", value: String(catalog.tracing.sdkMaxQueueSize) },
  ];
}
