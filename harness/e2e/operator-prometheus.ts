/**
 * The gate's Prometheus as prometheus-operator configures it. The real operator (the add-on release,
 * toolchain/cluster.ts prometheusOperator) runs against the stage's API server and turns the rendered
 * Prometheus, PodMonitors and PrometheusRules into its Secret `prometheus-<name>` (prometheus.yaml.gz)
 * and ConfigMaps `prometheus-<name>-rulefiles-<n>`, as in a cluster. In a cluster the operator's
 * config reloader copies them into the Prometheus pod and reloads it; kwok's pods run nothing, so
 * this does the reloader's job for a Prometheus process beside the API server (configSync).
 *
 * What it changes in the generated configuration, and only that (`harnessConfig`), because the
 * process runs outside a pod: Kubernetes discovery reads the API server through a kubeconfig
 * instead of the in-cluster account; scraped addresses are the latency fixture's, told apart by
 * pod, as kwok's pod IPs are fakes; rule files are read from where this writes the ConfigMaps; the
 * pod's variables (`$(POD_NAME)`, `$(SHARD)`) are filled in as the reloader's envsubst does; remote
 * writes to the region's managed store (Amazon Managed Prometheus) are left out, as that store is
 * out of reach here and the e2e's gate reads this Prometheus. Every selection, relabelling, rule
 * and interval is the operator's.
 */
import { gunzipSync } from "node:zlib";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import type { KubeClient } from "../cluster/client.ts";

type Json = Record<string, unknown>;

/** Where the operator writes rule files in the pod (pkg/prometheus/common.go RulesDir). */
export const OPERATOR_RULES_DIR = "/etc/prometheus/rules";
/** The generated configuration's key in the operator's Secret (pkg/prometheus/common.go ConfigFilename). */
export const OPERATOR_CONFIG_KEY = "prometheus.yaml.gz";

/** The Prometheus object the operator reads, by namespace and name. */
export interface OperatorPrometheusRef {
  readonly namespace: string;
  readonly name: string;
}

export interface HarnessPlaces {
  /** The kubeconfig Kubernetes discovery reads the API server with. */
  readonly kubeconfig: string;
  /** host:port of the latency fixture, which serves `/metrics?pod=<name>` for every pod. */
  readonly fixtureAddress: string;
  /** Where the rule ConfigMaps are written, one folder per ConfigMap as the pod mounts them. */
  readonly rulesDir: string;
  /** The pod name the reloader would put into `$(POD_NAME)`. */
  readonly podName: string;
}

/** The operator's generated configuration, changed only where a process outside a pod must differ (see the file comment). */
export function harnessConfig(generated: Json, places: HarnessPlaces): Json {
  const scrapeConfigs = Array.isArray(generated.scrape_configs) ? (generated.scrape_configs as Json[]) : [];
  for (const sc of scrapeConfigs) {
    const sd = Array.isArray(sc.kubernetes_sd_configs) ? (sc.kubernetes_sd_configs as Json[]) : [];
    if (sd.length === 0) throw new Error(`job ${String(sc.job_name)}: no kubernetes_sd_configs; the harness serves only what PodMonitors generate`);
    if (sd.some((d) => d.api_server !== undefined)) throw new Error(`job ${String(sc.job_name)}: kubernetes_sd_configs names an api_server; the harness only replaces the in-cluster one`);
  }
  // The reloader's envsubst fills the pod's variables in (cmd/prometheus-config-reloader: $(POD_NAME)
  // in the replica label, $(SHARD) in the sharding rules); this runs the first and only shard.
  const env: Record<string, string> = { POD_NAME: places.podName, SHARD: "0" };
  const substituted = JSON.parse(JSON.stringify(generated), (_k, v: unknown) => (typeof v === "string" ? v.replace(/\$\(([A-Z_]+)\)/g, (all, name: string) => env[name] ?? all) : v)) as Json;
  const { remote_write: _unreachable, ...local } = substituted;
  return {
    ...local,
    ...(Array.isArray(generated.rule_files)
      ? { rule_files: (generated.rule_files as string[]).map((f) => (f.startsWith(`${OPERATOR_RULES_DIR}/`) ? join(places.rulesDir, f.slice(OPERATOR_RULES_DIR.length + 1)) : f)) }
      : {}),
    scrape_configs: (substituted.scrape_configs as Json[] | undefined ?? []).map((sc) => ({
      ...sc,
      kubernetes_sd_configs: (sc.kubernetes_sd_configs as Json[]).map((d) => ({ ...d, kubeconfig_file: places.kubeconfig })),
      // Last, after every label is set: they touch no label that is kept.
      relabel_configs: [
        ...((sc.relabel_configs as Json[] | undefined) ?? []),
        { source_labels: ["__meta_kubernetes_pod_name"], target_label: "__param_pod" },
        { target_label: "__address__", replacement: places.fixtureAddress },
      ],
    })),
  };
}

/** The jobs of a configuration (what the harness waits for: one per PodMonitor endpoint). */
export const scrapeJobs = (config: Json): string[] =>
  (Array.isArray(config.scrape_configs) ? (config.scrape_configs as Json[]) : []).map((s) => String(s.job_name));

export interface ConfigSync {
  /** The jobs of the configuration Prometheus last loaded (empty before the first). */
  jobs(): readonly string[];
  /** The rule files' names Prometheus last loaded. */
  ruleFiles(): readonly string[];
  /** The last failure, if the last round failed (shown when a wait times out). */
  lastError(): string | undefined;
  stop(): void;
}

/**
 * Every second: read the operator's Secret and rule ConfigMaps for `ref`, write what changed into
 * `configFile` and `places.rulesDir` (<configmap>/<key>), and ask Prometheus to reload
 * (`POST /-/reload`, --web.enable-lifecycle), as prometheus-config-reloader does in the pod.
 */
export function startConfigSync(client: KubeClient, ref: OperatorPrometheusRef, configFile: string, prometheusUrl: string, places: HarnessPlaces): ConfigSync {
  const rulesDir = places.rulesDir;
  mkdirSync(rulesDir, { recursive: true });
  let last = "";
  let jobs: string[] = [];
  let ruleFiles: string[] = [];
  let error: string | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const round = async () => {
    const secret = await client.request("GET", `/api/v1/namespaces/${ref.namespace}/secrets/prometheus-${ref.name}`);
    if (secret.status === 404) {
      error = `no Secret ${ref.namespace}/prometheus-${ref.name} yet (the operator writes it once it has reconciled the Prometheus)`;
      return;
    }
    if (secret.status !== 200) throw new Error(`GET Secret ${ref.namespace}/prometheus-${ref.name}: HTTP ${secret.status}`);
    const gz = (secret.body as { data?: Record<string, string> }).data?.[OPERATOR_CONFIG_KEY];
    if (!gz) throw new Error(`Secret ${ref.namespace}/prometheus-${ref.name} has no ${OPERATOR_CONFIG_KEY}`);
    const generated = parse(gunzipSync(Buffer.from(gz, "base64")).toString("utf8")) as Json;
    const list = await client.request("GET", `/api/v1/namespaces/${ref.namespace}/configmaps`);
    if (list.status !== 200) throw new Error(`GET ConfigMaps in ${ref.namespace}: HTTP ${list.status}`);
    const prefix = `prometheus-${ref.name}-rulefiles-`;
    const maps = ((list.body as { items: { metadata: { name: string }; data?: Record<string, string> }[] }).items)
      .filter((c) => c.metadata.name.startsWith(prefix))
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    const config = harnessConfig(generated, places);
    const text = stringify(config, { lineWidth: 0 });
    const state = JSON.stringify([text, maps.map((m) => [m.metadata.name, m.data ?? {}])]);
    error = undefined;
    if (state === last) return;
    rmSync(rulesDir, { recursive: true, force: true });
    for (const m of maps) {
      mkdirSync(join(rulesDir, m.metadata.name), { recursive: true });
      for (const [key, value] of Object.entries(m.data ?? {})) writeFileSync(join(rulesDir, m.metadata.name, key), value);
    }
    writeFileSync(configFile, text);
    const reload = await fetch(`${prometheusUrl}/-/reload`, { method: "POST" });
    if (!reload.ok) throw new Error(`Prometheus refused the operator's configuration: HTTP ${reload.status} ${await reload.text()}`);
    last = state;
    jobs = scrapeJobs(config);
    ruleFiles = maps.flatMap((m) => readdirSync(join(rulesDir, m.metadata.name)));
  };
  const tick = () => {
    if (stopped) return;
    round().catch((e: Error) => { error = e.message; }).finally(() => { if (!stopped) timer = setTimeout(tick, 1000); });
  };
  tick();
  return {
    jobs: () => jobs,
    ruleFiles: () => ruleFiles,
    lastError: () => error,
    stop: () => { stopped = true; if (timer) clearTimeout(timer); },
  };
}
