import type { KubeObject } from "./objects.ts";

/**
 * An Argo Rollout seen as the apps/v1 Deployment it stands for: the same metadata, replicas,
 * selector and pod template, and no strategy (blue/green is not a Deployment's). Scanners that pick
 * workloads by kind (Trivy, kube-score) know nothing of Rollouts; shown this view, they check the
 * engine's own pods instead of skipping them. Fields the Rollout leaves out stay out.
 */

export const isRollout = (o: { apiVersion?: unknown; kind?: unknown } | null | undefined): boolean =>
  o?.kind === "Rollout" && typeof o.apiVersion === "string" && o.apiVersion.startsWith("argoproj.io/");

export function rolloutAsDeployment(rollout: KubeObject): KubeObject {
  const spec = (rollout.spec ?? {}) as { replicas?: unknown; selector?: unknown; template?: unknown };
  return { apiVersion: "apps/v1", kind: "Deployment", metadata: rollout.metadata, spec: { replicas: spec.replicas, selector: spec.selector, template: spec.template } };
}
