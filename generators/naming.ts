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

export const PART_OF = "bitactor";
export const MANAGED_BY = "bitactor-gitops";

/** `production-us-east-1`: namespace and ApplicationSet name. */
export function stageId(environment: string, region: string): string {
  return `${environment}-${region}`;
}

/** `production-us-east-1-order-engine`: the Application of one component in one stage. */
export function applicationName(environment: string, region: string, component: string): string {
  return `${stageId(environment, region)}-${component}`;
}

export const paths = {
  /** Folder one component's Application syncs. */
  component: (environment: string, region: string, component: string) => `rollouts/${environment}/${region}/${component}`,
  /** Folder the root Application of an environment syncs. */
  applicationSets: (environment: string) => `applicationsets/${environment}`,
  bootstrap: (environment: string) => `apps/${environment}`,
};

export const names = {
  /** AppProject of an environment's workloads. */
  project: (environment: string) => environment,
  /** AppProject of the root Application (may only create ApplicationSets in Argo CD's namespace). */
  bootstrapProject: (environment: string) => `${environment}-bootstrap`,
  rootApplication: (environment: string) => `${environment}-root`,
  activeService: (component: string) => component,
  previewService: (component: string) => `${component}-preview`,
  prePromotionTemplate: (component: string) => `${component}-pre-promotion`,
  postPromotionTemplate: (component: string) => `${component}-post-promotion`,
};
