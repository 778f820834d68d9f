import type { LatencyReading, Target } from "./model.ts";

/**
 * Reads one target from the region's Prometheus with the gate's queries (HTTP API,
 * prometheus.io/docs/prometheus/latest/querying/api: `GET /api/v1/query`, 400 `bad_data` for a
 * query it cannot parse or evaluate). `samples` first, so an empty `share` (which the gate's query
 * returns below the sample floor) is told apart from no data at all.
 */
export async function readLatency(baseUrl: string, t: Target, timeoutMs: number): Promise<LatencyReading> {
  const samples = await instant(baseUrl, t.query.samples, timeoutMs);
  if (samples.kind !== "value") return samples.kind === "empty" ? { kind: "no-data" } : samples;
  if (!Number.isFinite(samples.value) || samples.value <= 0) return { kind: "no-data" };
  if (samples.value < t.minSamples) return { kind: "too-few-samples", samples: Math.floor(samples.value) };
  const share = await instant(baseUrl, t.query.share, timeoutMs);
  if (share.kind === "empty") return { kind: "too-few-samples", samples: Math.floor(samples.value) };
  if (share.kind !== "value") return share;
  // NaN (0/0) is no data, never a pass: the gate's own rule.
  if (!Number.isFinite(share.value)) return { kind: "no-data" };
  return { kind: "measured", share: share.value, samples: Math.floor(samples.value) };
}

type Instant =
  | { readonly kind: "value"; readonly value: number }
  | { readonly kind: "empty" }
  | { readonly kind: "rejected"; readonly message: string }
  | { readonly kind: "unreachable"; readonly message: string };

async function instant(baseUrl: string, query: string, timeoutMs: number): Promise<Instant> {
  const url = new URL("api/v1/query", baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`);
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ query, timeout: `${Math.max(1, Math.floor(timeoutMs / 1000))}s` }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    return { kind: "unreachable", message: `Prometheus at ${baseUrl} did not answer: ${(e as Error).message}` };
  }
  const text = await res.text();
  let body: { status?: string; errorType?: string; error?: string; data?: { resultType?: string; result?: { value?: [number, string] }[] } };
  try {
    body = JSON.parse(text);
  } catch {
    return { kind: "unreachable", message: `Prometheus at ${baseUrl} answered ${res.status} with no JSON` };
  }
  if (res.status === 400 || res.status === 422) return { kind: "rejected", message: `${body.errorType ?? res.status}: ${body.error ?? text.slice(0, 200)}` };
  if (!res.ok || body.status !== "success") return { kind: "unreachable", message: `Prometheus at ${baseUrl} answered ${res.status}: ${body.error ?? text.slice(0, 200)}` };
  if (body.data?.resultType !== "vector") return { kind: "rejected", message: `the query returns a ${body.data?.resultType}, not an instant vector` };
  const result = body.data.result ?? [];
  if (result.length === 0) return { kind: "empty" };
  if (result.length > 1) return { kind: "rejected", message: `the query returns ${result.length} series, not one` };
  return { kind: "value", value: Number(result[0]!.value![1]) };
}
