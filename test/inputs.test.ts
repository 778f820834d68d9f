// Broken inputs: each gives a clear error (file:line:column, field, what is allowed) and writes nothing.
// Over 300 lines: one table of broken inputs, a few lines each; it is the catalogue of located errors and reads as a list.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, rm, writeFile } from "node:fs/promises";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ROOT, edit, removeRepo, scratchRepo, treeDigest, committedModel } from "./helpers/repo.ts";
import { renderCommand } from "../lib/render.ts";
import { InputValidationError, type InputError } from "../generators/inputs/errors.ts";

const US_EAST_1 = "environments/production/regions/us-east-1.yaml";
const CATALOG = "engine/catalog.yaml";
const WAVES = "environments/waves.yaml";
const ASIA_EAST2 = "environments/production/regions/asia-east2.yaml";
const MACHINES = "engine/machines.yaml";
const ADDONS = "engine/addons.yaml";
const VERSIONS = "tools/versions.json";
const SEA = "environments/production/regions/southeastasia.yaml";

interface Case {
  readonly name: string;
  readonly mutate: (dir: string) => Promise<void>;
  /** Every expected error; `line` is found as the first line containing `lineOf` in the mutated file. */
  readonly expect: readonly { file: string; field: string; message: RegExp; lineOf?: string; column?: number }[];
}

const replace = (file: string, from: string, to: string) => (dir: string) =>
  edit(dir, file, (t) => {
    assert.ok(t.includes(from), `fixture: ${from} not in ${file}`);
    return t.replace(from, to);
  });

const cases: Case[] = [
  {
    name: "wrong type",
    mutate: replace(US_EAST_1, "  order-engine:\n    version: 4.12.0\n    digest:", "  order-engine:\n    version: 4.12\n    digest:"),
    expect: [{ file: US_EAST_1, field: "/components/order-engine/version", message: /must be of type string \(got 4\.12\)/, lineOf: "version: 4.12\n", column: 14 }],
  },
  {
    name: "unknown key (misspelled)",
    mutate: replace(US_EAST_1, "    replicas: 3\n  risk-engine:", "    replicas: 3\n    replica: 2\n  risk-engine:"),
    expect: [{ file: US_EAST_1, field: "/components/order-engine/replica", message: /unknown key "replica"; allowed keys: version, digest, replicas/, lineOf: "replica: 2", column: 5 }],
  },
  {
    name: "duplicate region",
    mutate: async (dir) => writeFile(join(dir, "environments/production/regions/us-east-1-copy.yaml"), await readFile(join(dir, US_EAST_1), "utf8")),
    expect: [
      { file: "environments/production/regions/us-east-1-copy.yaml", field: "/region", message: /"us-east-1" must equal the file name "us-east-1-copy"/, lineOf: "region: us-east-1" },
      { file: "environments/production/regions/us-east-1.yaml", field: "/region", message: /duplicate region "us-east-1": already defined in environments\/production\/regions\/us-east-1-copy\.yaml/, lineOf: "region: us-east-1" },
    ],
  },
  {
    name: "budget with no matching bucket",
    mutate: replace(CATALOG, "budgetNs: 1000\n", "budgetNs: 1200\n"),
    expect: [{ file: CATALOG, field: "/components/order-engine/budgetNs", message: /budget 1200 ns has no matching bucket; add 1200 to metric\.bucketsNs/, lineOf: "budgetNs: 1200" }],
  },
  {
    name: "unknown component",
    mutate: replace(US_EAST_1, "  order-engine:\n", "  order-engin:\n"),
    expect: [{ file: US_EAST_1, field: "/components/order-engin", message: /unknown component "order-engin"; allowed: market-data-handler, order-engine, risk-engine, alpha-calculator, execution-gateway/, lineOf: "order-engin:" }],
  },
  {
    name: "bad YAML (indentation)",
    mutate: replace(US_EAST_1, "cloud: aws\n", "cloud: aws\n  oops: [\n"),
    expect: [{ file: US_EAST_1, field: "", message: /^invalid YAML: Nested mappings are not allowed in compact mappings/, lineOf: "cloud: aws", column: 8 }],
  },
  {
    name: "duplicate key in one map",
    mutate: replace(US_EAST_1, "cloud: aws\n", "cloud: aws\ncloud: gcp\n"),
    expect: [{ file: US_EAST_1, field: "", message: /invalid YAML: Map keys must be unique/, lineOf: "cloud: gcp" }],
  },
  {
    name: "value outside an enum",
    mutate: replace(US_EAST_1, "cloud: aws\n", "cloud: oracle\n"),
    expect: [{ file: US_EAST_1, field: "/cloud", message: /must be one of: "aws", "gcp", "azure" \(got "oracle"\)/, lineOf: "cloud: oracle" }],
  },
  {
    name: "scrape interval the gate's windows cannot use",
    mutate: replace(CATALOG, "scrapeIntervalSeconds: 1\n", "scrapeIntervalSeconds: 60\n"),
    expect: [{ file: CATALOG, field: "/scrapeIntervalSeconds", message: /must be <= 15 \(got 60\)/, lineOf: "scrapeIntervalSeconds: 60" }],
  },
  {
    name: "business gauges exported by a component that does not exist",
    mutate: replace(CATALOG, "exporter: risk-engine", "exporter: risk-enigne"),
    expect: [{ file: CATALOG, field: "/businessMetrics/exporter", message: /unknown component "risk-enigne"; allowed: market-data-handler, order-engine/, lineOf: "exporter: risk-enigne" }],
  },
  {
    name: "two metric labels with one name",
    mutate: replace(CATALOG, "venueLabel: venue", "venueLabel: namespace"),
    expect: [{ file: CATALOG, field: "/venueLabel", message: /"namespace" is already namespaceLabel; every label needs its own name/, lineOf: "venueLabel: namespace" }],
  },
  {
    name: "a burn-rate alert whose short window is not shorter than its long one",
    mutate: replace(CATALOG, "longWindow: 1h, shortWindow: 5m", "longWindow: 1h, shortWindow: 2h"),
    expect: [{ file: CATALOG, field: "/slo/burnRateAlerts/0/shortWindow", message: /2h must be shorter than longWindow 1h/, lineOf: "shortWindow: 2h" }],
  },
  {
    name: "a burn-rate window that is not a Prometheus duration",
    mutate: replace(CATALOG, "longWindow: 6h", "longWindow: 6 hours"),
    expect: [{ file: CATALOG, field: "/slo/burnRateAlerts/1/longWindow", message: /must match/, lineOf: "longWindow: 6 hours" }],
  },
  {
    name: "a latency SLO of 100 % (no error budget to burn)",
    mutate: replace(CATALOG, "latencyObjective: 0.999", "latencyObjective: 1"),
    expect: [{ file: CATALOG, field: "/slo/latencyObjective", message: /must be < 1/, lineOf: "latencyObjective: 1" }],
  },
  {
    name: "a component without its events and errors counters",
    mutate: (dir) => edit(dir, CATALOG, (t) => t.replace(/    counters:\n      events: bitactor_order_engine_orders_total\n      errors: bitactor_order_engine_errors_total\n      eventUnit: orders\n/, "")),
    expect: [{ file: CATALOG, field: "/components/order-engine", message: /missing required key "counters"/, lineOf: "    description: Matches and manages orders" }],
  },
  {
    name: "a Grafana address without TLS",
    mutate: replace(US_EAST_1, "url: https://grafana.bitactor-prod-use1", "url: http://grafana.bitactor-prod-use1"),
    expect: [{ file: US_EAST_1, field: "/grafana/url", message: /must match/, lineOf: "url: http://grafana" }],
  },
  {
    name: "a network flow to a component that does not exist",
    mutate: replace(CATALOG, "{ from: order-engine, to: risk-engine }", "{ from: order-engine, to: risk-engien }"),
    expect: [{ file: CATALOG, field: "/flows/1/to", message: /unknown component "risk-engien"/, lineOf: "{ from: order-engine, to: risk-engien }" }],
  },
  {
    name: "an exchange subnet that is not a CIDR",
    mutate: replace(US_EAST_1, "cidrs: [10.64.1.0/24]", "cidrs: [10.64.1.0/33]"),
    expect: [{ file: US_EAST_1, field: "/exchanges/0/cidrs/0", message: /must match/, lineOf: "cidrs: [10.64.1.0/33]" }],
  },
  {
    name: "a capability beyond what kernel-bypass networking needs",
    mutate: replace(CATALOG, "addCapabilities: [IPC_LOCK, NET_RAW]", "addCapabilities: [IPC_LOCK, SYS_ADMIN]"),
    expect: [{ file: CATALOG, field: "/components/market-data-handler/security/addCapabilities/1", message: /must be one of: "IPC_LOCK", "NET_RAW", "SYS_NICE" \(got "SYS_ADMIN"\)/, lineOf: "addCapabilities: [IPC_LOCK, SYS_ADMIN]" }],
  },
  {
    name: "missing required key",
    mutate: (dir) => edit(dir, US_EAST_1, (t) => t.replace(/\n  order-engine:\n    version: 4\.12\.0\n    digest: sha256:[0-9a-f]+\n/, "\n  order-engine:\n    version: 4.12.0\n")),
    expect: [{ file: US_EAST_1, field: "/components/order-engine", message: /missing required key "digest"/, lineOf: "    version: 4.12.0\n    replicas" }],
  },
  {
    name: "image digest that is not a digest",
    mutate: (dir) => edit(dir, US_EAST_1, (t) => t.replace(/digest: sha256:[0-9a-f]+\n    replicas: 3\n  risk-engine/, "digest: latest\n    replicas: 3\n  risk-engine")),
    expect: [{ file: US_EAST_1, field: "/components/order-engine/digest", message: /must match \^sha256:\[a-f0-9\]\{64\}\$ \(got "latest"\)/, lineOf: "digest: latest" }],
  },
  {
    name: "SigV4 credentials for a Prometheus Argo would not sign for",
    mutate: replace(US_EAST_1, "address: https://aps-workspaces.us-east-1.amazonaws.com/workspaces/", "address: https://prometheus.example.internal/workspaces/"),
    expect: [{ file: US_EAST_1, field: "/prometheus/authentication/sigv4", message: /sigv4 is only used by Argo Rollouts for Amazon Managed Prometheus addresses/, lineOf: "    sigv4:" }],
  },
  {
    name: "exchanges handed to an operator the region does not run",
    mutate: replace(US_EAST_1, "\ncomponents:\n", "\nexchangeAccess: operator\ncomponents:\n"),
    expect: [{ file: US_EAST_1, field: "/exchangeAccess", message: /"operator" needs the operator running in this region, and none is pinned: without it no policy would ever open the exchanges; pin it first \(npm run promote -- bitactor-operator\) or use "components"/, lineOf: "exchangeAccess: operator" }],
  },
  {
    name: "exchange access by someone else",
    mutate: replace(US_EAST_1, "\ncomponents:\n", "\nexchangeAccess: gateway\ncomponents:\n"),
    expect: [{ file: US_EAST_1, field: "/exchangeAccess", message: /must be one of: "components", "operator" \(got "gateway"\)/, lineOf: "exchangeAccess: gateway" }],
  },
  {
    name: "old stack scaled down before the post-promotion analysis ends",
    mutate: replace("environments/production/environment.yaml", "scaleDownDelaySeconds: 900", "scaleDownDelaySeconds: 120"),
    expect: [
      "alpha-calculator", "execution-gateway", "market-data-handler", "order-engine", "risk-engine",
    ].map((c) => ({ file: "environments/production/environment.yaml", field: "/scaleDownDelaySeconds", message: new RegExp(`must be ≥ 360: ${c}'s post-promotion analysis takes 300 s`), lineOf: "scaleDownDelaySeconds: 120" })),
  },
  {
    name: "a sample floor the load can never reach",
    mutate: replace(CATALOG, "      ratePerSecond: 200000\n", "      ratePerSecond: 10000\n"),
    expect: [{ file: CATALOG, field: "/components/order-engine/prePromotion/minSamplesPerMeasurement", message: /500000 can never be reached: the load sends 10000\/s × 30 s = 300000 per window/ }],
  },
  {
    name: "a sample floor too small to judge a p99",
    mutate: replace(CATALOG, "      minSamplesPerMeasurement: 50000\n", "      minSamplesPerMeasurement: 500\n"),
    expect: [{ file: CATALOG, field: "/components/order-engine/postPromotion/minSamplesPerMeasurement", message: /must be ≥ 10000: with fewer observations/ }],
  },
  {
    name: "a file where no input belongs",
    mutate: async (dir) => writeFile(join(dir, "environments/production/us-east-3.yaml"), "region: us-east-3\n"),
    expect: [{ file: "environments/production/us-east-3.yaml", field: "", message: /unexpected input file; inputs are engine\/catalog\.yaml, engine\/machines\.yaml, engine\/addons\.yaml, environments\/waves\.yaml, environments\/<env>\/environment\.yaml and environments\/<env>\/regions\/<region>\.yaml \(and tools\/versions\.json.s add-on releases\)/ }],
  },
  {
    name: "a chaos probe window too short for a rate over 1 s scrapes",
    mutate: replace("environments/staging/environment.yaml", "  probeWindow: 1m\n", "  probeWindow: 10s\n"),
    expect: [{ file: "environments/staging/environment.yaml", field: "/chaos/probeWindow", message: /must match \^\(\[3-9\]\[0-9\]s\|\[1-9\]\[0-9\]\*m\)\$ \(got "10s"\)/, lineOf: "  probeWindow: 10s" }],
  },
  {
    name: "a chaos image by tag",
    mutate: replace("environments/staging/environment.yaml", "  triggerImage: registry.bitactor.internal/tools/kubectl@sha256:2c9e8d7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d\n", "  triggerImage: bitnami/kubectl:latest\n"),
    expect: [{ file: "environments/staging/environment.yaml", field: "/chaos/triggerImage", message: /must match .*@sha256.* \(got "bitnami\/kubectl:latest"\)/, lineOf: "  triggerImage:" }],
  },
  {
    name: "spot capacity in production",
    mutate: replace("environments/production/environment.yaml", "capacityTypes: [on-demand]\n", "capacityTypes: [spot, on-demand]\n"),
    expect: [{ file: "environments/production/environment.yaml", field: "/capacityTypes/0", message: /spot is not allowed in production: a reclaim gives two minutes' notice/, lineOf: "capacityTypes:" }],
  },
  {
    name: "an AWS region without Karpenter settings",
    mutate: replace(US_EAST_1, "karpenter:\n  nodeRole: KarpenterNodeRole-bitactor-prod-use1\n  amiAlias: al2023@v20261112\n", ""),
    expect: [{ file: US_EAST_1, field: "/cloud", message: /a aws region needs karpenter: \{ nodeRole, amiAlias \}/, lineOf: "cloud: aws" }],
  },
  {
    name: "Karpenter settings in a GCP region",
    mutate: replace("environments/production/regions/asia-east2.yaml", "components:\n", "karpenter:\n  nodeRole: KarpenterNodeRole-x\n  amiAlias: al2023@v20261112\ncomponents:\n"),
    expect: [{ file: "environments/production/regions/asia-east2.yaml", field: "/karpenter", message: /unused: gcp regions run on the cluster's own node pools, not Karpenter; remove it/, lineOf: "karpenter:" }],
  },
  {
    name: "an AMI that floats",
    mutate: replace(US_EAST_1, "amiAlias: al2023@v20261112", "amiAlias: al2023@latest"),
    expect: [{ file: US_EAST_1, field: "/karpenter/amiAlias", message: /must match \^al2023@v\[0-9\]\{8\}\$ \(got "al2023@latest"\)/, lineOf: "amiAlias:" }],
  },
  {
    name: "isolated CPUs that overlap the system's",
    mutate: replace(CATALOG, 'isolatedCpus: "0-7"', 'isolatedCpus: "0-8"'),
    expect: [{ file: CATALOG, field: "/nodeTuning/isolatedCpus", message: /CPUs 8 are also in reservedSystemCpus \(8-9\); the two sets must not overlap/, lineOf: "isolatedCpus:" }],
  },
  {
    name: "a CPU range that runs backwards",
    mutate: replace(CATALOG, 'reservedSystemCpus: "8-9"', 'reservedSystemCpus: "9-8"'),
    expect: [{ file: CATALOG, field: "/nodeTuning/reservedSystemCpus", message: /"9-8" is not a CPU or an ascending range/, lineOf: "reservedSystemCpus:" }],
  },
  {
    name: "a topology manager policy that would run pods misaligned",
    mutate: replace(CATALOG, "topologyManagerPolicy: single-numa-node", "topologyManagerPolicy: best-effort"),
    expect: [{ file: CATALOG, field: "/nodeTuning/topologyManagerPolicy", message: /must be one of: "single-numa-node", "restricted" \(got "best-effort"\)/, lineOf: "topologyManagerPolicy:" }],
  },
  {
    name: "an accelerated network the catalog does not define",
    mutate: replace(CATALOG, "    acceleratedNetworks: [exchange]\n", "    acceleratedNetworks: [exchnage]\n"),
    expect: [{ file: CATALOG, field: "/components/market-data-handler/acceleratedNetworks/0", message: /unknown accelerated network "exchnage"; allowed: exchange/, lineOf: "acceleratedNetworks: [exchnage]" }],
  },
  {
    name: "a VF polled with DPDK but no IPC_LOCK",
    mutate: replace(CATALOG, "      addCapabilities: [IPC_LOCK, NET_RAW]\n    # One VF", "      addCapabilities: [NET_RAW]\n    # One VF"),
    expect: [{ file: CATALOG, field: "/components/market-data-handler/security/addCapabilities", message: /needs IPC_LOCK/, lineOf: "addCapabilities: [NET_RAW]" }],
  },
  {
    name: "a backup schedule that leaves 30 minutes between backups",
    mutate: replace("environments/production/environment.yaml", 'schedule: "*/15 * * * *"', 'schedule: "*/30 * * * *"'),
    expect: [{ file: "environments/production/environment.yaml", field: "/backup/schedule", message: /"\*\/30 \* \* \* \*" leaves 30 minutes between backups; at most 15/, lineOf: "schedule:" }],
  },
  {
    name: "a restore drill RTO under a minute",
    mutate: replace("environments/production/environment.yaml", "    rtoSeconds: 300\n", "    rtoSeconds: 30\n"),
    expect: [{ file: "environments/production/environment.yaml", field: "/backup/drill/rtoSeconds", message: /must be >= 60/, lineOf: "    rtoSeconds: 30" }],
  },
  {
    name: "a misspelled restore drill field",
    mutate: replace("environments/staging/environment.yaml", "    rtoSeconds: 300\n", "    rtoSecond: 300\n"),
    expect: [
      { file: "environments/staging/environment.yaml", field: "/backup/drill/rtoSecond", message: /unknown key "rtoSecond"; allowed keys: schedule, rtoSeconds, image, pushgateway/, lineOf: "    rtoSecond: 300" },
      { file: "environments/staging/environment.yaml", field: "/backup/drill", message: /missing required key "rtoSeconds"/, lineOf: "    schedule: \"0 6 1" },
    ],
  },
  {
    name: "a Pushgateway address with a path (the drill appends /metrics/job/...)",
    mutate: replace("environments/staging/environment.yaml", "pushgateway: http://prometheus-pushgateway.monitoring.svc.cluster.local:9091\n", "pushgateway: http://prometheus-pushgateway.monitoring.svc.cluster.local:9091/metrics\n"),
    expect: [{ file: "environments/staging/environment.yaml", field: "/backup/drill/pushgateway", message: /must match/, lineOf: "    pushgateway:" }],
  },
  {
    name: "a Pushgateway by an outside name (the drill's NetworkPolicy opens its port in the namespace its in-cluster name gives)",
    mutate: replace("environments/staging/environment.yaml", "pushgateway: http://prometheus-pushgateway.monitoring.svc.cluster.local:9091\n", "pushgateway: http://pushgateway.bitactor.internal:9091\n"),
    expect: [{ file: "environments/staging/environment.yaml", field: "/backup/drill/pushgateway", message: /must match/, lineOf: "    pushgateway:" }],
  },
  {
    name: "a backup schedule that skips the weekend",
    mutate: replace("environments/staging/environment.yaml", 'schedule: "*/15 * * * *"', 'schedule: "*/15 * * * 1-5"'),
    expect: [{ file: "environments/staging/environment.yaml", field: "/backup/schedule", message: /does not run every hour of every day/, lineOf: "schedule:" }],
  },
  {
    name: "a component named like one of the stage's own folders",
    mutate: (dir) =>
      edit(dir, CATALOG, (t) => {
        // Three copies of the risk engine under the reserved names (shared, nodes, platform).
        const block = t.slice(t.indexOf("  risk-engine:\n"), t.indexOf("  alpha-calculator:\n"));
        const at = t.indexOf("  alpha-calculator:\n");
        return t.slice(0, at) + ["shared", "nodes", "platform"].map((n) => block.replace("  risk-engine:\n", `  ${n}:\n`)).join("") + t.slice(at);
      }),
    expect: [
      { file: CATALOG, field: "/components/shared", message: /"shared" is reserved: rollouts\/<env>\/<region>\/shared\/ holds the stage's shared objects/, lineOf: "  shared:\n", column: 3 },
      { file: CATALOG, field: "/components/nodes", message: /"nodes" is reserved: .* holds the stage's node pools/, lineOf: "  nodes:\n", column: 3 },
      { file: CATALOG, field: "/components/platform", message: /"platform" is reserved: .* holds the stage's BitActorCluster and Velero backups/, lineOf: "  platform:\n", column: 3 },
    ],
  },
  {
    name: "a component named as the release train names the operator",
    mutate: (dir) =>
      edit(dir, CATALOG, (t) => {
        const block = t.slice(t.indexOf("  risk-engine:\n"), t.indexOf("  alpha-calculator:\n"));
        const at = t.indexOf("  alpha-calculator:\n");
        return t.slice(0, at) + block.replace("  risk-engine:\n", "  bitactor-operator:\n") + t.slice(at);
      }),
    expect: [{ file: CATALOG, field: "/components/bitactor-operator", message: /^"bitactor-operator" is reserved: the release train moves the BitActor operator by that name/, lineOf: "  bitactor-operator:\n", column: 3 }],
  },
  {
    name: "every error at once, across files",
    mutate: async (dir) => {
      await replace(CATALOG, "budgetNs: 1000\n", "budgetNs: 1200\n")(dir);
      await replace(US_EAST_1, "cloud: aws\n", "cloud: oracle\n")(dir);
      await replace("environments/staging/regions/us-east-1.yaml", "replicas: 2\n", "replicas: -1\n")(dir);
    },
    expect: [
      { file: CATALOG, field: "/components/order-engine/budgetNs", message: /no matching bucket/ },
      { file: "environments/production/regions/us-east-1.yaml", field: "/cloud", message: /must be one of/ },
      { file: "environments/staging/regions/us-east-1.yaml", field: "/components/market-data-handler/replicas", message: /must be >= 1 \(got -1\)/ },
    ],
  },
  // The release plan (environments/waves.yaml and each region file's wave).
  {
    name: "plan: a region in a wave that does not exist",
    mutate: replace(US_EAST_1, "\nwave: wave-3\n", "\nwave: wave-4\n"),
    expect: [{ file: US_EAST_1, field: "/wave", message: /unknown wave "wave-4": the waves of environments\/waves\.yaml are staging, wave-1, wave-2, wave-3/, lineOf: "wave: wave-4", column: 7 }],
  },
  {
    name: "plan: a region in no wave",
    mutate: replace(US_EAST_1, "\nwave: wave-3\n", "\n"),
    expect: [{ file: US_EAST_1, field: "", message: /missing required key "wave"/ }],
  },
  {
    name: "plan: two waves with one name",
    mutate: replace(WAVES, "  - name: wave-2\n", "  - name: wave-1\n"),
    expect: [
      { file: WAVES, field: "/waves/2/name", message: /duplicate wave name "wave-1"/, lineOf: "  - name: wave-1\n    soak: 24h\n  # production-us-east-1" },
      // ...and the regions of the wave that lost its name say so.
      ...["asia-east2", "eu-west-1", "southeastasia"].map((r) => ({ file: `environments/production/regions/${r}.yaml`, field: "/wave", message: /unknown wave "wave-2": the waves of environments\/waves\.yaml are staging, wave-1, wave-1, wave-3/, lineOf: "wave: wave-2" })),
    ],
  },
  {
    name: "plan: no soak before a later wave, a soak on the last",
    mutate: (dir) => replace(WAVES, "  - name: wave-2\n    soak: 24h\n", "  - name: wave-2\n")(dir).then(() => replace(WAVES, "  - name: wave-3\n", "  - name: wave-3\n    soak: 1h\n")(dir)),
    expect: [
      { file: WAVES, field: "/waves/2", message: /missing soak: how long this wave runs a version before wave-3 may receive it/, lineOf: "name: wave-2" },
      { file: WAVES, field: "/waves/3/soak", message: /the last wave has no next wave to wait for: remove its soak/, lineOf: "soak: 1h" },
    ],
  },
  {
    name: "plan: a soak shorter than the post-promotion analysis",
    mutate: replace(WAVES, "  - name: wave-1\n    soak: 24h\n", "  - name: wave-1\n    soak: 2m\n"),
    expect: [{ file: WAVES, field: "/waves/1/soak", message: /must be ≥ 300s: [a-z-]+'s post-promotion analysis runs 300 s after the switch and may still roll the version back/, lineOf: "soak: 2m", column: 11 }],
  },
  {
    name: "plan: a soak in days",
    mutate: replace(WAVES, "  - name: wave-1\n    soak: 24h\n", "  - name: wave-1\n    soak: 1d\n"),
    expect: [{ file: WAVES, field: "/waves/1/soak", message: /must match \^\[1-9\]\[0-9\]\*\(s\|m\|h\)\$ \(got "1d"\)/, lineOf: "soak: 1d" }],
  },
  {
    name: "plan: stages listed in the plan file instead of the region files",
    mutate: replace(WAVES, "  - name: wave-1\n", "  - name: wave-1\n    stages: [production-ap-northeast-1]\n"),
    expect: [{ file: WAVES, field: "/waves/1/stages", message: /unknown key "stages"; allowed keys: name, soak/, lineOf: "stages:" }],
  },
  {
    name: "plan: missing",
    mutate: async (dir) => rm(join(dir, WAVES)),
    expect: [{ file: WAVES, field: "", message: /missing: the release plan/ }],
  },
  {
    name: "hotfix for another digest (stale)",
    mutate: replace(US_EAST_1, "    replicas: 3\n  risk-engine:", "    replicas: 3\n    hotfix:\n      digest: sha256:1111111111111111111111111111111111111111111111111111111111111111\n      reason: NYSE session drops on 4.12.0, fixed in this build\n  risk-engine:"),
    expect: [{ file: US_EAST_1, field: "/components/order-engine/hotfix/digest", message: /stale hotfix: it names sha256:111111111111… but order-engine pins sha256:5ac2e759c6e0…; remove the hotfix/, lineOf: "digest: sha256:1111" }],
  },
  {
    name: "hotfix without a reason worth reading",
    mutate: replace(US_EAST_1, "    replicas: 3\n  risk-engine:", "    replicas: 3\n    hotfix:\n      digest: sha256:5ac2e759c6e0f5b22ea8143c9436b7c37eb04bf571bab04a7ca14bf07935c54f\n      reason: urgent\n  risk-engine:"),
    expect: [{ file: US_EAST_1, field: "/components/order-engine/hotfix/reason", message: /must NOT have fewer than 20 characters/, lineOf: "reason: urgent" }],
  },
  {
    name: "one digest, two versions",
    mutate: replace(US_EAST_1, "  order-engine:\n    version: 4.12.0\n", "  order-engine:\n    version: 4.12.1\n"),
    expect: [{ file: US_EAST_1, field: "/components/order-engine/version", message: /sha256:5ac2e759c6e0… is 4\.12\.0 in environments\/production\/regions\/ap-northeast-1\.yaml: one digest, one version/, lineOf: "version: 4.12.1" }],
  },
];

// The infrastructure block: what each cloud needs, and the links to the rest of the region file.
cases.push(
  {
    name: "infrastructure: an AWS account that is not the one the role ARNs name",
    mutate: replace(US_EAST_1, '  account: "210987654321"', '  account: "210987654322"'),
    expect: [{ file: US_EAST_1, field: "/infrastructure/account", message: /roleArn is in account 210987654321; the stage's account is 210987654322/, lineOf: "account: \"210987654322\"" }],
  },
  {
    name: "infrastructure: a GCP project id as an AWS account",
    mutate: replace(US_EAST_1, '  account: "210987654321"', "  account: bitactor-prod-use1"),
    expect: [
      { file: US_EAST_1, field: "/infrastructure/account", message: /on aws this is the AWS account id \(12 digits\); got "bitactor-prod-use1"/ },
      { file: US_EAST_1, field: "/infrastructure/account", message: /roleArn is in account 210987654321/ },
    ],
  },
  {
    name: "infrastructure: the Kubernetes API open to the internet",
    mutate: replace(US_EAST_1, "  apiAccessCidrs: [10.0.0.0/16, 10.255.0.0/20]", "  apiAccessCidrs: [0.0.0.0/0]"),
    expect: [{ file: US_EAST_1, field: "/infrastructure/apiAccessCidrs/0", message: /0\.0\.0\.0\/0 opens the Kubernetes API/ }],
  },
  {
    name: "infrastructure: a public BGP ASN",
    mutate: replace(US_EAST_1, "  asn: 65010", "  asn: 70000"),
    expect: [{ file: US_EAST_1, field: "/infrastructure/asn", message: /70000 is a public ASN; use a private one/, lineOf: "asn: 70000" }],
  },
  {
    name: "infrastructure: an S3 backend without its region",
    mutate: replace(US_EAST_1, "    bucket: bitactor-tofu-state-210987654321\n    region: us-east-1\n", "    bucket: bitactor-tofu-state-210987654321\n"),
    expect: [{ file: US_EAST_1, field: "/infrastructure/state", message: /the S3 with S3-native locking backend needs bucket, region; region is missing/ }],
  },
  {
    name: "infrastructure: a VPC that overlaps an exchange's cross-connect",
    mutate: replace(US_EAST_1, "  cidr: 10.10.0.0/16", "  cidr: 10.64.0.0/16"),
    expect: [
      { file: US_EAST_1, field: "/infrastructure/cidr", message: /overlaps NYSE's cross-connect subnet 10\.64\.1\.0\/24/ },
      { file: US_EAST_1, field: "/infrastructure/cidr", message: /overlaps NASDAQ's cross-connect subnet 10\.64\.2\.0\/24/ },
    ],
  },
  {
    name: "fit: a region picks a machine smaller than its pods (and without their GPU)",
    mutate: replace(ASIA_EAST2, "cloud: gcp\n", "cloud: gcp\nnodePools:\n  gpu-a100:\n    instanceType: c3-standard-8\n"),
    expect: [{
      file: ASIA_EAST2,
      field: "/nodePools/gpu-a100/instanceType",
      // 8 CPUs + the mesh proxy's 200m; c3-standard-8 keeps 7910m after GKE's reservation, less its DaemonSets' 373m and the node-tuning agent's 10m.
      message: /^Rollout production-asia-east2\/alpha-calculator does not fit c3-standard-8 \(gcp, pool gpu-a100\): cpu asks 8200m, 7527m left after the node's DaemonSets, of 7910m allocatable; memory asks 48\.2Gi, .*; nvidia\.com\/gpu asks 1, 0 left after the node's DaemonSets, of 0 allocatable \(this region's choice; its figures: engine\/machines\.yaml clouds\.gcp\.types\.c3-standard-8\): pick a larger machine type or ask for less$/,
      lineOf: "    instanceType: c3-standard-8",
      column: 19,
    }],
  },
  {
    name: "fit: a region picks a machine type the node catalog does not have",
    mutate: replace(ASIA_EAST2, "cloud: gcp\n", "cloud: gcp\nnodePools:\n  gpu-a100:\n    instanceType: a3-highgpu-1g\n"),
    expect: [{ file: ASIA_EAST2, field: "/nodePools/gpu-a100/instanceType", message: /^a3-highgpu-1g is not in engine\/machines\.yaml clouds\.gcp\.types \(known: a2-highgpu-1g, c3-highcpu-88, .*\); add it there/, lineOf: "    instanceType: a3-highgpu-1g" }],
  },
  {
    name: "fit: a region picks a machine for a pool none of its components uses",
    mutate: replace(ASIA_EAST2, "cloud: gcp\n", "cloud: gcp\nnodePools:\n  gpu-h100:\n    instanceType: a2-highgpu-1g\n"),
    expect: [{ file: ASIA_EAST2, field: "/nodePools/gpu-h100", message: /^unknown pool "gpu-h100"; engine\/catalog\.yaml nodePools: network-optimised, bare-metal, bare-metal-high-clock, gpu-a100$/ }],
  },
  {
    name: "fit: the catalog asks more than one cloud's machine has",
    mutate: replace(CATALOG, "resources: { cpu: 8, memory: 48Gi, hugepages2Mi: 4Gi, ephemeralStorage: 1Gi, gpus: 1 }", "resources: { cpu: 16, memory: 48Gi, hugepages2Mi: 4Gi, ephemeralStorage: 1Gi, gpus: 1 }"),
    // Only GCP's a2-highgpu-1g (12 vCPUs) is too small: AWS's p4d.24xlarge and Azure's NC24ads_A100_v4 take 16.
    expect: [{ file: ASIA_EAST2, field: "/components/alpha-calculator", message: /^Rollout production-asia-east2\/alpha-calculator does not fit a2-highgpu-1g \(gcp, pool gpu-a100\): cpu asks 16200m, 11517m left after the node's DaemonSets, of 11900m allocatable \(engine\/catalog\.yaml nodePools\.gpu-a100\.instanceTypes\.gcp; its figures: engine\/machines\.yaml clouds\.gcp\.types\.a2-highgpu-1g\)/, lineOf: "  alpha-calculator:" }],
  },
  {
    name: "fit: a catalog machine type missing from the node catalog",
    mutate: replace(CATALOG, "    aws: m7i.4xlarge\n", "    aws: m7i.8xlarge\n"),
    expect: [{ file: CATALOG, field: "/systemNodes/instanceTypes/aws", message: /^m7i\.8xlarge is not in engine\/machines\.yaml clouds\.aws\.types \(known: c7gn\.16xlarge, m7i\.2xlarge, /, lineOf: "aws: m7i.8xlarge" }],
  },
  {
    name: "fit: system nodes that hold each bring-up pod but not all of them at once",
    mutate: replace(CATALOG, "    aws: m7i.4xlarge\n", "    aws: m7i.2xlarge\n"),
    // Every AWS stage: the collector and five first-release load Jobs, 4 CPUs each, the stage's
    // Prometheus (2 CPUs and the operator's 10m reloader; two replicas in production) and, where
    // the region pins it (staging), the BitActor operator (two 200m replicas), on three 8-vCPU nodes.
    expect: (["production/ap-northeast-1", "production/eu-west-1", "production/us-east-1", "production/us-east-2", "staging/us-east-1"] as const).map((stage) => ({
      file: CATALOG,
      field: "/systemNodes/instanceTypes/aws",
      message: new RegExp(`^${stage}'s 3 system nodes \\(m7i\\.2xlarge, 7750m CPU and 28\\.5Gi left on each after their DaemonSets\\) cannot run its ${stage.startsWith("production") ? "8 bring-up pods at once \\(28120m" : "9 bring-up pods at once \\(26510m"} CPU: every Deployment and Prometheus replica and every first-release load Job\\); no room for .*: pick a larger systemNodes machine or raise systemNodes\\.perZone$`),
      lineOf: "aws: m7i.2xlarge",
    })),
  },
  {
    name: "fit: a stage's Prometheus larger than every system node",
    mutate: replace("environments/staging/environment.yaml", "    memory: 8Gi\n", "    memory: 80Gi\n"),
    // Where the size is chosen; the system nodes cannot hold it at bring-up either.
    expect: [{
      file: "environments/staging/environment.yaml",
      field: "/monitoring/prometheus",
      message: /^Prometheus monitoring\/staging-us-east-1 does not fit m7i\.4xlarge \(aws, pool system\): memory asks 80Gi, 56\.3Gi left after the node's DaemonSets, of 56\.3Gi allocatable \(engine\/catalog\.yaml systemNodes\.instanceTypes\.aws; .*\): pick a larger machine type or ask for less$/,
      lineOf: "  prometheus:",
    }, {
      file: CATALOG,
      field: "/systemNodes/instanceTypes/aws",
      message: /^staging\/us-east-1's 3 system nodes .* no room for Prometheus staging-us-east-1: /,
      lineOf: "aws: m7i.4xlarge",
    }],
  },
  {
    name: "versions: Prometheus named by its release instead of its Go module version",
    mutate: replace(VERSIONS, '"version": "v0.316.0"', '"version": "v3.16.0"'),
    expect: [{ file: VERSIONS, field: "/prometheus/version", message: /^prometheus\.version must be the Prometheus Go module's v0\.3xx\.y \(Prometheus 3\.xx\.y\)/, lineOf: '"version": "v3.16.0"' }],
  },
  {
    name: "environment: a stage's Prometheus with a fractional CPU count",
    mutate: replace("environments/production/environment.yaml", '    cpu: "2"\n', '    cpu: "2.5"\n'),
    expect: [{ file: "environments/production/environment.yaml", field: "/monitoring/prometheus/cpu", message: /^must match/, lineOf: 'cpu: "2.5"' }],
  },
  {
    name: "machines: a reservation tier in the middle without a size",
    mutate: replace(MACHINES, "{ size: 4, percent: 25 }, { size: 4, percent: 20 }", "{ size: 4, percent: 25 }, { percent: 20 }"),
    expect: [{ file: MACHINES, field: "/clouds/gcp/reservation/memory/tiers/1", message: /^every tier but the last needs a size$/ }],
  },
  {
    name: "add-ons: a version range instead of a release",
    mutate: replace(VERSIONS, '      "version": "v1.10.2",', '      "version": "^1.10",'),
    expect: [{ file: VERSIONS, field: "/addons/argo-rollouts/version", message: /^"\^1\.10" is not an exact release: give the tag or chart version itself .* never a range, wildcard, branch or "latest"/, lineOf: '"version": "^1.10"' }],
  },
  {
    name: "add-ons: latest",
    mutate: replace(VERSIONS, '      "version": "1.15.1",', '      "version": "latest",'),
    expect: [{ file: VERSIONS, field: "/addons/karpenter/version", message: /^"latest" is not an exact release/, lineOf: '"version": "latest"' }],
  },
  {
    name: "add-ons: an add-on without a pinned release",
    mutate: replace(ADDONS, "  sealed-secrets:\n", "  trivy-operator:\n    description: Trivy's operator\n    namespace: trivy-system\n    path: deploy/helm\n    wave: 0\n    crds: false\n    clusterKinds: []\n  sealed-secrets:\n"),
    expect: [{ file: ADDONS, field: "/addons/trivy-operator", message: /^add-on trivy-operator has no release pinned in tools\/versions\.json addons\.trivy-operator/, lineOf: "  trivy-operator:" }],
  },
  {
    name: "add-ons: an Azure region without the identity its Velero values name",
    mutate: replace(SEA, "  identity: 4b1d7e92-3c6a-4f85-a0e7-9d2c5b8f1a36\n", ""),
    expect: [{ file: SEA, field: "/backup", message: /^add-on velero \(engine\/addons\.yaml\) runs here with \$\{backupIdentity\} in its azure values, but this region has no backup\.identity: write it \(its infrastructure module's output, npm run infra:outputs -- production-southeastasia, after tofu apply\)$/, lineOf: "  bucket: bitactor-velero-prod-sea" }],
  },
  {
    name: "add-ons: values for a cloud the add-on never goes to, a program release that is not exact",
    mutate: async (dir) => {
      await replace(ADDONS, "          interruptionQueue: ${cluster}\n", "          interruptionQueue: ${cluster}\n      valuesByCloud:\n        gcp:\n          settings: { clusterName: other }\n")(dir);
      await replace(VERSIONS, '"appVersion": "v1.18.2"', '"appVersion": "1.18"')(dir);
    },
    expect: [
      { file: ADDONS, field: "/addons/karpenter/helm/valuesByCloud/gcp", message: /^the add-on goes to no gcp stage \(when\.clouds: aws\); remove these values or add the cloud there$/, lineOf: "settings: { clusterName: other }" },
      { file: VERSIONS, field: "/addons/velero/appVersion", message: /^"1\.18" is not an exact release of the program the chart installs/, lineOf: '"appVersion": "1.18"' },
    ],
  },
  {
    name: "add-ons: a git source without a path",
    mutate: replace(ADDONS, "    namespace: argo-rollouts\n    path: manifests/cluster-install\n", "    namespace: argo-rollouts\n"),
    expect: [{ file: ADDONS, field: "/addons/argo-rollouts", message: /^its source is the git repository https:\/\/github\.com\/argoproj\/argo-rollouts\.git: say which kustomization or chart inside it with path$/, lineOf: "  argo-rollouts:" }],
  },
  {
    name: "add-ons: a scrape without the port it reads, a selector label that is no label value",
    mutate: async (dir) => {
      await replace(ADDONS, "      port: metrics\n", "")(dir);
      await replace(ADDONS, "app.kubernetes.io/instance: prometheus-pushgateway }", "app.kubernetes.io/instance: prometheus pushgateway }")(dir);
    },
    expect: [
      { file: ADDONS, field: "/addons/pushgateway/scrape", message: /^missing required key "port"$/, lineOf: "      pods: { app.kubernetes.io/name" },
      { file: ADDONS, field: "/addons/pushgateway/scrape/pods/app.kubernetes.io/instance", message: /^must match .* \(got "prometheus pushgateway"\)$/ },
    ],
  },
  {
    name: "add-ons: a restore drill pushing to a Pushgateway no stage Prometheus scrapes with honorLabels",
    mutate: async (dir) => {
      await replace(ADDONS, "      honorLabels: true\n", "")(dir);
      await replace("environments/staging/environment.yaml", "http://prometheus-pushgateway.monitoring.svc.cluster.local:9091", "http://pushgateway.ops.svc:9091")(dir);
    },
    expect: [
      { file: "environments/production/environment.yaml", field: "/backup/drill/pushgateway", message: /^production-ap-northeast-1, production-asia-east2, production-eu-west-1, production-southeastasia, production-us-east-1, production-us-east-2 run no add-on in namespace monitoring that their Prometheus scrapes with honorLabels: true \(engine\/addons\.yaml scrape\): the dr-drill rules would see no result and BitActorDrDrillNotRun would fire/, lineOf: "    pushgateway:" },
      { file: "environments/staging/environment.yaml", field: "/backup/drill/pushgateway", message: /^staging-us-east-1 runs no add-on in namespace ops that its Prometheus scrapes/, lineOf: "    pushgateway:" },
    ],
  },
  {
    name: "a GCP cluster name too long for the Velero service account the module names after it (never cut)",
    mutate: replace(ASIA_EAST2, "  name: bitactor-prod-ase2\n", "  name: bitactor-production-asia-east2\n"),
    expect: [{ file: ASIA_EAST2, field: "/cluster/name", message: /^"bitactor-production-asia-east2" has 30 characters; on gcp at most 23: its Velero service account id, <cluster>-velero, which engine\/addons\.yaml's GKE annotation spells too, may have at most 30 characters on GCP, of those$/, lineOf: "  name: bitactor-production-asia-east2" }],
  },
  {
    name: "a GCP cluster name with a dot, which no GCP service account id may hold",
    mutate: replace(ASIA_EAST2, "  name: bitactor-prod-ase2\n", "  name: bitactor.prod-ase2\n"),
    expect: [{ file: ASIA_EAST2, field: "/cluster/name", message: /^"bitactor\.prod-ase2": on gcp a lower-case letter, then lower-case letters, digits and hyphens: its Velero service account id/, lineOf: "  name: bitactor.prod-ase2" }],
  },
  {
    name: "add-ons: an environment that does not exist, an unknown placeholder",
    mutate: async (dir) => {
      await replace(ADDONS, "      clouds: [aws]\n", "      clouds: [aws]\n      environments: [prod]\n")(dir);
      await replace(ADDONS, "          clusterName: ${cluster}\n", "          clusterName: ${clusterName}\n")(dir);
    },
    expect: [
      { file: ADDONS, field: "/addons/karpenter/when/environments", message: /^environment prod does not exist \(environments: production, staging\)$/ },
      { file: ADDONS, field: "/addons/karpenter/helm/values/settings/clusterName", message: /^unknown placeholder \$\{clusterName\}; allowed: \$\{version\}, \$\{versionNumber\}, \$\{appVersion\}, \$\{cluster\}/, lineOf: "clusterName: ${clusterName}" },
    ],
  },
  {
    name: "add-ons: a source that is not a repository URL",
    mutate: replace(VERSIONS, '"repoURL": "https://github.com/argoproj/argo-rollouts.git"', '"repoURL": "github.com/argoproj/argo-rollouts"'),
    // One error: the pattern of its own type (git), not one per source shape.
    expect: [{ file: VERSIONS, field: "/addons/argo-rollouts/source/repoURL", message: /^must match \^\(https:.*\|file:\/\/\/\\S\+\)\$ \(got "github\.com\/argoproj\/argo-rollouts"\)$/, lineOf: '"repoURL": "github.com/argoproj/argo-rollouts"' }],
  },
  {
    name: "add-ons: a Helm chart repository source without its chart",
    mutate: replace(VERSIONS, '"type": "oci",\n        "repoURL": "oci://public.ecr.aws/karpenter/karpenter"', '"type": "helm",\n        "repoURL": "https://charts.karpenter.sh"'),
    expect: [{ file: VERSIONS, field: "/addons/karpenter/source", message: /^missing required key "chart"$/ }],
  },
  {
    name: "add-ons: an Argo CD exclusion of a kind the render makes (Argo CD would skip those objects)",
    mutate: replace(ADDONS, "    - { apiGroups: [coordination.k8s.io], kinds: [Lease] }\n", "    - { apiGroups: [coordination.k8s.io], kinds: [Lease] }\n    - { apiGroups: [velero.io, argoproj.io], kinds: [Schedule, AnalysisTemplate] }\n"),
    expect: [{ file: ADDONS, field: "/argocd/resourceExclusions/2", message: /^excludes argoproj\.io\/AnalysisTemplate, velero\.io\/Schedule, which the render makes \(rollouts\/production\/ap-northeast-1\/.*\.yaml and \d+ more\): Argo CD would never sync those objects/, lineOf: "    - { apiGroups: [velero.io, argoproj.io]" }],
  },
  {
    name: "add-ons: an Argo CD exclusion without kinds (Argo CD reads an empty list as every kind of the group)",
    mutate: replace(ADDONS, "    - { apiGroups: [coordination.k8s.io], kinds: [Lease] }\n", "    - { apiGroups: [coordination.k8s.io], kinds: [] }\n"),
    expect: [{ file: ADDONS, field: "/argocd/resourceExclusions/1/kinds", message: /^must NOT have fewer than 1 items \(got \[\]\)$/, lineOf: "    - { apiGroups: [coordination.k8s.io], kinds: [] }" }],
  },
  {
    name: "add-ons: Argo CD's exclusions set as argocd-cm text beside the typed list (one would silently replace the other)",
    mutate: replace(ADDONS, "  config:\n", "  config:\n    resource.exclusions: \"- { kinds: [Lease] }\"\n"),
    expect: [{ file: ADDONS, field: "/argocd/config/resource.exclusions", message: /^argocd-cm's resource\.exclusions is argocd\.resourceExclusions \(a typed list, checked against what the render makes\); move the entries there$/, lineOf: "    resource.exclusions:" }],
  },
  {
    name: "add-ons: the management cluster runs an add-on addons does not have",
    mutate: replace(ADDONS, "  addons: [sealed-secrets]\n", "  addons: [sealed-secrets, vault]\n"),
    expect: [{ file: ADDONS, field: "/argocd/addons/1", message: /^add-on vault is not in addons \(.*sealed-secrets.*\): the management cluster runs an add-on from its entry there$/, lineOf: "  addons: [sealed-secrets, vault]" }],
  },
  {
    name: "add-ons: the management cluster runs an add-on whose values need a stage (it has no cluster name or region)",
    mutate: replace(ADDONS, "  addons: [sealed-secrets]\n", "  addons: [sealed-secrets, karpenter]\n"),
    expect: [
      { file: ADDONS, field: "/argocd/addons/1", message: /^add-on karpenter uses \$\{cluster\}, which only a stage fills; the management cluster's add-ons may use \$\{version\}, \$\{versionNumber\}, \$\{appVersion\}$/, lineOf: "  addons: [sealed-secrets, karpenter]" },
    ],
  },
  {
    name: "infrastructure: a misspelled cross-connect key",
    mutate: replace(US_EAST_1, "      vlan: 101\n", "      vlanId: 101\n"),
    expect: [
      { file: US_EAST_1, field: "/exchanges/0/crossConnect/vlanId", message: /unknown key "vlanId"; allowed keys: location, provider, vlan, peering/ },
      { file: US_EAST_1, field: "/exchanges/0/crossConnect", message: /vlan/ },
    ],
  },
);

for (const c of cases) {
  test(`broken input: ${c.name}`, async () => {
    const dir = await scratchRepo();
    try {
      await c.mutate(dir);
      const before = await treeDigest(dir);
      const err = await renderCommand(dir).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof InputValidationError, `expected InputValidationError, got ${String(err)}`);
      const errors: readonly InputError[] = err.errors;
      for (const want of c.expect) {
        const hit = errors.find((e) => e.file === want.file && e.field === want.field && want.message.test(e.message));
        assert.ok(hit, `no error ${want.file} ${want.field} ${want.message}; got:\n${err.message}`);
        if (want.lineOf) {
          const text = await readFile(join(dir, want.file), "utf8");
          const line = text.slice(0, text.indexOf(want.lineOf)).split("\n").length;
          assert.equal(hit.line, line, `line of ${want.field}`);
        }
        if (want.column) assert.equal(hit.column, want.column);
      }
      assert.equal(errors.length, c.expect.length, `exactly the expected errors:\n${err.message}`);
      assert.equal(await treeDigest(dir), before, "a failed render must not touch the rendered tree");
    } finally {
      await removeRepo(dir);
    }
  });
}

test("the render command reports input errors without a stack trace and exits 1", async () => {
  const dir = await scratchRepo();
  try {
    await replace(US_EAST_1, "cloud: aws\n", "cloud: oracle\n")(dir);
    const r = spawnSync(process.execPath, ["--import", import.meta.resolve("tsx"), join(ROOT, "scripts/render.ts")], { cwd: dir, encoding: "utf8" });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^render failed, nothing was written\.\n1 input error:\n  environments\/production\/regions\/us-east-1\.yaml:5:8: \/cloud: must be one of/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  } finally {
    await removeRepo(dir);
  }
});

test("the committed inputs are the six regions of the design brief and a staging region", async () => {
  const m = await committedModel();
  const prod = m.environments.find((e) => e.settings.environment === "production")!;
  assert.deepEqual(prod.regions.map((r) => [r.region, r.cloud, r.exchanges.map((x) => `${x.id}<${x.latencyBudgetUs}µs`).join(",")]), [
    ["ap-northeast-1", "aws", "TSE<25µs,OSE<25µs"],
    ["asia-east2", "gcp", "HKEX<30µs"],
    ["eu-west-1", "aws", "LSE<20µs,EUREX<20µs"],
    ["southeastasia", "azure", "SGX<35µs"],
    ["us-east-1", "aws", "NYSE<10µs,NASDAQ<10µs"],
    ["us-east-2", "aws", "CME<15µs,CBOE<15µs"],
  ]);
  assert.ok(m.environments.find((e) => e.settings.environment === "staging")!.regions.length >= 1);
  assert.deepEqual(Object.fromEntries(Object.entries(m.catalog.components).map(([k, c]) => [k, c.budgetNs])), {
    "market-data-handler": 500, "order-engine": 1000, "risk-engine": 5000, "alpha-calculator": 10000, "execution-gateway": 2000,
  });
});
