import { Construct } from "constructs";
import { SealedSecret } from "@kubernetes-models/sealed-secrets/bitnami.com/v1alpha1/SealedSecret";
import type { EnvironmentSettings } from "../inputs/types.ts";
import { emit } from "../argo.ts";
import { SYNC_WAVE, names } from "../naming.ts";

export interface RepositoryCredentialProps {
  readonly environment: EnvironmentSettings;
  readonly labels: Readonly<Record<string, string>>;
}

/** The label Argo CD finds its repositories by (operator-manual/declarative-setup.md, "Repositories"). */
export const ARGOCD_SECRET_TYPE = "argocd.argoproj.io/secret-type";

/**
 * The environment's repository credential (`repository.credential`) as a SealedSecret
 * `<env>-repository` in Argo CD's namespace: the sealed-secrets controller of Argo CD's own cluster
 * (management-addons.ts) unseals it into the Secret of that name, labelled as an Argo CD repository
 * (`type: git`, the URL, the user and the token; declarative-setup.md "Repositories"), which Argo CD
 * then reads this repository with. Strict scope: the ciphertext decrypts only as this name in this
 * namespace. Only the controller ever holds the plaintext.
 * - The root carries it (`apps/<env>/`) so a rotation is a commit; the README's bootstrap applies it
 *   by hand once, because without it Argo CD cannot read the root at all.
 * - Never pruned (`Prune=false`, Argo CD user-guide/sync-options.md "No Prune Resources"): removing
 *   it from git must not cut Argo CD off the repository that would have to carry the fix; wave -2,
 *   before the projects, for the same reason.
 */
export class RepositoryCredential extends Construct {
  constructor(scope: Construct, id: string, props: RepositoryCredentialProps) {
    super(scope, id);
    const s = props.environment;
    const credential = s.repository.credential;
    if (credential === undefined) return;
    const name = names.repositoryCredential(s.environment);
    emit(this, "credential", new SealedSecret({
      metadata: {
        name,
        namespace: s.argocd.namespace,
        labels: { ...props.labels },
        annotations: { [SYNC_WAVE]: "-2", "argocd.argoproj.io/sync-options": "Prune=false" },
      },
      spec: {
        encryptedData: { password: credential.password, username: credential.username },
        template: {
          metadata: { name, namespace: s.argocd.namespace, labels: { ...props.labels, [ARGOCD_SECRET_TYPE]: "repository" } },
          type: "Opaque",
          // Not secret: the controller writes them as they are beside the unsealed keys.
          data: { type: "git", url: s.repository.url },
        },
      },
    }));
  }
}
