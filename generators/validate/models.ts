import { AnalysisTemplate } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/AnalysisTemplate";
import { AnalysisRun } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/AnalysisRun";
import { Rollout } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout";
import { Application } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import { ApplicationSet } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/ApplicationSet";
import { AppProject } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject";
import { Service } from "kubernetes-models/v1/Service";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { DaemonSet } from "kubernetes-models/apps/v1/DaemonSet";
import { PeerAuthentication } from "@kubernetes-models/istio/security.istio.io/v1/PeerAuthentication";
import { SealedSecret } from "@kubernetes-models/sealed-secrets/bitnami.com/v1alpha1/SealedSecret";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { PodMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor";
import { Prometheus } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/Prometheus";
import { NodePool } from "@kubernetes-models/karpenter/karpenter.sh/v1/NodePool";
import { EC2NodeClass } from "@kubernetes-models/karpenter/karpenter.k8s.aws/v1/EC2NodeClass";
import { CustomResourceDefinition } from "kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition";
import { Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { ClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import { ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import { CronJob } from "kubernetes-models/batch/v1/CronJob";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { ResourceQuota } from "kubernetes-models/v1/ResourceQuota";
import { ChaosEngineModel } from "./litmus.ts";
import { BitActorClusterModel } from "./bitactor-cluster-model.ts";
import { BackupStorageLocationModel, NetworkAttachmentDefinitionModel, ScheduleModel } from "./crd-models.ts";
import { strictValidate, type SchemaValidator, type StrictIssue } from "./strict.ts";

/** Every kind the render may emit, with its schema. An object of any other kind is an error. */
const MODELS: Readonly<Record<string, { prototype: { validate: SchemaValidator } }>> = {
  "argoproj.io/v1alpha1/AnalysisTemplate": AnalysisTemplate,
  "argoproj.io/v1alpha1/AnalysisRun": AnalysisRun,
  "argoproj.io/v1alpha1/Rollout": Rollout,
  "argoproj.io/v1alpha1/Application": Application,
  "argoproj.io/v1alpha1/ApplicationSet": ApplicationSet,
  "argoproj.io/v1alpha1/AppProject": AppProject,
  "v1/Service": Service,
  "v1/ConfigMap": ConfigMap,
  "apps/v1/Deployment": Deployment,
  "apps/v1/DaemonSet": DaemonSet,
  "v1/ServiceAccount": ServiceAccount,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "security.istio.io/v1/PeerAuthentication": PeerAuthentication,
  "bitnami.com/v1alpha1/SealedSecret": SealedSecret,
  "monitoring.coreos.com/v1/PodMonitor": PodMonitor,
  "monitoring.coreos.com/v1/Prometheus": Prometheus,
  "monitoring.coreos.com/v1/PrometheusRule": PrometheusRule,
  "karpenter.sh/v1/NodePool": NodePool,
  "karpenter.k8s.aws/v1/EC2NodeClass": EC2NodeClass,
  "apiextensions.k8s.io/v1/CustomResourceDefinition": CustomResourceDefinition,
  "bitactor.io/v1alpha1/BitActorCluster": BitActorClusterModel,
  "velero.io/v1/BackupStorageLocation": BackupStorageLocationModel,
  "velero.io/v1/Schedule": ScheduleModel,
  "k8s.cni.cncf.io/v1/NetworkAttachmentDefinition": NetworkAttachmentDefinitionModel,
  // The chaos experiments of an environment that has them (constructs/chaos.ts).
  "litmuschaos.io/v1alpha1/ChaosEngine": ChaosEngineModel,
  "rbac.authorization.k8s.io/v1/Role": Role,
  "rbac.authorization.k8s.io/v1/RoleBinding": RoleBinding,
  "rbac.authorization.k8s.io/v1/ClusterRole": ClusterRole,
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": ClusterRoleBinding,
  "batch/v1/CronJob": CronJob,
  "v1/Namespace": Namespace,
  "v1/ResourceQuota": ResourceQuota,
};

export const KNOWN_KINDS = Object.keys(MODELS);

/**
 * Fields the CRD declares but the models' compiled validators lost: kubernetes-models drops object
 * properties named `description` (the JSON Schema keyword) when it compiles schemas, so the strict
 * layer would call AppProject's `spec.description` unknown; the same happens to a
 * CustomResourceDefinition's JSONSchemaProps (`description`, and the `x-kubernetes-*` extensions).
 * Each entry is checked here instead, by type; the API server (`npm run validate:server`) checks
 * the CRD's schema fully (structural rules, CEL compilation).
 */
const SCHEMA_PROPS = /^\/spec\/versions\/\d+\/schema\/openAPIV3Schema(\/(properties|additionalProperties|items)(\/[^/]+)?)*\//;
const LOST_FIELDS: Readonly<Record<string, readonly { path: RegExp; type: "string" | "array" }[]>> = {
  "argoproj.io/v1alpha1/AppProject": [{ path: /^\/spec\/description$/, type: "string" }],
  "apiextensions.k8s.io/v1/CustomResourceDefinition": [
    { path: new RegExp(`${SCHEMA_PROPS.source}description$`), type: "string" },
    { path: new RegExp(`${SCHEMA_PROPS.source}x-kubernetes-list-type$`), type: "string" },
    { path: new RegExp(`${SCHEMA_PROPS.source}x-kubernetes-validations$`), type: "array" },
  ],
};

/** Validates one rendered object against its kind's schema, strict on unknown fields. */
export function validateObject(obj: { apiVersion?: unknown; kind?: unknown }): StrictIssue[] {
  const key = `${String(obj.apiVersion)}/${String(obj.kind)}`;
  const model = MODELS[key];
  if (!model) return [{ path: "/kind", message: `no schema for ${key}; the render may emit only ${KNOWN_KINDS.join(", ")}` }];
  const lost = LOST_FIELDS[key] ?? [];
  const issues: StrictIssue[] = [];
  for (const i of strictValidate(model.prototype.validate, obj)) {
    const field = lost.find((f) => f.path.test(i.path));
    const value = valueAt(obj, i.path);
    if (!field) issues.push(i);
    else if (field.type === "array" ? !Array.isArray(value) : typeof value !== field.type) issues.push({ path: i.path, message: `must be a${field.type === "array" ? "n" : ""} ${field.type}` });
  }
  return issues;
}

function valueAt(obj: unknown, pointer: string): unknown {
  return pointer.split("/").slice(1).reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);
}
