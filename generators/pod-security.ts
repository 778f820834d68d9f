import type { IPodSecurityContext } from "kubernetes-models/v1/PodSecurityContext";
import type { ISecurityContext } from "kubernetes-models/v1/SecurityContext";

/**
 * The Pod Security Standards' "restricted" profile (kubernetes.io/docs/concepts/security/pod-security-standards):
 * non-root with a fixed non-zero uid, RuntimeDefault seccomp, no privilege escalation, every
 * capability dropped, and a read-only root filesystem (not required by the profile; kube-linter's
 * no-read-only-root-fs and Polaris' notReadOnlyRootFilesystem ask for it). Exceptions are data: a
 * component's `security.addCapabilities`, justified in engine/catalog.yaml.
 */

/** The uid every BitActor container runs as (no image may need root). */
export const RUN_AS_USER = 10001;

export function restrictedPod(): IPodSecurityContext {
  return { runAsNonRoot: true, runAsUser: RUN_AS_USER, runAsGroup: RUN_AS_USER, fsGroup: RUN_AS_USER, seccompProfile: { type: "RuntimeDefault" } };
}

export function restrictedContainer(addCapabilities: readonly string[] = []): ISecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ["ALL"], ...(addCapabilities.length ? { add: [...addCapabilities] } : {}) },
  };
}
