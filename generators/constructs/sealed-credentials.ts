import { Construct } from "constructs";
import { SealedSecret } from "@kubernetes-models/sealed-secrets/bitnami.com/v1alpha1/SealedSecret";
import type { RegionSettings } from "../inputs/types.ts";
import { emit } from "../argo.ts";

export interface SealedCredentialsProps {
  readonly region: RegionSettings;
  readonly componentId: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** The region's sealed credentials that belong to one component, sorted by name. */
export function credentialsOf(region: RegionSettings, componentId: string): { name: string; keys: string[]; encryptedData: Readonly<Record<string, string>> }[] {
  return Object.entries(region.secrets ?? {})
    .filter(([, s]) => s.component === componentId)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, s]) => ({ name, keys: Object.keys(s.encryptedData).sort(), encryptedData: s.encryptedData }));
}

/**
 * One SealedSecret per credential set of the component. Strict scope (kubeseal's default): the
 * ciphertext only decrypts as this name in this namespace, so a copy into another stage or under
 * another name is refused by the controller instead of leaking. The Secret the controller creates
 * carries the same labels; only the controller ever holds the plaintext.
 */
export class SealedCredentials extends Construct {
  constructor(scope: Construct, id: string, props: SealedCredentialsProps) {
    super(scope, id);
    for (const c of credentialsOf(props.region, props.componentId)) {
      emit(this, c.name, new SealedSecret({
        metadata: { name: c.name, labels: { ...props.labels } },
        spec: {
          encryptedData: Object.fromEntries(c.keys.map((k) => [k, c.encryptedData[k]!])),
          template: { metadata: { name: c.name, labels: { ...props.labels } }, type: "Opaque" },
        },
      }));
    }
  }
}

/** The engine container's environment entries that read the credentials from the unsealed Secrets. */
export function credentialEnvironment(region: RegionSettings, componentId: string): { name: string; valueFrom: { secretKeyRef: { name: string; key: string } } }[] {
  return credentialsOf(region, componentId).flatMap((c) => c.keys.map((key) => ({ name: key, valueFrom: { secretKeyRef: { name: c.name, key } } })));
}
