// Over 300 lines: the closed schemas of the four input files (catalog, environment, region, waves) share the field definitions at the top; each schema reads on its own below them.
/**
 * JSON Schemas (draft 2020-12 subset, as ajv runs it) for the typed inputs in `types.ts`.
 * Every object is closed (`additionalProperties: false`) so a misspelled key is an error, not a
 * silently ignored setting. Ranges name their source where one exists.
 */

const id = { type: "string", pattern: "^[a-z][a-z0-9-]{0,30}[a-z0-9]$" } as const;
const positiveInt = { type: "integer", minimum: 1 } as const;
const seconds = (min: number, max: number) => ({ type: "integer", minimum: min, maximum: max }) as const;
const digestRef = { type: "string", pattern: "^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)+@sha256:[a-f0-9]{64}$" } as const;
const imageRepo = { type: "string", pattern: "^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)+$" } as const;
// Kubernetes quantity, binary or decimal suffix (k8s.io/apimachinery resource.Quantity).
/** An image digest: what runs is this, never a tag. */
const imageDigest = { type: "string", pattern: "^sha256:[a-f0-9]{64}$" } as const;
/** A release's semantic version (1.2.3, 1.2.3-rc.1). */
const semanticVersion = { type: "string", pattern: "^[0-9]+\\.[0-9]+\\.[0-9]+([-+][0-9A-Za-z.-]+)?$" } as const;
const memory = { type: "string", pattern: "^[1-9][0-9]*(Ki|Mi|Gi|Ti)$" } as const;
const labelName = { type: "string", pattern: "^[a-zA-Z_][a-zA-Z0-9_]*$" } as const;
const metricName = { type: "string", pattern: "^[a-zA-Z_:][a-zA-Z0-9_:]*$" } as const;
const share = { type: "number", exclusiveMinimum: 0.5, exclusiveMaximum: 1 } as const;
// Prometheus durations in whole minutes, hours or days: what burn-rate windows are written in.
const window = { type: "string", pattern: "^[1-9][0-9]*(m|h|d)$" } as const;
// IPv4 CIDR (NetworkPolicy ipBlock).
const cidr = { type: "string", pattern: "^(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}/([0-9]|[12][0-9]|3[0-2])$" } as const;
// An instance type per cloud (a node pool's, the system nodes').
const instanceTypes = {
  type: "object",
  additionalProperties: false,
  required: ["aws", "gcp", "azure"],
  properties: { aws: { type: "string", minLength: 1 }, gcp: { type: "string", minLength: 1 }, azure: { type: "string", minLength: 1 } },
} as const;
// Azure subscription and tenant ids.
const uuid = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
// Linux cpuset list (cpuset(7) "List format"): 0-7,16,18-19.
const cpuset = { type: "string", pattern: "^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$" } as const;
const labelMap = { type: "object", minProperties: 1, additionalProperties: { type: "string", pattern: "^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$" }, propertyNames: { pattern: "^([a-z0-9.-]+/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$" } } as const;
const port = {
  type: "object",
  additionalProperties: false,
  required: ["name", "port"],
  // Port names are IANA_SVC_NAME: at most 15 characters (Kubernetes validation).
  properties: { name: { type: "string", pattern: "^[a-z]([a-z0-9-]{0,13}[a-z0-9])?$" }, port: { type: "integer", minimum: 1, maximum: 65535 } },
} as const;

// A program every node of some pools runs (catalog nodeAgents): its pinned image and the host access it needs.
const nodeAgent = {
  type: "object",
  additionalProperties: false,
  required: ["description", "image", "version", "resources", "host"],
  properties: {
    description: { type: "string", minLength: 1 },
    image: digestRef,
    // The upstream release the digest is; shown as the app.kubernetes.io/version label.
    version: { type: "string", pattern: "^v?[0-9]+\\.[0-9]+\\.[0-9]+$" },
    resources: {
      type: "object",
      additionalProperties: false,
      required: ["cpu", "memory", "ephemeralStorage"],
      properties: { cpu: { type: "string", pattern: "^[1-9][0-9]*m$" }, memory, ephemeralStorage: memory },
    },
    host: {
      type: "object",
      additionalProperties: false,
      required: ["paths", "privileged", "runAsRoot"],
      properties: {
        paths: { type: "array", uniqueItems: true, items: { type: "string", pattern: "^/[A-Za-z0-9._/-]+$" } },
        privileged: { type: "boolean" },
        runAsRoot: { type: "boolean" },
      },
    },
  },
} as const;

export const catalogSchema = {
  $id: "catalog",
  type: "object",
  additionalProperties: false,
  required: ["podTemplateHashLabel", "namespaceLabel", "scrapeIntervalSeconds", "quantile", "roleLabel", "venueLabel", "symbolLabel", "slo", "alerts", "tracing", "businessMetrics", "flows", "loadGenerator", "benchmark", "nodePools", "systemNodes", "nodeTuning", "meshProxy", "nodeAgents", "acceleratedNetworks", "components"],
  properties: {
    podTemplateHashLabel: labelName,
    namespaceLabel: labelName,
    roleLabel: labelName,
    venueLabel: labelName,
    symbolLabel: labelName,
    slo: {
      type: "object",
      additionalProperties: false,
      required: ["periodDays", "latencyObjective", "availabilityObjective", "burnRateAlerts"],
      properties: {
        // The SRE workbook's burn-rate factors assume a 28-30 day period; others would need new factors.
        periodDays: { type: "integer", minimum: 28, maximum: 31 },
        latencyObjective: share,
        availabilityObjective: share,
        burnRateAlerts: {
          type: "array",
          minItems: 1,
          items: {
            type: "object",
            additionalProperties: false,
            required: ["severity", "longWindow", "shortWindow", "burnRate"],
            properties: { severity: { enum: ["page", "ticket"] }, longWindow: window, shortWindow: window, burnRate: { type: "number", exclusiveMinimum: 0, maximum: 1000 } },
          },
        },
      },
    },
    alerts: {
      type: "object",
      additionalProperties: false,
      required: ["latencyWindowSeconds", "latencyForSeconds", "minRateShareOfFloor", "scrapeDownForSeconds"],
      properties: {
        latencyWindowSeconds: seconds(30, 3600),
        latencyForSeconds: seconds(0, 3600),
        minRateShareOfFloor: { type: "number", exclusiveMinimum: 0, maximum: 10 },
        scrapeDownForSeconds: seconds(15, 3600),
      },
    },
    tracing: {
      type: "object",
      additionalProperties: false,
      required: ["headSamplingRatio", "sdkMaxQueueSize", "collector"],
      properties: {
        // At most 10 %: above that the SDK's export work per order stops being negligible.
        headSamplingRatio: { type: "number", exclusiveMinimum: 0, maximum: 0.1 },
        sdkMaxQueueSize: { type: "integer", minimum: 64, maximum: 65536 },
        collector: {
          type: "object",
          additionalProperties: false,
          required: ["image", "replicas", "resources", "decisionWaitSeconds", "maxTraces", "baselinePercent"],
          properties: {
            image: digestRef,
            // Tail sampling needs a trace's spans in one collector: more replicas need a load-balancing tier.
            replicas: { type: "integer", minimum: 1, maximum: 1 },
            resources: { type: "object", additionalProperties: false, required: ["cpu", "memory", "ephemeralStorage"], properties: { cpu: { type: "integer", minimum: 1, maximum: 64 }, memory, ephemeralStorage: memory } },
            decisionWaitSeconds: seconds(1, 120),
            maxTraces: { type: "integer", minimum: 1000, maximum: 10000000 },
            baselinePercent: { type: "number", minimum: 0, maximum: 100 },
          },
        },
      },
    },
    flows: {
      type: "array",
      uniqueItems: true,
      items: { type: "object", additionalProperties: false, required: ["from", "to"], properties: { from: id, to: id } },
    },
    businessMetrics: {
      type: "object",
      additionalProperties: false,
      required: ["exporter", "pnl", "positionValue", "riskExposure"],
      properties: { exporter: id, pnl: metricName, positionValue: metricName, riskExposure: metricName },
    },
    // At least 1 s: Prometheus durations below a second exist but 1 s is what the engine's latency SLO is measured at and what
    // the gate's windows (≥ 30 s) are sized for; at most 15 s so a 30 s window still holds two samples.
    scrapeIntervalSeconds: seconds(1, 15),
    quantile: { type: "number", exclusiveMinimum: 0.5, exclusiveMaximum: 1 },
    loadGenerator: {
      type: "object",
      additionalProperties: false,
      required: ["image", "tailSeconds"],
      properties: { image: digestRef, tailSeconds: seconds(0, 300) },
    },
    benchmark: {
      type: "object",
      additionalProperties: false,
      required: ["image", "runs", "minSamplesPerRun", "regressionPercent"],
      properties: {
        image: digestRef,
        // At least 3 runs: the regression gate needs a median and a spread (checks/bench-gate.ts).
        runs: { type: "integer", minimum: 3, maximum: 50 },
        // A p99 needs well over 100 observations before it is more than the largest few; 100 000 is the least we accept.
        minSamplesPerRun: { type: "integer", minimum: 100000 },
        regressionPercent: { type: "number", exclusiveMinimum: 0, maximum: 50 },
      },
    },
    acceleratedNetworks: {
      type: "object",
      propertyNames: id,
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        required: ["description", "resourceName"],
        properties: {
          description: { type: "string", minLength: 1 },
          // An extended resource name: a domain prefix other than kubernetes.io, then a name (Kubernetes resource naming).
          resourceName: { type: "string", pattern: "^(?!kubernetes\\.io/)[a-z0-9]([a-z0-9.-]*[a-z0-9])?/[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$" },
        },
      },
    },
    nodeTuning: {
      type: "object",
      additionalProperties: false,
      required: ["cpuManagerPolicy", "topologyManagerPolicy", "topologyManagerScope", "reservedSystemCpus", "isolatedCpus", "mtu"],
      properties: {
        // The only policy that gives exclusive cores (kubernetes.io/docs/tasks/administer-cluster/cpu-management-policies).
        cpuManagerPolicy: { enum: ["static"] },
        // Policies that refuse a pod whose resources are not NUMA-aligned (topology-manager docs); best-effort/none would run it misaligned.
        topologyManagerPolicy: { enum: ["single-numa-node", "restricted"] },
        topologyManagerScope: { enum: ["pod", "container"] },
        reservedSystemCpus: cpuset,
        isolatedCpus: cpuset,
        // 1280: the IPv6 minimum (RFC 8200); 9001: the largest MTU AWS, GCP (8896) and Azure carry is AWS's.
        mtu: { type: "integer", minimum: 1280, maximum: 9001 },
      },
    },
    nodeAgents: {
      type: "object",
      additionalProperties: false,
      required: ["gpuDevicePlugin", "nodeTuning"],
      properties: { gpuDevicePlugin: nodeAgent, nodeTuning: nodeAgent },
    },
    meshProxy: {
      type: "object",
      additionalProperties: false,
      required: ["cpu", "memory"],
      // Millicores: a whole-CPU proxy would take an exclusive core from the static CPU manager's pool.
      properties: { cpu: { type: "string", pattern: "^[1-9][0-9]*m$" }, memory },
    },
    systemNodes: {
      type: "object",
      additionalProperties: false,
      required: ["description", "instanceTypes", "perZone"],
      properties: {
        description: { type: "string", minLength: 1 },
        instanceTypes,
        perZone: { type: "integer", minimum: 1, maximum: 10 },
      },
    },
    nodePools: {
      type: "object",
      minProperties: 1,
      propertyNames: id,
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        required: ["description", "instanceTypes"],
        properties: {
          description: { type: "string", minLength: 1 },
          instanceTypes,
        },
      },
    },
    components: {
      type: "object",
      minProperties: 1,
      propertyNames: id,
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        required: ["description", "image", "budgetNs", "nodePool", "exchangeEgress", "security", "servicePort", "metricsPort", "resources", "metric", "counters", "prePromotion", "postPromotion"],
        properties: {
          description: { type: "string", minLength: 1 },
          image: imageRepo,
          budgetNs: positiveInt,
          nodePool: id,
          exchangeEgress: { type: "boolean" },
          security: {
            type: "object",
            additionalProperties: false,
            required: ["addCapabilities"],
            properties: {
              // Only what kernel-bypass networking needs; anything broader (SYS_ADMIN, NET_ADMIN ...) is
              // not an exception this repository grants: DPDK needs no more (docs/security.md, "Identities and pod security").
              addCapabilities: { type: "array", uniqueItems: true, items: { enum: ["IPC_LOCK", "NET_RAW", "SYS_NICE"] } },
            },
          },
          acceleratedNetworks: { type: "array", uniqueItems: true, items: id },
          servicePort: port,
          metricsPort: port,
          resources: {
            type: "object",
            additionalProperties: false,
            required: ["cpu", "memory", "hugepages2Mi", "ephemeralStorage"],
            // Whole cores: the kubelet's static CPU manager pins only integer CPU requests. GPUs: whole
            // devices (the device plugin hands out no fractions); 8 is the most any catalog machine has.
            properties: { cpu: { type: "integer", minimum: 1, maximum: 192 }, memory, hugepages2Mi: memory, ephemeralStorage: memory, gpus: { type: "integer", minimum: 1, maximum: 8 } },
          },
          metric: {
            type: "object",
            additionalProperties: false,
            required: ["name", "bucketsNs"],
            properties: {
              name: { type: "string", pattern: "^[a-zA-Z_:][a-zA-Z0-9_:]*_seconds$" },
              bucketsNs: { type: "array", minItems: 2, items: positiveInt },
            },
          },
          counters: {
            type: "object",
            additionalProperties: false,
            required: ["events", "errors", "eventUnit"],
            // Counters end in _total (Prometheus naming conventions).
            properties: {
              events: { type: "string", pattern: "^[a-zA-Z_:][a-zA-Z0-9_:]*_total$" },
              errors: { type: "string", pattern: "^[a-zA-Z_:][a-zA-Z0-9_:]*_total$" },
              eventUnit: { type: "string", pattern: "^[a-z][a-z ]{0,30}$" },
            },
          },
          prePromotion: {
            type: "object",
            additionalProperties: false,
            required: ["ratePerSecond", "warmupSeconds", "measurements", "intervalSeconds", "minSamplesPerMeasurement"],
            properties: {
              ratePerSecond: positiveInt,
              warmupSeconds: seconds(0, 600),
              measurements: { type: "integer", minimum: 2, maximum: 20 },
              intervalSeconds: seconds(10, 600),
              minSamplesPerMeasurement: positiveInt,
            },
          },
          postPromotion: {
            type: "object",
            additionalProperties: false,
            required: ["measurements", "intervalSeconds", "minSamplesPerMeasurement"],
            properties: {
              measurements: { type: "integer", minimum: 2, maximum: 60 },
              intervalSeconds: seconds(10, 600),
              minSamplesPerMeasurement: positiveInt,
            },
          },
        },
      },
    },
  },
} as const;

/**
 * One value sealed by kubeseal: base64 of an RSA-OAEP session key (>= 256 bytes for a 2048-bit key)
 * and the AES-GCM ciphertext. Anything shorter is not a sealed value (a pasted plaintext, for one).
 */
const SEALED = { type: "string", minLength: 344, pattern: "^[A-Za-z0-9+/]+={0,2}$" } as const;

export const environmentSchema = {
  $id: "environment",
  type: "object",
  additionalProperties: false,
  required: ["environment", "promotion", "repository", "argocd", "scaleDownDelaySeconds", "abortScaleDownDelaySeconds", "progressDeadlineSeconds", "capacityTypes", "backup", "monitoring", "operator"],
  properties: {
    environment: id,
    promotion: { enum: ["manual", "automatic"] },
    repository: {
      type: "object",
      additionalProperties: false,
      required: ["url", "targetRevision"],
      // file:/// and plain http to this machine only serve an Argo CD on the same machine: npm run
      // e2e:gitops (Argo CD's own e2e tests use both). Plain http anywhere else would carry the
      // credential in the clear.
      properties: {
        url: { type: "string", pattern: "^(https://|ssh://|git@|file:///|http://(127\\.0\\.0\\.1|localhost)(:[0-9]+)?/)\\S+$" },
        targetRevision: { type: "string", minLength: 1 },
        credential: { type: "object", additionalProperties: false, required: ["username", "password"], properties: { username: SEALED, password: SEALED } },
      },
    },
    argocd: { type: "object", additionalProperties: false, required: ["namespace"], properties: { namespace: id } },
    scaleDownDelaySeconds: seconds(30, 86400),
    abortScaleDownDelaySeconds: seconds(0, 86400),
    progressDeadlineSeconds: seconds(60, 86400),
    capacityTypes: { type: "array", minItems: 1, uniqueItems: true, items: { enum: ["on-demand", "spot"] } },
    backup: {
      type: "object",
      additionalProperties: false,
      required: ["namespace", "schedule", "ttl"],
      properties: {
        namespace: id,
        // Five cron fields (Velero uses robfig/cron's standard parser); the minute field is checked at input.
        schedule: { type: "string", pattern: "^\\S+( \\S+){4}$" },
        // Go duration in whole hours or minutes (Velero's ttl is a metav1.Duration).
        ttl: { type: "string", pattern: "^[1-9][0-9]*(h|m)$" },
        // The monthly restore drill (generators/constructs/dr-drill.ts); absent = none.
        drill: {
          type: "object",
          additionalProperties: false,
          required: ["schedule", "rtoSeconds", "image", "pushgateway"],
          properties: {
            schedule: { type: "string", pattern: "^\\S+( \\S+){4}$" },
            // At least a minute (a restore is never faster), at most an hour (longer is no objective for a trading stage).
            rtoSeconds: seconds(60, 3600),
            image: digestRef,
            // Its in-cluster name: the drill's NetworkPolicy opens the port in the namespace the name gives.
            pushgateway: { type: "string", pattern: "^https?://[a-z0-9-]+\\.[a-z0-9-]+\\.svc(\\.cluster\\.local)?(:[0-9]+)?$" },
          },
        },
      },
    },
    monitoring: {
      type: "object",
      additionalProperties: false,
      required: ["namespace", "prometheusPodLabels", "tracingPort", "prometheus"],
      properties: {
        namespace: id,
        prometheusPodLabels: labelMap,
        tracingPort: { type: "integer", minimum: 1, maximum: 65535 },
        // The stage's in-cluster Prometheus (generators/constructs/stage-prometheus.ts).
        prometheus: {
          type: "object",
          additionalProperties: false,
          required: ["replicas", "retention", "storage", "cpu", "memory"],
          properties: {
            replicas: { type: "integer", minimum: 1, maximum: 3 },
            retention: window,
            storage: memory,
            // Whole cores or millicores (requests = limits: a Guaranteed pod).
            cpu: { type: "string", pattern: "^([1-9][0-9]*|[1-9][0-9]*m)$" },
            memory,
          },
        },
      },
    },
    // The BitActor operator (operator/): what it may tolerate before it closes a region's order flow.
    operator: {
      type: "object",
      additionalProperties: false,
      required: ["orderFlowCloseGraceSeconds", "notTradingSeverity", "image", "cpu", "memory"],
      properties: {
        // At most 10 minutes: longer is no longer a blip but trading on a region nobody has proven.
        orderFlowCloseGraceSeconds: seconds(0, 600),
        // The severities the alert routing knows (the component rules' page, the burn-rate alerts' ticket).
        notTradingSeverity: { enum: ["page", "ticket"] },
        // The repository its image is pushed to (operator/image.json); the region files pin the digest.
        image: { type: "string", pattern: "^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)+$" },
        // Per replica, requests = limits (a Guaranteed pod).
        cpu: { type: "string", pattern: "^([1-9][0-9]*|[1-9][0-9]*m)$" },
        memory,
      },
    },
    // LitmusChaos experiments against the environment's Rollouts (generators/constructs/chaos.ts); absent = none.
    chaos: {
      type: "object",
      additionalProperties: false,
      required: ["schedule", "durationSeconds", "probeWindow", "prometheusEndpoint", "networkLatencyMs", "cpuCores", "runnerImage", "experimentImage", "triggerImage"],
      properties: {
        schedule: { type: "string", pattern: "^\\S+( \\S+){4}$" },
        // Long enough for two probe windows, short enough that a staging session is not one long fault.
        durationSeconds: seconds(60, 1800),
        // The SLO queries' rate window the probes read: at least 30 s so a 1 s scrape gives a rate of many samples.
        probeWindow: { type: "string", pattern: "^([3-9][0-9]s|[1-9][0-9]*m)$" },
        prometheusEndpoint: { type: "string", pattern: "^https?://\\S+$" },
        networkLatencyMs: { type: "integer", minimum: 1, maximum: 1000 },
        cpuCores: { type: "integer", minimum: 1, maximum: 64 },
        runnerImage: digestRef,
        experimentImage: digestRef,
        triggerImage: digestRef,
      },
    },
  },
} as const;

export const regionSchema = {
  $id: "region",
  type: "object",
  additionalProperties: false,
  required: ["region", "wave", "cloud", "cluster", "zones", "exchanges", "infrastructure", "prometheus", "tracing", "grafana", "backup", "components"],
  properties: {
    region: id,
    // The release wave of environments/waves.yaml this stage receives versions in.
    wave: id,
    cloud: { enum: ["aws", "gcp", "azure"] },
    nodePools: {
      type: "object",
      minProperties: 1,
      propertyNames: id,
      additionalProperties: { type: "object", additionalProperties: false, required: ["instanceType"], properties: { instanceType: { type: "string", minLength: 1 } } },
    },
    cluster: { type: "object", additionalProperties: false, required: ["name"], properties: { name: { type: "string", pattern: "^[a-z0-9][a-z0-9-.]{0,62}$" } } },
    // Three zones: a zone outage leaves two thirds of capacity (every component spreads its replicas over them).
    zones: { type: "array", minItems: 3, uniqueItems: true, items: { type: "string", pattern: "^[a-z0-9-]+$" } },
    exchanges: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["id", "latencyBudgetUs", "cidrs", "ports", "crossConnect"],
        properties: {
          id: { type: "string", pattern: "^[A-Z][A-Z0-9]{1,15}$" },
          latencyBudgetUs: positiveInt,
          cidrs: { type: "array", minItems: 1, uniqueItems: true, items: cidr },
          ports: { type: "array", minItems: 1, uniqueItems: true, items: { type: "integer", minimum: 1, maximum: 65535 } },
          crossConnect: {
            type: "object",
            additionalProperties: false,
            required: ["location", "provider", "vlan", "peering"],
            properties: {
              // The colocation facility as the cloud names it (Direct Connect location code, Interconnect location, ExpressRoute peering location).
              location: { type: "string", minLength: 2, maxLength: 64, pattern: "^[A-Za-z0-9][A-Za-z0-9 ()._-]*$" },
              provider: { type: "string", minLength: 2, maxLength: 64, pattern: "^[A-Za-z0-9][A-Za-z0-9 ._-]*$" },
              // 802.1Q tag of the private interface / attachment (2 to 4094 on every cloud).
              vlan: { type: "integer", minimum: 2, maximum: 4094 },
              // A link-local /29 (RFC 3927) for the BGP session: what GCP's candidate subnets take, and two /30s for ExpressRoute's primary and secondary links.
              peering: { type: "string", pattern: "^169\\.254\\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])/29$" },
            },
          },
        },
      },
    },
    infrastructure: {
      type: "object",
      additionalProperties: false,
      required: ["account", "cidr", "apiAccessCidrs", "asn", "state"],
      properties: {
        // AWS account id, GCP project id or Azure subscription id (which one the cloud wants is checked with the cloud).
        account: { type: "string", pattern: `^([0-9]{12}|[a-z][a-z0-9-]{4,28}[a-z0-9]|${uuid})$` },
        tenant: { type: "string", pattern: `^${uuid}$` },
        cidr,
        apiAccessCidrs: { type: "array", minItems: 1, maxItems: 16, uniqueItems: true, items: cidr },
        // Private ASNs only (RFC 6996): 64512-65534 and 4200000000-4294967294 (the gap between is checked with the cloud).
        asn: { type: "integer", minimum: 64512, maximum: 4294967294 },
        state: {
          type: "object",
          additionalProperties: false,
          minProperties: 1,
          properties: {
            bucket: { type: "string", pattern: "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$" },
            region: id,
            resourceGroup: { type: "string", pattern: "^[A-Za-z0-9._()-]{1,90}$" },
            // Azure storage account names: 3 to 24 lower-case letters and digits.
            storageAccount: { type: "string", pattern: "^[a-z0-9]{3,24}$" },
            container: { type: "string", pattern: "^[a-z0-9](-?[a-z0-9]){2,62}$" },
          },
        },
      },
    },
    prometheus: {
      type: "object",
      additionalProperties: false,
      required: ["address", "timeoutSeconds"],
      properties: {
        address: { type: "string", pattern: "^https?://[^\\s/]+(/\\S*)?$" },
        timeoutSeconds: seconds(1, 60),
        authentication: {
          type: "object",
          additionalProperties: false,
          minProperties: 1,
          properties: {
            sigv4: {
              type: "object",
              additionalProperties: false,
              required: ["region", "roleArn"],
              properties: { region: id, roleArn: { type: "string", pattern: "^arn:aws:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$" } },
            },
          },
        },
      },
    },
    tracing: {
      type: "object",
      additionalProperties: false,
      required: ["endpoint", "tls"],
      // host:port, as the OTLP gRPC exporter takes it (no scheme).
      properties: { endpoint: { type: "string", pattern: "^[a-z0-9]([a-z0-9.-]*[a-z0-9])?:[0-9]{1,5}$" }, tls: { type: "boolean" } },
    },
    // Upper bounds on the maps: besides catching runaway files, they let the API server bound the
    // cost of the BitActorCluster CRD's CEL key checks (generated from this schema), which it refuses
    // to install otherwise ("estimated rule cost exceeds budget").
    secrets: {
      type: "object",
      maxProperties: 64,
      propertyNames: id,
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        required: ["component", "encryptedData"],
        properties: {
          component: id,
          encryptedData: {
            type: "object",
            minProperties: 1,
            maxProperties: 32,
            propertyNames: { pattern: "^[A-Z][A-Z0-9_]{0,62}$" },
            additionalProperties: SEALED,
          },
        },
      },
    },
    grafana: {
      type: "object",
      additionalProperties: false,
      required: ["url"],
      properties: {
        url: { type: "string", pattern: "^https://[^\\s/?#]+(/[^\\s?#]*)?$" },
        admin: { type: "object", additionalProperties: false, required: ["user", "password"], properties: { user: SEALED, password: SEALED } },
      },
    },
    backup: {
      type: "object",
      additionalProperties: false,
      required: ["bucket"],
      properties: {
        // S3, GCS and Azure container names: lower case, digits, '-' and '.', 3 to 63 characters.
        bucket: { type: "string", pattern: "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$" },
        config: { type: "object", maxProperties: 16, propertyNames: { type: "string", pattern: "^[a-zA-Z][a-zA-Z0-9]*$" }, additionalProperties: { type: "string", minLength: 1 } },
        // An Azure client id (a GUID).
        identity: { type: "string", pattern: "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$" },
      },
    },
    karpenter: {
      type: "object",
      additionalProperties: false,
      required: ["nodeRole", "amiAlias"],
      properties: {
        // IAM role name (IAM limits: 64 characters of [\w+=,.@-]).
        nodeRole: { type: "string", pattern: "^[A-Za-z0-9+=,.@_-]{1,64}$" },
        // A pinned Amazon Linux 2023 EKS AMI release; never @latest (Karpenter would replace nodes whenever AWS publishes one).
        amiAlias: { type: "string", pattern: "^al2023@v[0-9]{8}$" },
      },
    },
    // Who lets the exchange-egress pods reach the exchanges: "components" (their own NetworkPolicies,
    // always open) or "operator" (only the operator's order-flow policy, open while the region is
    // TradingReady). Default "components"; "operator" needs the operator pinned here (docs/runbook.md,
    // "Handing a region's exchanges to the operator").
    exchangeAccess: { enum: ["components", "operator"] },
    // The BitActor operator's image this stage runs (operator/README.md, "The image"); absent: the
    // operator has not reached this stage's wave yet (npm run promote -- bitactor-operator brings it).
    operator: {
      type: "object",
      additionalProperties: false,
      required: ["version", "digest"],
      properties: {
        version: semanticVersion,
        digest: imageDigest,
      },
    },
    components: {
      type: "object",
      minProperties: 1,
      propertyNames: id,
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        required: ["version", "digest", "replicas"],
        properties: {
          version: semanticVersion,
          digest: imageDigest,
          replicas: { type: "integer", minimum: 1, maximum: 50 },
          // The reviewed way past the release waves (docs/releases.md#hotfix): bound to one digest.
          hotfix: {
            type: "object",
            additionalProperties: false,
            required: ["digest", "reason"],
            properties: {
              digest: imageDigest,
              // Long enough to say what breaks and why it cannot wait: a reviewer reads it.
              reason: { type: "string", minLength: 20, maxLength: 500 },
            },
          },
        },
      },
    },
  },
} as const;

// A soak: whole seconds, minutes or hours ("90m", "24h").
const soak = { type: "string", pattern: "^[1-9][0-9]*(s|m|h)$" } as const;

export const wavesSchema = {
  $id: "waves",
  type: "object",
  additionalProperties: false,
  required: ["waves"],
  properties: {
    waves: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name"],
        // Which stages a wave holds is each region file's `wave`: adding a region stays one file.
        properties: { name: id, soak },
      },
    },
    // Commits already on main that broke the order (history cannot be rewritten): their pins are
    // reported as acknowledged instead of failing every later check. Reviewed like any change.
    acknowledged: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["commit", "reason"],
        properties: { commit: { type: "string", pattern: "^[0-9a-f]{40}$" }, reason: { type: "string", minLength: 20, maxLength: 500 } },
      },
    },
  },
} as const;

/** A map of strings (labels, selectors, quantities by resource name). */
const stringMap = { type: "object", additionalProperties: { type: "string" } } as const;

/**
 * One component's performance target in a BitActorCluster (generators/cluster-targets.ts renders
 * them; the BitActor operator reads them, operator/src/model.ts). Not an input: the render writes it,
 * and the CRD refuses a hand edit that the operator could not act on.
 */
export const clusterTargetSchema = {
  type: "object",
  additionalProperties: false,
  required: ["rollout", "image", "budgetNs", "quantile", "windowSeconds", "minSamples", "query", "firstReleaseRun", "nodes"],
  properties: {
    rollout: { type: "string", minLength: 1 },
    image: { type: "string", minLength: 1 },
    budgetNs: { type: "integer", minimum: 1 },
    quantile: { type: "number", exclusiveMinimum: 0, exclusiveMaximum: 1 },
    windowSeconds: { type: "integer", minimum: 1 },
    minSamples: { type: "integer", minimum: 1 },
    query: { type: "object", additionalProperties: false, required: ["share", "samples"], properties: { share: { type: "string", minLength: 1 }, samples: { type: "string", minLength: 1 } } },
    firstReleaseRun: { type: "string", minLength: 1 },
    nodes: { type: "object", additionalProperties: false, required: ["selector", "perPod", "labels"], properties: { selector: stringMap, perPod: stringMap, labels: stringMap } },
  },
} as const;

/** The exchanges a BitActorCluster's order flow opens, and for how long it outlives TradingReady. */
export const orderFlowSchema = {
  type: "object",
  additionalProperties: false,
  required: ["policyName", "podSelector", "egress", "closeGraceSeconds"],
  properties: {
    policyName: id,
    podSelector: {
      type: "object",
      additionalProperties: false,
      required: ["matchLabels", "matchExpressions"],
      properties: {
        matchLabels: stringMap,
        matchExpressions: {
          type: "array",
          items: {
            type: "object",
            additionalProperties: false,
            required: ["key", "operator", "values"],
            properties: { key: { type: "string", minLength: 1 }, operator: { enum: ["In"] }, values: { type: "array", minItems: 1, items: { type: "string" } } },
          },
        },
      },
    },
    egress: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["cidrs", "ports"],
        properties: { cidrs: { type: "array", minItems: 1, items: { type: "string" } }, ports: { type: "array", minItems: 1, items: { type: "integer", minimum: 1, maximum: 65535 } } },
      },
    },
    closeGraceSeconds: seconds(0, 600),
  },
} as const;

/**
 * A BitActorCluster's spec: the region file (regionSchema, closed), plus what the render adds for
 * the operator. The CRD is generated from this schema and the render validates each CR with it.
 */
export const clusterSpecSchema = {
  ...regionSchema,
  $id: "bitactor-cluster-spec",
  properties: {
    ...regionSchema.properties,
    // Sealed credentials stay in their SealedSecrets only (constructs/bitactor-cluster.ts): the
    // cluster object carries Grafana's address, not its login.
    grafana: { ...regionSchema.properties.grafana, properties: { url: regionSchema.properties.grafana.properties.url } },
    targets: { type: "object", additionalProperties: clusterTargetSchema },
    orderFlow: orderFlowSchema,
  },
} as const;
