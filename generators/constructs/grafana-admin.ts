import { Construct } from "constructs";
import { SealedSecret } from "@kubernetes-models/sealed-secrets/bitnami.com/v1alpha1/SealedSecret";
import type { GrafanaAdminSecret } from "../inputs/addon-semantics.ts";
import { emit } from "../argo.ts";

export interface GrafanaAdminProps {
  /** The sealed login (region file `grafana.admin`), ciphertext only. */
  readonly admin: { readonly user: string; readonly password: string };
  /** Where the Grafana add-on reads it (its values' `admin.existingSecret` and keys). */
  readonly secret: GrafanaAdminSecret;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * Grafana's admin login as a SealedSecret, synced by the Grafana add-on's own Application (its second
 * source), so the Secret arrives with the pod that reads it. Strict scope (kubeseal's default): it
 * decrypts only as this name in this namespace, on the stage's own controller. Without it the chart
 * would draw a random password on every render, which Argo CD would show as a diff forever.
 */
export class GrafanaAdmin extends Construct {
  constructor(scope: Construct, id: string, props: GrafanaAdminProps) {
    super(scope, id);
    const { name, namespace, userKey, passwordKey } = props.secret;
    emit(this, name, new SealedSecret({
      metadata: { name, namespace, labels: { ...props.labels } },
      spec: {
        encryptedData: { [userKey]: props.admin.user, [passwordKey]: props.admin.password },
        template: { metadata: { name, namespace, labels: { ...props.labels } }, type: "Opaque" },
      },
    }));
  }
}
