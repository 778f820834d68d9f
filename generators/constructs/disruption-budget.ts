import { Construct } from "constructs";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { emit } from "../argo.ts";

export interface ComponentDisruptionBudgetProps {
  readonly componentId: string;
  /** The Rollout's selector: both stacks' pods. */
  readonly selector: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * At most one of the component's pods may be evicted at a time (node drains, Karpenter
 * consolidation, cluster upgrades), so a voluntary disruption never takes more than one replica.
 */
export class ComponentDisruptionBudget extends Construct {
  constructor(scope: Construct, id: string, props: ComponentDisruptionBudgetProps) {
    super(scope, id);
    emit(this, "pdb", new PodDisruptionBudget({
      metadata: { name: props.componentId, labels: { ...props.labels } },
      spec: { maxUnavailable: 1, selector: { matchLabels: { ...props.selector } } },
    }));
  }
}
