// The rendered OpenTelemetry Collectors, run by our collector build (tools/otelcol, v0.155.0):
// every region's configuration passes the collector's own `validate` (strict on unknown keys), and
// one region's collector, started on loopback with the rendered pipeline, keeps exactly the traces
// its tail sampling promises (errors, spans over their component's budget) and drops the rest but a
// small baseline. The only changes for the run: loopback ports, a local OTLP/HTTP sink instead of
// the region's backend, a 1 s decision wait, and no telemetry port.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { committedModel } from "./helpers/repo.ts";
import { withDir } from "./helpers/tmp.ts";
import { renderObjects } from "../generators/render.ts";
import { otelcol } from "../toolchain/cluster.ts";
import { Managed, freePorts, waitFor } from "../harness/cluster/process.ts";

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const model = await committedModel();
const objects = renderObjects(model);
const configs = objects.filter((o) => o.path.endsWith("/shared/configmap-otel-collector.yaml"));
const configOf = (path: string): Any => parse((objects.find((o) => o.path === path)!.object as Any).data["config.yaml"]);


test("every stage has a collector; every rendered configuration passes otelcol validate", async () => {
  const stages = model.environments.flatMap((e) => e.regions);
  assert.equal(configs.length, stages.length);
  await withDir("otelcol-", async (dir) => {
    for (const { path } of configs) {
      const f = join(dir, "config.yaml");
      await writeFile(f, stringify(configOf(path)));
      const r = spawnSync(otelcol(), ["validate", `--config=file:${f}`], { encoding: "utf8" });
      assert.equal(r.status, 0, `${path}: ${r.stderr}`);
    }
  });
});

test("a changed collector configuration rolls the collector: its pod template carries the configuration's sha256", () => {
  for (const { path, object } of configs) {
    const deployment = objects.find((o) => o.path === path.replace("configmap-otel-collector", "deployment-otel-collector"))!.object as Any;
    const config = (object as Any).data["config.yaml"] as string;
    assert.equal(deployment.spec.template.metadata.annotations["bitactor.io/config-sha256"], createHash("sha256").update(config).digest("hex"), path);
  }
});

test("otelcol validate rejects a misspelled key (the check can fail)", async () => {
  await withDir("otelcol-", async (dir) => {
    const c = configOf(configs[0]!.path);
    c.processors.tail_sampling.num_trace = c.processors.tail_sampling.num_traces;
    delete c.processors.tail_sampling.num_traces;
    await writeFile(join(dir, "config.yaml"), stringify(c));
    const r = spawnSync(otelcol(), ["validate", `--config=file:${join(dir, "config.yaml")}`], { encoding: "utf8" });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /invalid keys: num_trace/);
  });
});

test("the engines export to their stage's collector with head sampling and a bounded queue", () => {
  for (const { path, object } of objects.filter((o) => o.object.kind === "Rollout")) {
    const env = Object.fromEntries(((object.spec as Any).template.spec.containers[0].env as { name: string; value: string }[]).map((e) => [e.name, e.value]));
    assert.equal(env.OTEL_SERVICE_NAME, object.metadata.name, path);
    assert.equal(env.OTEL_EXPORTER_OTLP_ENDPOINT, "http://otel-collector:4317", path);
    assert.equal(env.OTEL_TRACES_SAMPLER, "parentbased_traceidratio");
    assert.equal(Number(env.OTEL_TRACES_SAMPLER_ARG), model.catalog.tracing.headSamplingRatio);
    assert.equal(Number(env.OTEL_BSP_MAX_QUEUE_SIZE), model.catalog.tracing.sdkMaxQueueSize);
    // The collector the SDK names is in the same stage (namespace-relative Service name).
    const stage = path.split("/").slice(0, 3).join("/");
    const svc = objects.find((o) => o.path === `${stage}/shared/service-otel-collector.yaml`)!.object as Any;
    assert.equal(svc.metadata.namespace, object.metadata.namespace);
    assert.ok(svc.spec.ports.some((p: Any) => p.port === 4317));
  }
});

/** One OTLP/JSON trace of one span. */
function trace(service: string, traceId: string, durationNs: number, error = false) {
  const start = 1_700_000_000_000_000_000n;
  return {
    resource: { attributes: [{ key: "service.name", value: { stringValue: service } }] },
    scopeSpans: [{
      scope: { name: "bitactor-e2e" },
      spans: [{
        traceId,
        spanId: traceId.slice(0, 16),
        name: "handle",
        kind: 1,
        startTimeUnixNano: String(start),
        endTimeUnixNano: String(start + BigInt(durationNs)),
        status: { code: error ? 2 : 0 },
      }],
    }],
  };
}

const hexId = (i: number, tag: number) => (tag.toString(16).padStart(4, "0") + i.toString(16).padStart(28, "0")).slice(0, 32);

async function runCollector(config: Any, send: (httpPort: number) => Promise<void>, expectTraces: (ids: Set<string>) => boolean): Promise<{ ids: Set<string>; log: string }> {
  return withDir("otelcol-", async (dir) => {
    const ids = new Set<string>();
    const sink = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        for (const rs of JSON.parse(body).resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) ids.add(s.traceId.toLowerCase());
        res.setHeader("content-type", "application/json");
        res.end("{}");
      });
    });
    await new Promise<void>((r) => sink.listen(0, "127.0.0.1", r));
    const sinkPort = (sink.address() as { port: number }).port;
    const [grpc, http] = await freePorts(2);
    const c = structuredClone(config);
    c.receivers.otlp.protocols.grpc.endpoint = `127.0.0.1:${grpc}`;
    c.receivers.otlp.protocols.http.endpoint = `127.0.0.1:${http}`;
    c.processors.tail_sampling.decision_wait = "1s";
    c.exporters = { otlphttp: { endpoint: `http://127.0.0.1:${sinkPort}`, encoding: "json", compression: "none" } };
    c.service.pipelines.traces.exporters = ["otlphttp"];
    c.service.telemetry = { metrics: { level: "none" } };
    await writeFile(join(dir, "config.yaml"), stringify(c));
    const collector = new Managed("otelcol", otelcol(), [`--config=file:${join(dir, "config.yaml")}`], join(dir, "otelcol.log"));
    try {
      await waitFor("collector", async () => (await fetch(`http://127.0.0.1:${http}/v1/traces`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).ok, () => collector.running, () => collector.tail(), 30_000);
      await send(http);
      const end = Date.now() + 20_000;
      while (!expectTraces(ids) && Date.now() < end) await new Promise((r) => setTimeout(r, 250));
      // Let stragglers arrive: anything sampled by mistake must have the chance to show up.
      await new Promise((r) => setTimeout(r, 2500));
      return { ids, log: collector.tail(40) };
    } finally {
      await collector.stop();
      sink.close();
    }
  });
}

test("tail sampling keeps errors and spans over their component's budget, and only a baseline of the rest", async () => {
  const path = "rollouts/production/us-east-1/shared/configmap-otel-collector.yaml";
  const config = configOf(path);
  const components = model.catalog.components;
  const must: string[] = [];
  const fast: string[] = [];
  const batches: Any[] = [];
  Object.entries(components).forEach(([id, c], k) => {
    const over = hexId(k, 0xa000);
    must.push(over);
    batches.push(trace(id, over, c.budgetNs + 1)); // 1 ns over the budget
    const err = hexId(k, 0xb000);
    must.push(err);
    batches.push(trace(id, err, Math.floor(c.budgetNs / 2), true)); // fast but failed
    for (let i = 0; i < 40; i++) {
      const id2 = hexId(k * 100 + i, 0xc000);
      fast.push(id2);
      batches.push(trace(id, id2, i === 0 ? c.budgetNs : Math.floor((c.budgetNs * (i + 1)) / 50))); // at or under budget
    }
  });
  const { ids, log } = await runCollector(config, async (port) => {
    const r = await fetch(`http://127.0.0.1:${port}/v1/traces`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ resourceSpans: batches }) });
    assert.equal(r.status, 200, await r.text());
  }, (got) => must.every((m) => got.has(m)));
  for (const m of must) assert.ok(ids.has(m), `trace ${m} (slow or failed) was not kept\n${log}`);
  const keptFast = fast.filter((f) => ids.has(f)).length;
  // The baseline is 1 %: of 200 ordinary traces a handful at most (the probabilistic policy hashes trace ids).
  assert.ok(keptFast <= 10, `${keptFast} of ${fast.length} ordinary traces kept\n${log}`);
  assert.equal(model.catalog.tracing.collector.baselinePercent, 1);
});

test("a collector whose over-budget condition does not compile refuses to start (the run can fail)", async () => {
  const config = configOf(configs[0]!.path);
  config.processors.tail_sampling.policies[1].ottl_condition.span[0] = config.processors.tail_sampling.policies[1].ottl_condition.span[0].replace("span.end_time_unix_nano", "span.end_tme");
  await withDir("otelcol-", async (dir) => {
    await writeFile(join(dir, "config.yaml"), stringify({ ...config, service: { ...config.service, telemetry: { metrics: { level: "none" } } }, receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:0" } } } } }));
    const r = spawnSync(otelcol(), [`--config=file:${join(dir, "config.yaml")}`], { encoding: "utf8", timeout: 30_000 });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /end_tme/);
  });
});
