// Over 300 lines: the typed inputs the schemas check, one interface per input field group with its JSDoc and @default; kept beside each other so a field and its neighbours read together.
/**
 * Typed inputs: what people write in `engine/` and `environments/`.
 * The JSON Schemas in `schemas.ts` validate the same shapes at run time (unknown keys rejected);
 * keep the two in step by hand: a field here without its schema is rejected as an unknown key.
 */

import type { Cloud } from "./cloud.ts";
import type { MachineCatalog } from "./machines.ts";
import type { AddonCatalog, AddonVersions } from "./addons.ts";
import type { YamlSource } from "./yaml-source.ts";

export type { Cloud } from "./cloud.ts";
export { CLOUDS } from "./cloud.ts";

/** A node pool: a class of machines a component runs on, with its instance type on each cloud. */
export interface NodePool {
  /** Why this class of machine exists (shown in docs/nodes.md and in review). */
  readonly description: string;
  /** Instance type per cloud, e.g. `m7i.metal-24xl` on AWS. The nearest equivalents are data, not code. */
  readonly instanceTypes: Readonly<Record<Cloud, string>>;
}

/** A program every node of some pools runs as a DaemonSet: its pinned image and the host access it needs. */
export interface NodeAgent {
  readonly description: string;
  /** Image by digest (the internal mirror keeps the upstream digest). */
  readonly image: string;
  /** The upstream release the digest is. */
  readonly version: string;
  /** requests = limits. */
  readonly resources: { readonly cpu: string; readonly memory: string; readonly ephemeralStorage: string };
  /** Host access the policy gate allows this agent and no other pod: hostPath volumes, a privileged container in the host's PID namespace, root. */
  readonly host: { readonly paths: readonly string[]; readonly privileged: boolean; readonly runAsRoot: boolean };
}

/** A secondary network of SR-IOV virtual functions, attached with Multus and polled with DPDK. */
export interface AcceleratedNetwork {
  readonly description: string;
  /** Extended resource the cluster's SR-IOV network device plugin advertises for these VFs (`<prefix>/<name>`). */
  readonly resourceName: string;
}

/**
 * Kubelet and kernel settings every engine node runs with. The pods' Guaranteed whole CPUs and
 * hugepages pin cores and NUMA-local memory only when the node is configured for it.
 */
export interface NodeTuning {
  /** kubelet `cpuManagerPolicy`; `static` gives Guaranteed pods with whole CPUs exclusive cores. */
  readonly cpuManagerPolicy: "static";
  /** kubelet `topologyManagerPolicy`; `single-numa-node` admits a pod only if its CPUs, memory and devices share one NUMA node. */
  readonly topologyManagerPolicy: "single-numa-node" | "restricted";
  /** kubelet `topologyManagerScope`: align the whole pod (`pod`) or each container on its own. */
  readonly topologyManagerScope: "pod" | "container";
  /** CPUs (cpuset list, e.g. `8-9`) for the OS and the kubelet (`reservedSystemCPUs`); no pod is pinned to them. */
  readonly reservedSystemCpus: string;
  /** CPUs (cpuset list) the kernel keeps free of other tasks, timer ticks and RCU callbacks for the critical path (isolcpus, nohz_full, rcu_nocbs). */
  readonly isolatedCpus: string;
  /** MTU of every node interface (jumbo frames). */
  readonly mtu: number;
}

/** Pre-promotion gate: the open-loop load the preview stack receives and how its latency is judged. */
export interface PrePromotionGate {
  /** Requests per second the load Job sends to the preview Service, open loop (fixed schedule). */
  readonly ratePerSecond: number;
  /** Seconds of load before the first judged window: JIT, caches and connection set-up settle. */
  readonly warmupSeconds: number;
  /** Number of judged windows; each must pass (`failureLimit: 0`). */
  readonly measurements: number;
  /** Length of one judged window, and the time between two measurements. */
  readonly intervalSeconds: number;
  /** Observations a window needs before its share is judged at all; fewer fails the window. */
  readonly minSamplesPerMeasurement: number;
}

/** Post-promotion gate: the new active pods under production traffic. */
export interface PostPromotionGate {
  /** Number of judged windows after the switch; any failure rolls back. */
  readonly measurements: number;
  /** Length of one judged window. */
  readonly intervalSeconds: number;
  /** Observations a window needs; fewer fails the window (no traffic is never a pass). */
  readonly minSamplesPerMeasurement: number;
}

/** A container port. */
export interface PortSpec {
  /** IANA-style port name, referenced by Services (`targetPort`) and probes. */
  readonly name: string;
  readonly port: number;
}

/** One engine component as the architecture defines it. */
export interface Component {
  readonly description: string;
  /** Image repository without tag or digest; regions pin the digest. */
  readonly image: string;
  /** p99 latency budget in nanoseconds; must be one of `metric.bucketsNs`. */
  readonly budgetNs: number;
  /** Key into `nodePools`. */
  readonly nodePool: string;
  /** Whether its pods connect to the region's exchanges (NetworkPolicy egress to their cidrs and ports). */
  readonly exchangeEgress: boolean;
  /** Pod security beyond the restricted profile: the capabilities it adds, each justified in the catalog. */
  readonly security: { readonly addCapabilities: readonly string[] };
  /**
   * Keys into `acceleratedNetworks`: the pod gets one SR-IOV virtual function of each (Multus), which
   * the engine polls with DPDK. Such a component needs IPC_LOCK and hugepages.
   * @default none
   */
  readonly acceleratedNetworks?: readonly string[];
  /** The port that carries the engine's traffic (the load Job targets it on the preview Service). */
  readonly servicePort: PortSpec;
  /** The port that serves `/metrics` and `/healthz`. */
  readonly metricsPort: PortSpec;
  /** Guaranteed QoS: requests = limits. CPU is whole cores so the static CPU manager can pin them. */
  readonly resources: {
    readonly cpu: number;
    readonly memory: string;
    /** 2 MiB hugepages, requested = limit and mounted at /dev/hugepages. */
    readonly hugepages2Mi: string;
    /**
     * Node disk for the container's logs and writable layer, requested = limit: the kubelet evicts a
     * pod over its limit instead of letting it fill the node's disk under its neighbours.
     */
    readonly ephemeralStorage: string;
    /**
     * Whole GPUs (`nvidia.com/gpu`, requested = limit) from the node's device plugin; the pool's machine
     * must have them on every cloud the component runs on (the fit check refuses it otherwise).
     * @default none
     */
    readonly gpus?: number;
  };
  /** The in-process histogram this component exports. */
  readonly metric: {
    /** Histogram base name (without `_bucket`/`_count`), in seconds as Prometheus convention asks. */
    readonly name: string;
    /** Bucket upper bounds in nanoseconds, strictly increasing; must include `budgetNs`. */
    readonly bucketsNs: readonly number[];
  };
  /** Counters every pod exports from start (at 0): the availability SLI and the flow dashboards read them. */
  readonly counters: {
    /** Events handled (orders, messages, ...), labelled by `Catalog.venueLabel`. */
    readonly events: string;
    /** Events the component failed to handle; availability = 1 − errors / events. */
    readonly errors: string;
    /** What one event is, plural ("orders"): dashboard titles and axis units. */
    readonly eventUnit: string;
  };
  readonly prePromotion: PrePromotionGate;
  readonly postPromotion: PostPromotionGate;
}

/** A multiwindow burn-rate alert (Google SRE Workbook, "Alerting on SLOs", table 5-8). */
export interface BurnRateAlert {
  /** `page` wakes someone; `ticket` is handled in working hours. */
  readonly severity: "page" | "ticket";
  /** Prometheus duration of the long window, e.g. `1h`. */
  readonly longWindow: string;
  /** Prometheus duration of the short window that lets the alert reset, e.g. `5m`. */
  readonly shortWindow: string;
  /** How many times faster than the objective allows the budget must burn in both windows. */
  readonly burnRate: number;
}

/** Service level objectives shared by every component. */
export interface Slo {
  /** Rolling period the objectives and the error budget refer to. */
  readonly periodDays: number;
  /** Share of observations at or under the component's budget. */
  readonly latencyObjective: number;
  /** Share of events handled without error. */
  readonly availabilityObjective: number;
  readonly burnRateAlerts: readonly BurnRateAlert[];
}

/** Alerts on the active pods besides the SLO burn rates. */
export interface AlertSettings {
  /** Window of the share-under-budget the p99 alert judges. */
  readonly latencyWindowSeconds: number;
  /** How long the share must stay under `quantile` before the alert pages. */
  readonly latencyForSeconds: number;
  /** The p99 alert judges only at ≥ this share of the post-promotion floor rate. */
  readonly minRateShareOfFloor: number;
  /** How long active pods may be unscrapeable before it pages. */
  readonly scrapeDownForSeconds: number;
}

/** The engine's tracing: SDK head sampling and the per-region OpenTelemetry Collector. */
export interface Tracing {
  /** Share of traces the engine's SDK samples when a trace starts (parentbased_traceidratio). */
  readonly headSamplingRatio: number;
  /** The SDK batch span processor's queue bound (OTEL_BSP_MAX_QUEUE_SIZE); full means drop, never block. */
  readonly sdkMaxQueueSize: number;
  readonly collector: {
    /** Image pinned by digest. */
    readonly image: string;
    readonly replicas: number;
    /**
     * Guaranteed QoS: requests = limits. `ephemeralStorage`: node disk for its log (its root is
     * read-only), so the kubelet evicts it rather than let it fill the node's disk.
     */
    readonly resources: { readonly cpu: number; readonly memory: string; readonly ephemeralStorage: string };
    /** Seconds the tail sampler waits for a trace's spans before deciding. */
    readonly decisionWaitSeconds: number;
    /** Traces the tail sampler holds in memory. */
    readonly maxTraces: number;
    /** Percent of ordinary (fast, successful) traces kept. */
    readonly baselinePercent: number;
  };
}

/** Business gauges (by `Catalog.symbolLabel`) for the trading dashboard. */
export interface BusinessMetrics {
  /** Component that exports them; the trading dashboard is rendered in its folder. */
  readonly exporter: string;
  readonly pnl: string;
  readonly positionValue: string;
  readonly riskExposure: string;
}

/** The load generator the pre-promotion Job runs. */
export interface LoadGenerator {
  /** Image pinned by digest (`repo@sha256:...`). */
  readonly image: string;
  /** Seconds the Job keeps sending after the last judged window ends, so the last window is full. */
  readonly tailSeconds: number;
}

/** The bare-metal benchmark every component runs on its node pool's instance type (.github/workflows/bench.yml, checks/bench-gate.ts). */
export interface Benchmark {
  /** The engine's benchmark image, pinned by digest (`repo@sha256:...`): the same build measures every component. */
  readonly image: string;
  /** Repetitions per component; the gate judges the worst run against the budget and the median against the last result. */
  readonly runs: number;
  /** Observations each run must hold for its p99 to count. */
  readonly minSamplesPerRun: number;
  /**
   * How much slower (median p99 of the runs) than the last result on main fails, in percent. Raised to the last
   * result's own run-to-run spread when that is larger, so noise alone never fails a build.
   */
  readonly regressionPercent: number;
}

/** `engine/catalog.yaml`. */
export interface Catalog {
  /** Label the scrape configuration copies from the pod label `rollouts-pod-template-hash`. */
  readonly podTemplateHashLabel: string;
  /** Label that carries the Kubernetes namespace of the scraped pod. */
  readonly namespaceLabel: string;
  /** How often Prometheus scrapes every component's pods (each component's PodMonitor). */
  readonly scrapeIntervalSeconds: number;
  /** Share of observations that must be at or under the budget: 0.99 means "p99 ≤ budget". */
  readonly quantile: number;
  /** Label the scrape configuration copies from Argo Rollouts' active/preview pod label. */
  readonly roleLabel: string;
  /** Label of the events/errors counters naming the venue (an exchange id). */
  readonly venueLabel: string;
  /** Label of the business gauges naming the instrument. */
  readonly symbolLabel: string;
  readonly slo: Slo;
  readonly alerts: AlertSettings;
  readonly businessMetrics: BusinessMetrics;
  readonly tracing: Tracing;
  /** The engine's network flows: `from`'s pods may open `to`'s servicePort, nothing else. */
  readonly flows: readonly { readonly from: string; readonly to: string }[];
  readonly loadGenerator: LoadGenerator;
  readonly benchmark: Benchmark;
  readonly nodePools: Readonly<Record<string, NodePool>>;
  /** The cluster's own nodes (add-ons and controllers), created by the infrastructure modules. */
  readonly systemNodes: NodePool & {
    /** Nodes per zone. */
    readonly perZone: number;
  };
  /** Node configuration of every pool (rendered into each cloud's node configuration). */
  readonly nodeTuning: NodeTuning;
  /** Programs every node of some pools runs (rendered per stage as DaemonSets; docs/nodes.md). */
  readonly nodeAgents: { readonly gpuDevicePlugin: NodeAgent; readonly nodeTuning: NodeAgent };
  /**
   * The Istio proxy injected beside every engine container, requests = limits (pod annotations), so
   * the pod stays Guaranteed and its cores stay pinned. Only control traffic and metrics pass it.
   */
  readonly meshProxy: { readonly cpu: string; readonly memory: string };
  /** Secondary networks of SR-IOV virtual functions, by id (a NetworkAttachmentDefinition per stage that uses one). */
  readonly acceleratedNetworks: Readonly<Record<string, AcceleratedNetwork>>;
  readonly components: Readonly<Record<string, Component>>;
}

/** `environment.yaml` `chaos`: the scheduled chaos experiments of every stage of the environment. */
export interface ChaosSettings {
  /** Cron schedule (UTC) of a chaos session: the experiments run one after another. */
  readonly schedule: string;
  /** TOTAL_CHAOS_DURATION of each experiment, in seconds. */
  readonly durationSeconds: number;
  /** Rate window of the SLO queries the probes read (Prometheus duration, e.g. `1m`). */
  readonly probeWindow: string;
  /** The in-cluster Prometheus the probes query (the one that scrapes the PodMonitors). */
  readonly prometheusEndpoint: string;
  /** pod-network-latency: delay added to the component's traffic to what it flows to, in milliseconds. */
  readonly networkLatencyMs: number;
  /** pod-cpu-hog: cores stressed in the component's container. */
  readonly cpuCores: number;
  /** Litmus chaos-runner image, by digest. */
  readonly runnerImage: string;
  /** Litmus go-runner image (the faults), by digest. */
  readonly experimentImage: string;
  /** An image with bash and kubectl, by digest: the CronJob that starts a session. */
  readonly triggerImage: string;
}

/** `environments/<env>/environment.yaml`. */
export interface EnvironmentSettings {
  /** Environment id; must equal its folder name. */
  readonly environment: string;
  /** `manual`: an operator promotes after the pre-promotion gate passed; `automatic`: the gate alone promotes. */
  readonly promotion: "manual" | "automatic";
  /** The git repository Argo CD reads this tree from. */
  readonly repository: {
    readonly url: string;
    readonly targetRevision: string;
    /**
     * Argo CD's read credential for `url` (HTTPS: a user and a token), each value sealed for the
     * management cluster's sealed-secrets controller (`npm run seal -- --repository`), strict scope
     * for `<env>-repository` in Argo CD's namespace. Rendered as that SealedSecret beside the root;
     * the controller unseals it into the repository Secret Argo CD reads. Absent for a repository
     * Argo CD may read without one.
     * @default no credential
     */
    readonly credential?: { readonly username: string; readonly password: string };
  };
  /** Where Argo CD runs (the management cluster). */
  readonly argocd: { readonly namespace: string };
  /** Seconds the old (blue) stack keeps running after the switch, so a post-promotion failure can switch back. */
  readonly scaleDownDelaySeconds: number;
  /** Seconds the preview stack keeps running after an abort, for inspection. */
  readonly abortScaleDownDelaySeconds: number;
  /** Seconds a rollout may make no progress before it is aborted. */
  readonly progressDeadlineSeconds: number;
  /**
   * Capacity the node provisioner may buy for engine nodes (Karpenter `karpenter.sh/capacity-type`).
   * `spot` is refused in `production`: a reclaim gives two minutes' notice and takes a replica away mid-session.
   */
  readonly capacityTypes: readonly ("on-demand" | "spot")[];
  /**
   * Velero backups of each stage's namespace: where Velero runs, how often (cron, in the cluster's
   * time zone, UTC) and how long a backup is kept (a Go duration, e.g. `168h`).
   */
  readonly backup: {
    readonly namespace: string;
    readonly schedule: string;
    readonly ttl: string;
    /** The restore drill of every stage (generators/constructs/dr-drill.ts); absent: none. */
    readonly drill?: DrillSettings;
  };
  /** LitmusChaos experiments against this environment's Rollouts; absent: none (generators/constructs/chaos.ts). */
  readonly chaos?: ChaosSettings;
  /** The BitActor operator that reconciles each stage's BitActorCluster (operator/). */
  readonly operator: {
    /**
     * How long a region keeps its order flow after its TradingReady condition turns False; then the
     * operator closes it. 0 closes at once.
     */
    readonly orderFlowCloseGraceSeconds: number;
    /**
     * Severity of the alert that fires when a region has not been TradingReady for the grace period
     * (generators/constructs/operator-monitoring.ts): `page` wakes someone, `ticket` waits for office hours.
     */
    readonly notTradingSeverity: "page" | "ticket";
    /** The repository of its image (operator/image.json `repository`); each region file pins the digest. */
    readonly image: string;
    /** CPU of each replica, requests = limits. */
    readonly cpu: string;
    /** Memory of each replica, requests = limits. */
    readonly memory: string;
  };
  /** In-cluster monitoring the NetworkPolicies admit: Prometheus scraping, and the tracing backend. */
  readonly monitoring: {
    readonly namespace: string;
    readonly prometheusPodLabels: Readonly<Record<string, string>>;
    readonly tracingPort: number;
    /** The stage's in-cluster Prometheus, run by prometheus-operator (generators/constructs/stage-prometheus.ts). */
    readonly prometheus: PrometheusSettings;
  };
}

/**
 * The Prometheus that scrapes a stage's PodMonitors and evaluates its PrometheusRules: the gate's
 * and the alerts' source wherever the region's `prometheus.address` is the in-cluster one.
 */
export interface PrometheusSettings {
  /** Identical replicas, each scraping everything (prometheus-operator's high availability). */
  readonly replicas: number;
  /** How long samples are kept: at least the longest burn-rate window of the catalog's SLOs. */
  readonly retention: string;
  /** The size limit of each replica's emptyDir (a quantity). */
  readonly storage: string;
  /** CPU of the prometheus container, requests = limits. */
  readonly cpu: string;
  /** Memory of the prometheus container, requests = limits. */
  readonly memory: string;
}

/**
 * The restore drill: the newest completed Velero backup of a stage restored into `<stage>-drill`,
 * checked, timed against the RTO, and its result pushed where Prometheus and the dashboard see it.
 */
export interface DrillSettings {
  /** When the in-cluster CronJob runs it (five cron fields, UTC). */
  readonly schedule: string;
  /** The recovery time objective the restore is measured against, in seconds. */
  readonly rtoSeconds: number;
  /** The drill's image, by digest: bash, kubectl and curl. */
  readonly image: string;
  /** The Prometheus Pushgateway the result is pushed to (scraped with honor_labels). */
  readonly pushgateway: string;
}

/** How Argo Rollouts authenticates to a region's Prometheus. */
export interface PrometheusAuthentication {
  /** Amazon Managed Prometheus: SigV4 with the controller's IAM role. */
  readonly sigv4?: { readonly region: string; readonly roleArn: string };
}

/** A pinned engine version for one component in one region. */
export interface ComponentPin {
  /** Human version, shown as `app.kubernetes.io/version`. */
  readonly version: string;
  /** Image digest, `sha256:` + 64 hex digits. What runs is this, never a tag. */
  readonly digest: string;
  readonly replicas: number;
  /**
   * Lets this digest skip the release waves here (environments/waves.yaml): a hotfix that cannot
   * wait for the earlier waves' soak. Bound to one digest (a stale one is an error); the
   * release-order check in `npm run check` reports it with its reason.
   * @default none: the digest must have run in the previous wave first
   */
  readonly hotfix?: { readonly digest: string; readonly reason: string };
}

/** One sealed credential set of a component. */
export interface SealedCredential {
  /** The component whose engine container receives the keys as environment variables. */
  readonly component: string;
  /** Environment variable name → ciphertext from kubeseal (strict scope: bound to this namespace and secret name). */
  readonly encryptedData: Readonly<Record<string, string>>;
}

/** An exchange this region connects to. */
export interface Exchange {
  readonly id: string;
  /** One-way latency budget from the engine to the exchange, microseconds. */
  readonly latencyBudgetUs: number;
  /** The venue's cross-connect subnets: where the gateways and handlers may connect. */
  readonly cidrs: readonly string[];
  /** The venue's TCP ports (order entry, recovery). */
  readonly ports: readonly number[];
  /** The 10 Gbps link from the cloud region to our router in the venue's colocation site. */
  readonly crossConnect: CrossConnect;
}

/**
 * A dedicated 10 Gbps cross-connect: AWS Direct Connect, Google Cloud Interconnect (dedicated) or
 * Azure ExpressRoute, rendered with its gateway, private interface and BGP session. The physical
 * circuit is ordered at the site with the cloud's letter of authorisation (README "Infrastructure").
 */
export interface CrossConnect {
  /** The facility as the cloud names it (Direct Connect location code, Interconnect location, ExpressRoute peering location). */
  readonly location: string;
  /** The colocation provider (ExpressRoute's service provider; the others record it in tags). */
  readonly provider: string;
  /** 802.1Q VLAN of the private interface or attachment. */
  readonly vlan: number;
  /** Link-local /29 of the BGP session: per /30, the cloud takes the first host address and we the second. */
  readonly peering: string;
}

/** Per cloud, what `infrastructure.state` must name (the OpenTofu backend of the stage). */
export interface StateBackend {
  /** S3 (AWS) or GCS (GCP) bucket. */
  readonly bucket?: string;
  /** The S3 bucket's region (AWS). */
  readonly region?: string;
  /** Azure: the storage account's resource group, the account and its blob container. */
  readonly resourceGroup?: string;
  readonly storageAccount?: string;
  readonly container?: string;
}

/** The cloud side of a stage: rendered to `infrastructure/<env>/<region>/` (generators/infrastructure/). */
export interface RegionInfrastructure {
  /** AWS account id (12 digits), GCP project id, or Azure subscription id. */
  readonly account: string;
  /** Azure tenant id (Azure only; required there). */
  readonly tenant?: string;
  /** The VPC/VNet address space; split evenly over the zones. */
  readonly cidr: string;
  /** The only networks that may reach the cluster's API (never 0.0.0.0/0). */
  readonly apiAccessCidrs: readonly string[];
  /** Our private BGP ASN: the customer side of every cross-connect's BGP session. */
  readonly asn: number;
  /** Where OpenTofu keeps the stage's state: S3 {bucket, region}, GCS {bucket}, Azure {resourceGroup, storageAccount, container}. */
  readonly state: StateBackend;
}

/** `environments/<env>/regions/<region>.yaml`. */
export interface RegionSettings {
  /** Region id; must equal the file name. Used everywhere: folder, app names, namespace. */
  readonly region: string;
  /** The release wave (a `name` in `environments/waves.yaml`) in which this stage receives a new version. */
  readonly wave: string;
  readonly cloud: Cloud;
  /**
   * This region's own machine type for a catalog pool, where the catalog's is not offered (a zone
   * without the type, a newer generation). Must be in engine/machines.yaml and fit the pool's pods.
   * @default the catalog's `nodePools.<pool>.instanceTypes.<cloud>`
   */
  readonly nodePools?: Readonly<Record<string, { readonly instanceType: string }>>;
  /** The cluster as registered in Argo CD (destination name). */
  readonly cluster: { readonly name: string };
  readonly zones: readonly string[];
  readonly exchanges: readonly Exchange[];
  /** The stage's cloud resources: account, network, API access, BGP, OpenTofu state. */
  readonly infrastructure: RegionInfrastructure;
  readonly prometheus: {
    /** Query address Argo Rollouts' analysis uses. */
    readonly address: string;
    /** Seconds before a query counts as an error (never as a success). */
    readonly timeoutSeconds: number;
    readonly authentication?: PrometheusAuthentication;
  };
  /** The tracing backend the region's collector exports to (OTLP/gRPC `host:port`). */
  readonly tracing: { readonly endpoint: string; readonly tls: boolean };
  /**
   * Credentials (exchange sessions, API keys), sealed with the region's sealed-secrets controller
   * certificate (`npm run seal`): only ciphertext is ever in git. Each becomes a SealedSecret in its
   * component's folder and environment variables of its engine container.
   */
  readonly secrets?: Readonly<Record<string, SealedCredential>>;
  /** The region's Grafana; Argo CD links its dashboards. */
  readonly grafana: {
    readonly url: string;
    /**
     * Grafana's admin login, sealed with the region's sealed-secrets controller certificate
     * (`npm run seal -- ... --grafana-admin`): the SealedSecret the Grafana add-on's values name
     * (engine/addons.yaml `admin.existingSecret`), rendered in the stage's folder of that add-on
     * (`rollouts/<env>/<region>/grafana/`), which its Application syncs as a second source.
     * @default none: the site creates that Secret itself (docs/gitops.md "Prerequisites")
     */
    readonly admin?: { readonly user: string; readonly password: string };
  };
  /**
   * Karpenter's settings for the region's cluster (AWS regions only; required there): the IAM role
   * its nodes get, and the EKS-optimised AMI release they boot, pinned (`al2023@vYYYYMMDD`): a new
   * AMI replaces every node through Karpenter's drift, so it moves only by a reviewed change.
   * Subnets and security groups are found by the tag `karpenter.sh/discovery: <cluster.name>`.
   */
  readonly karpenter?: { readonly nodeRole: string; readonly amiAlias: string };
  /**
   * The region's backup bucket (Velero BackupStorageLocation): the bucket (each stage writes under
   * its own prefix) and the storage provider's settings for it (Velero's plugin for the region's
   * cloud: `region` on AWS; `resourceGroup`, `storageAccount`, `subscriptionId` on Azure; none needed on GCP).
   */
  readonly backup: {
    readonly bucket: string;
    readonly config?: Readonly<Record<string, string>>;
    /**
     * The client id of the identity Velero's pods take (Azure Workload Identity: the infrastructure
     * module's `<cluster>-velero` identity, whose id Azure chooses; `npm run infra:outputs` writes it
     * here from the module's `velero_client_id` output). Velero's add-on values use it as
     * `${backupIdentity}`. @default none: AWS (Pod Identity) and GCP (a service account named after
     * the cluster) need none
     */
    readonly identity?: string;
  };
  /** Components deployed in this region with their pins. Keys must exist in the catalog. */
  readonly components: Readonly<Record<string, ComponentPin>>;
  /**
   * The BitActor operator's image this stage runs: the version and the digest `npm run operator:image`
   * built. @default none: the operator has not reached this stage's wave yet; its access and
   * monitoring are rendered, its pods are not.
   */
  readonly operator?: { readonly version: string; readonly digest: string };
  /**
   * Who lets the exchange-egress pods reach the exchanges: `components` (each component's own
   * NetworkPolicy allows its exchanges, always) or `operator` (the components' policies allow no
   * exchange, and only the operator's order-flow NetworkPolicy does, while the region is
   * TradingReady). `operator` needs `operator` pinned here. @default "components"
   */
  readonly exchangeAccess?: "components" | "operator";
}

/** One wave of `environments/waves.yaml`, as written. */
export interface WaveInput {
  /** Wave id, e.g. `wave-1`: region files name it in `wave`; `npm run promote -- <component> --to <name>`. */
  readonly name: string;
  /**
   * How long every stage of this wave must run a promoted version, unrolled back, before the next
   * wave may receive it (`90m`, `24h`). Required on every wave but the last.
   */
  readonly soak?: string;
}

/** `environments/waves.yaml`, as written: the order of the waves and their soaks. */
export interface ReleasePlanInput {
  readonly waves: readonly WaveInput[];
  /**
   * Commits on main that broke the order, acknowledged in review (git history cannot be rewritten):
   * `npm run check` reports their pins instead of failing on them forever.
   * @default none
   */
  readonly acknowledged?: readonly { readonly commit: string; readonly reason: string }[];
}

/** A wave with its stages: the stages whose region file names it, sorted by id. */
export interface Wave extends WaveInput {
  /** Stage ids (`<environment>-<region>`). */
  readonly stages: readonly string[];
}

/** The release plan: waves in order, each with its stages. */
export interface ReleasePlan {
  readonly waves: readonly Wave[];
  readonly acknowledged?: ReleasePlanInput["acknowledged"];
}

/** A validated environment with its regions, sorted by id. */
export interface Environment {
  readonly settings: EnvironmentSettings;
  readonly regions: readonly RegionSettings[];
}

/** Everything a render needs, validated. */
export interface RepositoryModel {
  readonly catalog: Catalog;
  /** The node catalog (engine/machines.yaml): machine types and what each managed service keeps on a node. */
  readonly machines: MachineCatalog;
  /** The platform's add-ons (engine/addons.yaml). */
  readonly addons: AddonCatalog;
  /** Which release of each add-on (tools/versions.json addons). */
  readonly addonVersions: AddonVersions;
  /** The Prometheus release every stage's Prometheus runs (tools/versions.json `prometheus`, e.g. v3.16.0). */
  readonly prometheusVersion: string;
  /** Sorted by id. */
  readonly environments: readonly Environment[];
  /** The release waves, in order. */
  readonly plan: ReleasePlan;
  /** Where each input field is, by file (the loader's parsed files): the render locates its refusals with it. */
  readonly sources?: ReadonlyMap<string, YamlSource>;
}

/** An input file as read by `scripts/`: its repository-relative path and text. */
export interface InputFile {
  readonly path: string;
  readonly text: string;
}
