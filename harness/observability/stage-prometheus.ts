import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { Managed, freePorts, removeOnExit, waitFor } from "../cluster/process.ts";
import { prometheusConfig, type PodMonitorShape } from "./pod-monitor-config.ts";
import { prometheus } from "../../toolchain/cluster.ts";

/** A rule group as a PrometheusRule holds it (and as a Prometheus rule file does). */
export interface RuleGroup {
  readonly name: string;
  readonly interval?: string;
  readonly rules: readonly Record<string, unknown>[];
}

export interface StagePrometheus {
  readonly url: string;
  /** Runs an instant query; throws with Prometheus' own error text when the query is refused. */
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  /** `/api/v1/<path>`'s data. */
  api<T>(path: string): Promise<T>;
  stop(): Promise<void>;
}

/**
 * Prometheus 3 (tools/versions.json) on loopback, scraping a stage the way prometheus-operator would configure it
 * for the rendered PodMonitors (the e2e's `prometheusConfig`), and evaluating the rendered rule
 * groups. `ruleInterval` replaces every group's interval: the rules are what is tested, and a 1 s
 * interval makes their series exist within seconds instead of minutes. A PodMonitor that names no
 * interval (the add-ons', addon-scrapes.ts) is scraped every second for the same reason, where the
 * real one takes prometheus-operator's default. A temp dir holds its data
 * and is removed on stop, on exit and on Ctrl-C.
 */
export async function startStagePrometheus(opts: {
  readonly podMonitors: readonly PodMonitorShape[];
  readonly ruleGroups: readonly RuleGroup[];
  readonly targetsAddress: string;
  readonly ruleInterval: string;
}): Promise<StagePrometheus> {
  const dir = mkdtempSync(join(tmpdir(), "bitactor-prometheus-"));
  const cleanup = removeOnExit(dir);
  const [port] = await freePorts(1);
  const scrape = opts.podMonitors.flatMap((m) => (prometheusConfig(m, opts.targetsAddress) as { scrape_configs: unknown[] }).scrape_configs);
  writeFileSync(join(dir, "rules.yml"), stringify({ groups: opts.ruleGroups.map((g) => ({ ...g, interval: opts.ruleInterval })) }, { lineWidth: 0 }));
  writeFileSync(join(dir, "prometheus.yml"), stringify({ global: { evaluation_interval: opts.ruleInterval, scrape_interval: "1s", scrape_timeout: "1s" }, rule_files: [join(dir, "rules.yml")], scrape_configs: scrape }, { lineWidth: 0 }));
  mkdirSync(join(dir, "data"));
  const server = new Managed("prometheus", prometheus(), [
    `--config.file=${join(dir, "prometheus.yml")}`,
    `--storage.tsdb.path=${join(dir, "data")}`,
    `--web.listen-address=127.0.0.1:${port}`,
    "--storage.tsdb.retention.time=1h",
  ], join(dir, "prometheus.log"));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
    cleanup.release();
  };
  try {
    await waitFor("Prometheus", async () => (await fetch(`${url}/-/ready`)).ok, () => server.running, () => server.tail());
  } catch (e) {
    await stop();
    throw e;
  }
  const api = async <T>(path: string): Promise<T> => {
    const r = await fetch(`${url}/api/v1/${path}`);
    const body = (await r.json()) as { status: string; data: T; error?: string; errorType?: string };
    if (body.status !== "success") throw new Error(`${path}: ${body.errorType}: ${body.error}`);
    return body.data;
  };
  return {
    url,
    api,
    query: async (expr) => (await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(`query?query=${encodeURIComponent(expr)}`)).result,
    stop,
  };
}
