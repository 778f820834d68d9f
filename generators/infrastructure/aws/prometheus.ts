import { Construct } from "constructs";
import { TerraformOutput } from "../cdktn.ts";
import { EksPodIdentityAssociation, PrometheusWorkspace, type EksCluster, type KmsKey } from "./resources.ts";
import type { PrometheusAuthentication } from "../../inputs/types.ts";
import { APPLY_OUTPUTS, type ApplyOutput } from "../outputs.ts";
import { POD_IDENTITY, inlinePolicy, serviceRole } from "./iam.ts";
import { stagePrometheusNames } from "../../naming.ts";

export interface ManagedPrometheusProps {
  /** `<environment>-<region>`: the workspace's alias. */
  readonly stage: string;
  /** The region file's SigV4 settings: the role the gate's queries assume. */
  readonly sigv4: NonNullable<PrometheusAuthentication["sigv4"]>;
  readonly key: KmsKey;
  readonly cluster: EksCluster;
  /** The namespace of the stage's Prometheus (environment.yaml monitoring.namespace), whose account remote-writes. */
  readonly monitoringNamespace: string;
}

/**
 * The Amazon Managed Prometheus workspace the region's gate queries, and the role its queries
 * assume (the name the region file's roleArn names), which Argo Rollouts' controller gets by EKS
 * Pod Identity (the namespace and service account of its install manifests). The stage's Prometheus
 * (generators/constructs/stage-prometheus.ts) fills it: its account gets, by Pod Identity too, a role
 * that may only remote-write to this workspace. The workspace id exists only after apply: the output
 * feeds npm run infra:outputs.
 */
export class ManagedPrometheus extends Construct {
  constructor(scope: Construct, id: string, props: ManagedPrometheusProps) {
    super(scope, id);
    const { sigv4, cluster } = props;
    const amp = new PrometheusWorkspace(this, "prometheus", { alias: props.stage, kmsKeyArn: props.key.arn });
    const query = serviceRole(this, "amp-query-role", sigv4.roleArn.slice(sigv4.roleArn.lastIndexOf("/") + 1), POD_IDENTITY);
    inlinePolicy(this, "amp-query-policy", query, "query", [{ Effect: "Allow", Action: ["aps:QueryMetrics", "aps:GetSeries", "aps:GetLabels", "aps:GetMetricMetadata"], Resource: amp.arn }]);
    new EksPodIdentityAssociation(this, "amp-query-identity", { clusterName: cluster.name, namespace: "argo-rollouts", serviceAccount: "argo-rollouts", roleArn: query.arn });
    const names = stagePrometheusNames(props.stage);
    const write = serviceRole(this, "amp-write-role", names.ampWriteRole, POD_IDENTITY);
    inlinePolicy(this, "amp-write-policy", write, "remote-write", [{ Effect: "Allow", Action: ["aps:RemoteWrite"], Resource: amp.arn }]);
    new EksPodIdentityAssociation(this, "amp-write-identity", { clusterName: cluster.name, namespace: props.monitoringNamespace, serviceAccount: names.account, roleArn: write.arn });
    new TerraformOutput(this, "prometheus_address" satisfies ApplyOutput, { value: amp.prometheusEndpoint, description: APPLY_OUTPUTS.prometheus_address.description });
  }
}
