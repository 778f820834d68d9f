/**
 * One id per stage (environment × region), used everywhere, as kargo-advanced does: the folder
 * `rollouts/<env>/<region>/`, the ApplicationSet, the Applications' name prefix and the namespace.
 */

/** Labels every rendered object carries (and Applications carry for progressive syncs). */
export const LABEL = {
  partOf: "app.kubernetes.io/part-of",
  name: "app.kubernetes.io/name",
  version: "app.kubernetes.io/version",
  managedBy: "app.kubernetes.io/managed-by",
  environment: "bitactor.io/environment",
  region: "bitactor.io/region",
  cloud: "bitactor.io/cloud",
  component: "bitactor.io/component",
} as const;

/**
 * Pod label Argo Rollouts moves between the two stacks of a blue/green Rollout (activeMetadata /
 * previewMetadata). Argo gives the active value to the stable ReplicaSet, i.e. after the
 * post-promotion analysis succeeded (rollout/ephemeralmetadata.go, fullyRolledOut).
 */
export const ROLE_POD_LABEL = "bitactor.io/rollout-role";
export const ROLE = { active: "active", preview: "preview" } as const;

export const PART_OF = "bitactor";

/**
 * Labels that select one workload's pods (a component's, both stacks; the collector's): the
 * Rollout's and Deployment's selector, and what NetworkPolicies, PeerAuthentications, the
 * PodMonitor and the PodDisruptionBudget select by.
 */
export const podSelector = (name: string): Record<string, string> => ({ [LABEL.partOf]: PART_OF, [LABEL.name]: name });

/** Labels of the analysis load Job's pods (the NetworkPolicies select them). */
export const LOAD_POD_LABELS = (component: string) => ({ "bitactor.io/role": "analysis-load", "bitactor.io/component": component });
export const MANAGED_BY = "bitactor-gitops";

/** `production-us-east-1`: namespace and ApplicationSet name. */
export function stageId(environment: string, region: string): string {
  return `${environment}-${region}`;
}

/** `production-us-east-1-order-engine`: the Application of one component in one stage. */
export function applicationName(environment: string, region: string, component: string): string {
  return `${stageId(environment, region)}-${component}`;
}

/** Folder name and Application suffix of a stage's objects that belong to no component. */
export const SHARED = "shared";
/** Folder (and Application suffix) of a stage's node pools; reserved like SHARED. */
export const NODES = "nodes";
/** Folder (and Application suffix) of a stage's platform objects (the BitActorCluster CRD and resource); reserved like SHARED. */
export const PLATFORM = "platform";
/** Folder (and Application suffix) of a stage's chaos experiments, where its environment has them; reserved like SHARED. */
export const CHAOS = "chaos";
/** Folder (and Application suffix) of a stage's Prometheus, synced before the engine; reserved like SHARED. */
export const MONITORING = "monitoring";
/** The stage's own folders, what each holds; their names are reserved component ids. */
export const STAGE_FOLDERS: Readonly<Record<string, string>> = {
  [SHARED]: "the stage's shared objects (OpenTelemetry Collector, namespace-wide policies, SR-IOV networks)",
  [NODES]: "the stage's node pools",
  [PLATFORM]: "the stage's BitActorCluster and Velero backups",
  [CHAOS]: "the stage's LitmusChaos experiments",
  [MONITORING]: "the stage's Prometheus (what its gates read)",
};

export const paths = {
  /** Folder one component's Application syncs. */
  component: (environment: string, region: string, component: string) => `rollouts/${environment}/${region}/${component}`,
  /** Folder of the stage's shared objects (the OpenTelemetry Collector). */
  shared: (environment: string, region: string) => `rollouts/${environment}/${region}/${SHARED}`,
  /** Folder of the stage's node pools (Karpenter NodePools and EC2NodeClasses; cluster-scoped). */
  nodes: (environment: string, region: string) => `rollouts/${environment}/${region}/${NODES}`,
  /** Folder of the stage's platform objects (cluster-scoped: the BitActorCluster CRD and resource). */
  platform: (environment: string, region: string) => `rollouts/${environment}/${region}/${PLATFORM}`,
  /** Folder of the stage's chaos experiments (ChaosEngines, their accounts, the CronJob that starts a session). */
  chaos: (environment: string, region: string) => `rollouts/${environment}/${region}/${CHAOS}`,
  /** Folder of the stage's Prometheus, its account and Role (constructs/stage-prometheus.ts). */
  monitoring: (environment: string, region: string) => `rollouts/${environment}/${region}/${MONITORING}`,
  /**
   * Folder of what this repository adds to one add-on in one stage (Grafana's sealed admin login),
   * the second source of that add-on's Application `<stage>-<add-on>`: add-on ids are reserved
   * against components and stage folders (inputs/load.ts), so it collides with neither.
   */
  addon: (environment: string, region: string, addon: string) => `rollouts/${environment}/${region}/${addon}`,
  /** Folder the `<env>-applicationsets` Application syncs. */
  applicationSets: (environment: string) => `applicationsets/${environment}`,
  /** Folder the root Application syncs: the AppProjects, the root itself and `<env>-applicationsets`. */
  bootstrap: (environment: string) => `apps/${environment}`,
};

/** Grafana dashboard uids (at most 40 characters, Grafana's limit) and links to them. */
export const dashboards = {
  /** One per component: latency heatmap, p99 by ReplicaSet, flow by venue, SLO burn. */
  componentUid: (component: string) => `bitactor-${component}`.slice(0, 40),
  /** The trading dashboard: P&L, positions and risk exposure by symbol. */
  tradingUid: "bitactor-trading",
  /** A dashboard of a region's Grafana, opened on one stage (its namespace variable). */
  url: (grafanaUrl: string, uid: string, namespace: string) => `${grafanaUrl.replace(/\/$/, "")}/d/${uid}?var-namespace=${namespace}`,
};

/**
 * Argo CD shows an external-link icon for each annotation with this prefix, on Applications and on
 * any resource in the tree; the value is `title|url` (argo-cd common/common.go, AnnotationKeyLinkPrefix).
 */
export const argoCdLink = {
  dashboard: "link.argocd.argoproj.io/dashboard",
  trading: "link.argocd.argoproj.io/trading-dashboard",
  value: (title: string, url: string) => `${title}|${url}`,
};

/**
 * Sync waves (argocd.argoproj.io/sync-wave): Argo CD applies a lower wave, and waits for it to be
 * healthy, before the next, and prunes in the reverse order. AppProjects come first so that no
 * Application is ever created for a project that does not exist yet (the applicationset controller
 * would retry only after 3 minutes), and go last.
 */
/**
 * Sync waves. In `applicationsets/<env>/`: the projects (-1), the add-ons' Applications (0 to 9,
 * engine/addons.yaml `wave`), then each stage's ApplicationSet (`engine`), so a stage's platform is
 * there before its engine. In `apps/<env>/`: the projects (-1), Argo CD's own Application (0), then
 * `<env>-applicationsets` (1).
 */
export const WAVE = { projects: "-1", applicationSets: "1", monitoring: "5", engine: "10" } as const;
export const SYNC_WAVE = "argocd.argoproj.io/sync-wave";

/**
 * The names of a stage's Prometheus (generators/constructs/stage-prometheus.ts), all from the stage
 * id: the Prometheus itself, its ServiceAccount (and Role), and on AWS the IAM role its remote write
 * to the region's Amazon Managed Prometheus workspace gets by EKS Pod Identity.
 */
export const stagePrometheusNames = (stage: string) => ({ prometheus: stage, account: `${stage}-prometheus`, ampWriteRole: `${stage}-prometheus-amp-write` });

export const names = {
  /** AppProject of a stage's workloads: the stage id. */
  project: (stage: string) => stage,
  /** AppProject of the root Application (may only create AppProjects, Applications and ApplicationSets in Argo CD's namespace). */
  bootstrapProject: (environment: string) => `${environment}-bootstrap`,
  /** AppProject of a stage's node pools (the only kinds it may create: Karpenter's, cluster-scoped). */
  nodesProject: (stage: string) => `${stage}-nodes`,
  /** AppProject of a stage's platform objects (the BitActorCluster CRD and resource, Velero's two). */
  platformProject: (stage: string) => `${stage}-platform`,
  /** AppProject of a stage's platform add-ons (engine/addons.yaml). */
  addonsProject: (stage: string) => `${stage}-addons`,
  /** The Application of one add-on in one stage, like a component's: `<stage>-<add-on>`. */
  addonApplication: (stage: string, addon: string) => `${stage}-${addon}`,
  /** Application of a stage's Prometheus (its `monitoring` folder). */
  monitoringApplication: (stage: string) => `${stage}-${MONITORING}`,
  /** Argo CD's own Application and its AppProject, on the management cluster. */
  argocdSelf: "argocd",
  /** AppProject of the add-ons Argo CD's own cluster runs beside it (engine/addons.yaml argocd.addons). */
  managementAddonsProject: "management-addons",
  /** Application of one add-on on Argo CD's own cluster. */
  managementAddon: (addon: string) => `management-${addon}`,
  /** The SealedSecret (and the Secret it unseals into) holding Argo CD's read credential for an environment's repository. */
  repositoryCredential: (environment: string) => `${environment}-repository`,
  /** AppProject of a stage's chaos experiments (only where the environment has them). */
  chaosProject: (stage: string) => `${stage}-chaos`,
  /** A ChaosEngine: one fault against one component. */
  chaosEngine: (component: string, fault: string) => `${component}-${fault}`,
  chaosRunner: "chaos-runner",
  chaosTrigger: "chaos-trigger",
  /** node-drain is cluster-scoped: its ClusterRole and binding carry the stage id. */
  chaosNodeDrain: (stage: string) => `${stage}-chaos-node-drain`,
  rootApplication: (environment: string) => `${environment}-root`,
  /** The Application that syncs `applicationsets/<env>/` (created by the root, after the AppProjects). */
  applicationSetsApplication: (environment: string) => `${environment}-applicationsets`,
  activeService: (component: string) => component,
  previewService: (component: string) => `${component}-preview`,
  prePromotionTemplate: (component: string) => `${component}-pre-promotion`,
  postPromotionTemplate: (component: string) => `${component}-post-promotion`,
  /** The AnalysisRun that judges a component's first release in a stage (Argo Rollouts judges none). */
  firstReleaseRun: (component: string) => `${component}-first-release`,
  /** PodMonitor, PrometheusRule: named after the component; prometheus-operator's job label is `<namespace>/<PodMonitor name>`. */
  monitor: (component: string) => component,
  dashboardConfigMap: (component: string) => `${component}-dashboard`,
  tradingDashboardConfigMap: "trading-dashboard",
  serviceAccount: (component: string) => component,
  loadServiceAccount: (component: string) => `${component}-load`,
  /** NetworkPolicies: the namespace's default deny, DNS for every pod, one per component and one per load Job. */
  defaultDeny: "default-deny",
  /** The namespace-wide PeerAuthentication (Istio's name for the namespace default). */
  meshDefault: "default",
  allowDns: "allow-dns",
  allowMeshControlPlane: "allow-istiod",
  componentPolicy: (component: string) => component,
  loadPolicy: (component: string) => `${component}-load`,
  /** The NetworkPolicy the BitActor operator writes: exchange egress, open only while the region is TradingReady. */
  orderFlowPolicy: "order-flow",
  /** The stage's OpenTelemetry Collector: Deployment, Service and its configuration's ConfigMap. */
  otelCollector: "otel-collector",
};

/**
 * The namespace of the Pushgateway's Service from its in-cluster name (`<service>.<namespace>.svc`,
 * the form the input check asks for): where the drill's NetworkPolicy opens the port, and where the
 * stage's Prometheus must scrape it.
 */
export function pushgatewayNamespace(url: URL): string {
  const [, namespace, svc] = url.hostname.split(".");
  if (!namespace || svc !== "svc") throw new Error(`backup.drill.pushgateway "${url.href}": the drill's NetworkPolicy needs the in-cluster name <service>.<namespace>.svc[.cluster.local]`);
  return namespace;
}
