import { Construct } from "constructs";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { emit } from "../argo.ts";
import { names } from "../naming.ts";

export interface ComponentServiceAccountsProps {
  readonly componentId: string;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * One ServiceAccount for the component's pods and one for its analysis load Job, neither with an
 * API token mounted: the engine and the load generator never call the Kubernetes API, so a
 * stolen pod gets no credentials (kube-linter default-service-account, Polaris automountServiceAccountToken).
 * They are bound to no Role.
 */
export class ComponentServiceAccounts extends Construct {
  constructor(scope: Construct, id: string, props: ComponentServiceAccountsProps) {
    super(scope, id);
    for (const [cid, name] of [["engine", names.serviceAccount(props.componentId)], ["load", names.loadServiceAccount(props.componentId)]] as const) {
      emit(this, cid, new ServiceAccount({ metadata: { name, labels: { ...props.labels } }, automountServiceAccountToken: false }));
    }
  }
}
