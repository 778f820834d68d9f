import { Construct } from "constructs";
import { TerraformOutput } from "../cdktn.ts";
import { EksPodIdentityAssociation, PrometheusWorkspace, type EksCluster, type KmsKey } from "./resources.ts";
import type { PrometheusAuthentication } from "../../inputs/types.ts";
import { APPLY_OUTPUTS, type ApplyOutput } from "../outputs.ts";
import { POD_IDENTITY, inlinePolicy, serviceRole } from "./iam.ts";

export interface ManagedPrometheusProps {
  /** `<environment>-<region>`: the workspace's alias. */
  readonly stage: string;
  /** The region file's SigV4 settings: the role the gate's queries assume. */
  readonly sigv4: NonNullable<PrometheusAuthentication["sigv4"]>;
  readonly key: KmsKey;
  readonly cluster: EksCluster;
}

/**
 * The Amazon Managed Prometheus workspace the region's gate queries, and the role its queries
 * assume (the name the region file's roleArn names), which Argo Rollouts' controller gets by EKS
 * Pod Identity (the namespace and service account of its install manifests). The workspace id exists
 * only after apply: the output feeds npm run infra:outputs.
 */
export class ManagedPrometheus extends Construct {
  constructor(scope: Construct, id: string, props: ManagedPrometheusProps) {
    super(scope, id);
    const { sigv4, cluster } = props;
    const amp = new PrometheusWorkspace(this, "prometheus", { alias: props.stage, kmsKeyArn: props.key.arn });
    const query = serviceRole(this, "amp-query-role", sigv4.roleArn.slice(sigv4.roleArn.lastIndexOf("/") + 1), POD_IDENTITY);
    inlinePolicy(this, "amp-query-policy", query, "query", [{ Effect: "Allow", Action: ["aps:QueryMetrics", "aps:GetSeries", "aps:GetLabels", "aps:GetMetricMetadata"], Resource: amp.arn }]);
    new EksPodIdentityAssociation(this, "amp-query-identity", { clusterName: cluster.name, namespace: "argo-rollouts", serviceAccount: "argo-rollouts", roleArn: query.arn });
    new TerraformOutput(this, "prometheus_address" satisfies ApplyOutput, { value: amp.prometheusEndpoint, description: APPLY_OUTPUTS.prometheus_address.description });
  }
}
