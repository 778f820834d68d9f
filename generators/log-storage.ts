/**
 * Node disk (ephemeral-storage, requested = limit) of a container that writes nothing but its log:
 * its root filesystem is read-only (pod-security.ts) and it mounts no disk-backed emptyDir, so its
 * log is all it keeps on the node. The kubelet rotates a container's log at 10Mi and keeps 5 files
 * (KubeletConfiguration containerLogMaxSize and containerLogMaxFiles, defaults our nodes keep), so
 * 50Mi at most; 64Mi leaves headroom, and a pod past it is evicted instead of filling the node's
 * disk under the engine. The collector's is in engine/catalog.yaml beside its CPU and memory.
 */
export const LOGS_ONLY_EPHEMERAL_STORAGE = "64Mi";
