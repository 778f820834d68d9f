import { App, Chart } from "cdk8s";
import { stringify } from "yaml";
import type { Catalog, Environment, RegionSettings, RepositoryModel } from "./inputs/types.ts";
import { CHAOS, LABEL, MANAGED_BY, MONITORING, NODES, PART_OF, PLATFORM, SHARED, paths, podSelector, stageId } from "./naming.ts";
import { OperatorAccess } from "./constructs/operator-access.ts";
import { OperatorDeployment } from "./constructs/operator-deployment.ts";
import { OperatorMonitoring } from "./constructs/operator-monitoring.ts";
import { BitActorClusterResources } from "./constructs/bitactor-cluster.ts";
import { VeleroBackups } from "./constructs/velero-backups.ts";
import { StagePrometheus } from "./constructs/stage-prometheus.ts";
import { AddonScrapes } from "./constructs/addon-scrapes.ts";
import { MonitoringApplication } from "./constructs/monitoring-application.ts";
import { DrDrill } from "./constructs/dr-drill.ts";
import { NodeAgents } from "./constructs/node-agents.ts";
import { stageNodeAgents } from "./nodes/node-agents.ts";
import type { MachineCatalog } from "./inputs/machines.ts";
import type { AddonCatalog } from "./inputs/addons.ts";
import { StageAcceleratedNetworks } from "./constructs/accelerated-networks.ts";
import { BlueGreenServices } from "./constructs/blue-green-services.ts";
import { BlueGreenRollout } from "./constructs/blue-green-rollout.ts";
import { LatencyGate } from "./constructs/latency-gate.ts";
import { ComponentPodMonitor } from "./constructs/pod-monitor.ts";
import { ComponentRules } from "./constructs/component-rules.ts";
import { ComponentDashboards } from "./constructs/dashboards.ts";
import { OtelCollector } from "./constructs/otel-collector.ts";
import { ComponentNetworkPolicies, StageNetworkPolicies } from "./constructs/network-policies.ts";
import { ComponentServiceAccounts } from "./constructs/service-accounts.ts";
import { ComponentMesh, StageMesh } from "./constructs/mesh.ts";
import { SealedCredentials } from "./constructs/sealed-credentials.ts";
import { ComponentDisruptionBudget } from "./constructs/disruption-budget.ts";
import { RegionApplicationSet } from "./constructs/region-application-set.ts";
import { KarpenterNodePools } from "./constructs/karpenter-node-pools.ts";
import { usesKarpenter } from "./nodes/provisioners.ts";
import { BootstrapProject } from "./constructs/environment-projects.ts";
import { StageProjects } from "./constructs/stage-projects.ts";
import { RootApplication } from "./constructs/root-application.ts";
import { AddonApplications } from "./constructs/addon-applications.ts";
import { RepositoryCredential } from "./constructs/repository-credential.ts";
import { ManagementAddons } from "./constructs/management-addons.ts";
import { ArgoCdSelf } from "./constructs/argocd-self.ts";
import { GrafanaAdmin } from "./constructs/grafana-admin.ts";
import { GRAFANA_ADDON, addonsWithOurObjects, grafanaAdminSecret } from "./inputs/addon-semantics.ts";
import { StageChaos } from "./constructs/chaos.ts";
import { validateObject } from "./validate/models.ts";
import { RenderValidationError } from "./render-error.ts";
import { InputValidationError } from "./inputs/errors.ts";
import { excludedKindErrors } from "./excluded-kinds.ts";
import { fitErrors } from "./nodes/stage-fit.ts";
import { dashboardConfigMapIssues } from "./validate/dashboards.ts";
import { CLOUD_MODULES } from "./infrastructure/index.ts";
import { INFRASTRUCTURE_DIR, JSON_HEADER, infrastructureModules, toTfJson } from "./infrastructure/module.ts";

/** The folders a render owns completely: it writes them and deletes what it no longer produces. */
export const RENDERED_DIRS = ["apps", "applicationsets", "rollouts"] as const;

/** The folders of everything a render writes: the manifests and the infrastructure modules. */
export const OWNED_DIRS = [...RENDERED_DIRS, INFRASTRUCTURE_DIR] as const;

/** First line of every rendered file; `scripts/` refuses to delete a file without it. */
export const HEADER = "# Rendered by `npm run render` from engine/ and environments/. Do not edit: change the inputs and render.";

/** Whether a file in a rendered folder was written by the render: YAML's first line, or a module's root "//" key. */
export function isRendered(path: string, text: string): boolean {
  return path.endsWith(".json") ? text.startsWith(`{\n  "//": ${JSON.stringify(JSON_HEADER)},\n`) : text.startsWith(HEADER);
}

export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: unknown }; [k: string]: unknown };

/** One rendered object and the file it goes to. */
export interface RenderedObject {
  readonly path: string;
  readonly object: K8sObject;
}

function baseLabels(env: string, region?: RegionSettings): Record<string, string> {
  return {
    [LABEL.partOf]: PART_OF,
    [LABEL.managedBy]: MANAGED_BY,
    [LABEL.environment]: env,
    ...(region ? { [LABEL.region]: region.region, [LABEL.cloud]: region.cloud } : {}),
  };
}

/**
 * A chart whose objects all go to one folder; names are explicit, so no hash suffixes. Each chart
 * gets its own App: cdk8s' `Chart.toJson()` resolves and validates the chart's whole App, so one
 * shared App would make a render quadratic in the number of folders. Folders never reference
 * each other, so nothing is lost.
 */
class FolderChart extends Chart {
  constructor(readonly folder: string, namespace?: string) {
    super(new App(), folder.replace(/\//g, "--"), { disableResourceNameHashes: true, ...(namespace ? { namespace } : {}) });
  }
}

function stageCharts(catalog: Catalog, machines: MachineCatalog, addons: AddonCatalog, prometheusVersion: string, env: Environment, region: RegionSettings): FolderChart[] {
  const e = env.settings.environment;
  const namespace = stageId(e, region.region);
  const shared = new FolderChart(paths.shared(e, region.region), namespace);
  const sharedLabels = { ...baseLabels(e, region), [LABEL.component]: SHARED };
  const collector = new OtelCollector(shared, "otel", { catalog, region, labels: sharedLabels });
  new StageNetworkPolicies(shared, "network", { environment: env.settings, labels: sharedLabels });
  new StageMesh(shared, "mesh", { labels: sharedLabels });
  new StageAcceleratedNetworks(shared, "networks", { catalog, region, labels: sharedLabels });
  const nodes = rendersNodes(region) ? [new FolderChart(paths.nodes(e, region.region))] : [];
  for (const chart of nodes) new KarpenterNodePools(chart, "karpenter", { catalog, environment: env.settings, region, labels: { ...baseLabels(e, region), [LABEL.component]: NODES } });
  // No chart namespace: node-drain's ClusterRole and binding are cluster-scoped; the construct names the namespace of the rest.
  const chaos = env.settings.chaos ? [new FolderChart(paths.chaos(e, region.region))] : [];
  for (const chart of chaos) new StageChaos(chart, "chaos", { catalog, environment: env.settings, chaos: env.settings.chaos!, region, labels: { ...baseLabels(e, region), [LABEL.component]: CHAOS } });
  const platform = new FolderChart(paths.platform(e, region.region));
  new BitActorClusterResources(platform, "bitactor", { catalog, environment: env.settings, region, labels: { ...baseLabels(e, region), [LABEL.component]: PLATFORM } });
  new OperatorAccess(platform, "operator", { environment: env.settings, region, labels: { ...baseLabels(e, region), [LABEL.component]: PLATFORM } });
  if (region.operator) new OperatorDeployment(platform, "operator-deployment", { environment: env.settings, region, pin: region.operator, labels: { ...baseLabels(e, region), [LABEL.component]: PLATFORM } });
  new OperatorMonitoring(platform, "operator-monitoring", { environment: env.settings, region, labels: { ...baseLabels(e, region), [LABEL.component]: PLATFORM } });
  new VeleroBackups(platform, "backups", { environment: env.settings, region, labels: { ...baseLabels(e, region), [LABEL.component]: PLATFORM } });
  const drill = env.settings.backup.drill;
  new NodeAgents(platform, "node-agents", { catalog, machines, environment: env.settings, region, labels: { ...baseLabels(e, region), [LABEL.component]: PLATFORM } });
  if (drill) new DrDrill(platform, "drill", { catalog, environment: env.settings, drill, region, labels: { ...baseLabels(e, region), [LABEL.component]: PLATFORM } });
  // What this repository adds to an add-on (its Application's second source): the sealed Grafana login.
  const addonFolders: FolderChart[] = [];
  if (addonsWithOurObjects(addons, region).includes(GRAFANA_ADDON)) {
    const chart = new FolderChart(paths.addon(e, region.region, GRAFANA_ADDON));
    new GrafanaAdmin(chart, "admin", { admin: region.grafana.admin!, secret: grafanaAdminSecret(addons, region.cloud)!, labels: { ...baseLabels(e, region), [LABEL.component]: GRAFANA_ADDON } });
    addonFolders.push(chart);
  }
  const monitoring = new FolderChart(paths.monitoring(e, region.region));
  new StagePrometheus(monitoring, "prometheus", { environment: env.settings, region, prometheusVersion, labels: { ...baseLabels(e, region), [LABEL.component]: MONITORING } });
  new AddonScrapes(monitoring, "addon-scrapes", { addons, catalog, environment: env.settings, region, labels: { ...baseLabels(e, region), [LABEL.component]: MONITORING } });
  return [shared, platform, monitoring, ...nodes, ...chaos, ...addonFolders, ...Object.keys(region.components).sort().map((componentId) => {
    const component = catalog.components[componentId]!;
    const chart = new FolderChart(paths.component(e, region.region, componentId), namespace);
    const labels = { ...baseLabels(e, region), [LABEL.component]: componentId, [LABEL.name]: componentId };
    const selector = podSelector(componentId);
    const services = new BlueGreenServices(chart, "services", { componentId, component, selector, labels });
    new ComponentPodMonitor(chart, "monitor", { catalog, componentId, component, selector, labels });
    new ComponentServiceAccounts(chart, "accounts", { componentId, labels });
    new ComponentNetworkPolicies(chart, "network", { catalog, environment: env.settings, region, componentId, labels });
    new ComponentMesh(chart, "mesh", { catalog, componentId, labels });
    new SealedCredentials(chart, "credentials", { region, componentId, labels });
    new ComponentDisruptionBudget(chart, "disruption", { componentId, selector, labels });
    new ComponentRules(chart, "rules", { catalog, componentId, component, region, namespace, labels });
    new ComponentDashboards(chart, "dashboards", { catalog, componentId, component, namespace, labels });
    new LatencyGate(chart, "gate", { catalog, componentId, component, region, namespace, previewService: services.previewName, labels });
    new BlueGreenRollout(chart, "rollout", {
      catalog, environment: env.settings, region, componentId, component, pin: region.components[componentId]!,
      selector, labels, activeService: services.activeName, previewService: services.previewName, collectorHost: collector.host,
    });
    return chart;
  })];
}

/** Whether the render owns the region's engine nodes (Karpenter) or the cluster's own pools carry them. */
export const rendersNodes = (region: RegionSettings): boolean => usesKarpenter(region.cloud);

/** Builds every object of the repository, in memory. Pure: no I/O. */
export function renderObjects(model: RepositoryModel): RenderedObject[] {
  const charts: FolderChart[] = [];
  for (const env of model.environments) {
    const e = env.settings.environment;
    const bootstrap = new FolderChart(paths.bootstrap(e));
    new BootstrapProject(bootstrap, "project", { environment: env.settings, labels: baseLabels(e) });
    new RootApplication(bootstrap, "root", { environment: env.settings, labels: baseLabels(e) });
    new RepositoryCredential(bootstrap, "repository", { environment: env.settings, labels: baseLabels(e) });
    if (model.addons.argocd.environment === e) {
      new ArgoCdSelf(bootstrap, "argocd", { environment: env.settings, addons: model.addons, versions: model.addonVersions, labels: baseLabels(e) });
      new ManagementAddons(bootstrap, "management", { environment: env.settings, addons: model.addons, versions: model.addonVersions, labels: baseLabels(e) });
    }
    charts.push(bootstrap);
    const appsets = new FolderChart(paths.applicationSets(e));
    for (const region of env.regions) {
      const chaos = env.settings.chaos !== undefined;
      new StageProjects(appsets, `${region.region}-projects`, { environment: env.settings, region, nodes: rendersNodes(region), chaos, nodeAgents: stageNodeAgents(model.catalog, model.machines, region).length > 0, labels: baseLabels(e, region) });
      new AddonApplications(appsets, `${region.region}-addons`, { environment: env.settings, region, addons: model.addons, versions: model.addonVersions, catalog: model.catalog, labels: baseLabels(e, region) });
      new MonitoringApplication(appsets, `${region.region}-monitoring`, { environment: env.settings, region, labels: baseLabels(e, region) });
      new RegionApplicationSet(appsets, region.region, { environment: env.settings, region, components: Object.keys(region.components).sort(), nodes: rendersNodes(region), chaos, labels: baseLabels(e, region) });
      charts.push(...stageCharts(model.catalog, model.machines, model.addons, model.prometheusVersion, env, region));
    }
    charts.push(appsets);
  }
  const out: RenderedObject[] = [];
  for (const chart of charts) {
    for (const object of chart.toJson() as K8sObject[]) {
      out.push({ path: `${chart.folder}/${object.kind.toLowerCase()}-${object.metadata.name}.yaml`, object });
    }
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** One YAML document with the header; byte-stable for equal input. */
export function toYaml(object: unknown): string {
  return `${HEADER}\n${stringify(object, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}

/** Every problem of rendered objects: strict schema validation, dashboards, two objects in one file. */
export function renderedObjectIssues(objects: readonly RenderedObject[]): { path: string; field: string; message: string }[] {
  const issues: { path: string; field: string; message: string }[] = [];
  const seen = new Set<string>();
  for (const { path, object } of objects) {
    if (seen.has(path)) issues.push({ path, field: "/metadata/name", message: "two objects render to the same file (same kind and name in one folder)" });
    seen.add(path);
    for (const i of validateObject(object)) issues.push({ path, field: i.path, message: i.message });
    if (object.kind === "ConfigMap") for (const i of dashboardConfigMapIssues(object)) issues.push({ path, field: i.path, message: i.message });
  }
  return issues;
}

/**
 * Renders the repository to `path → file text`, after validating every object strictly: the
 * manifests, and each stage's infrastructure module (`infrastructure/<env>/<region>/main.tf.json`).
 * Throws `RenderValidationError` (listing every bad field of every object) before returning anything,
 * and `InputValidationError` when a pod fits no node type of its stage (nodes/stage-fit.ts) or Argo
 * CD's resource exclusions match a rendered kind (excluded-kinds.ts).
 */
export function renderRepository(model: RepositoryModel): Map<string, string> {
  const objects = renderObjects(model);
  const issues = renderedObjectIssues(objects);
  if (issues.length > 0) throw new RenderValidationError(issues);
  // A pod that fits no machine of its stage is the inputs' doing (a machine type, a request): refused at their line.
  const misfits = fitErrors(model, objects);
  if (misfits.length > 0) throw new InputValidationError(misfits);
  // An exclusion that matches a rendered kind would make Argo CD skip that object: refused at its line.
  const excluded = excludedKindErrors(model, objects);
  if (excluded.length > 0) throw new InputValidationError(excluded);
  const files = new Map(objects.map(({ path, object }) => [path, toYaml(object)]));
  for (const [path, module] of infrastructureModules(CLOUD_MODULES, model)) files.set(path, toTfJson(module));
  // In path order, as the tree reads back from disk.
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
