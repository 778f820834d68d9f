/**
 * Whether a stage has run a version, promoted and not rolled back, for its wave's soak: judged from
 * what Argo Rollouts reports (pure; scripts/lib/live.ts reads it through kubectl).
 *
 * What each Argo Rollouts field means here (argo-rollouts v1.10.2):
 *  - the Rollout's pod template is what Argo CD synced from git: its image digest must be the one
 *    being promoted, or the cluster runs something else (not synced yet, or changed by hand);
 *  - `status.abort`: the gate failed, before the switch (never promoted) or after it (rolled back:
 *    the post-promotion analysis failed and the active Service went back to the old stack);
 *  - `status.currentPodHash === status.stableRS === status.blueGreen.activeSelector`: the release's
 *    ReplicaSet is the stable one and takes production traffic;
 *  - the soak starts at the switch: the post-promotion AnalysisRun (labels `rollout-type:
 *    PostPromotion`, `rollouts-pod-template-hash: <hash>`, utils/analysis/factory.go) is created once
 *    the active Service selects the new ReplicaSet (rollout/analysis.go,
 *    reconcilePostPromotionAnalysisRun); a rollback and a new promotion create a new one, so the
 *    newest restarts the clock. It must have ended Successful;
 *  - a first release (the Rollout's revision 1) has no promotion: its `<component>-first-release`
 *    AnalysisRun (rendered next to the Rollout) is the gate, and the soak starts when it was created.
 */

export interface RolloutJson {
  readonly metadata: { readonly name: string; readonly annotations?: Readonly<Record<string, string>> };
  readonly spec: { readonly template: { readonly spec: { readonly containers: readonly { readonly name: string; readonly image: string }[] } } };
  readonly status?: {
    readonly abort?: boolean;
    readonly message?: string;
    readonly phase?: string;
    readonly stableRS?: string;
    readonly currentPodHash?: string;
    readonly blueGreen?: { readonly activeSelector?: string };
  };
}

export interface AnalysisRunJson {
  readonly metadata: { readonly name: string; readonly creationTimestamp: string; readonly labels?: Readonly<Record<string, string>> };
  readonly status?: { readonly phase?: string; readonly message?: string };
}

export interface Evidence {
  readonly stage: string;
  readonly ok: boolean;
  /** What was seen, or why it is not enough. */
  readonly detail: string;
  /** When the soak started (ms since the epoch), when known. */
  readonly since?: number;
}

export const ROLLOUT_TYPE_LABEL = "rollout-type";
export const POST_PROMOTION = "PostPromotion";
export const REVISION_ANNOTATION = "rollout.argoproj.io/revision";

/** `1h 5m`, `4m 10s`, `45s`. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${s % 60}s` : `${s}s`;
}

export interface JudgeInput {
  readonly stage: string;
  readonly component: string;
  readonly digest: string;
  readonly soakSeconds: number;
  /** Now, ms since the epoch. */
  readonly now: number;
  /** The Rollout, or undefined when the cluster has none. */
  readonly rollout: RolloutJson | undefined;
  /** The namespace's AnalysisRuns. */
  readonly runs: readonly AnalysisRunJson[];
  readonly hashLabel: string;
  readonly firstReleaseRun: string;
}

export function judge(x: JudgeInput): Evidence {
  const no = (detail: string, since?: number): Evidence => ({ stage: x.stage, ok: false, detail, ...(since !== undefined ? { since } : {}) });
  const r = x.rollout;
  if (!r) return no(`no Rollout ${x.component}: Argo CD has not created it here`);
  const digests = r.spec.template.spec.containers.map((c) => c.image.split("@")[1]).filter(Boolean);
  if (!digests.includes(x.digest)) return no(`the Rollout runs ${digests.map((d) => `${d!.slice(0, 19)}…`).join(", ") || "no digest"}, not ${x.digest.slice(0, 19)}…: not synced yet, or changed on the cluster`);
  const st = r.status ?? {};
  const hash = st.currentPodHash;
  const postRuns = x.runs
    .filter((a) => a.metadata.labels?.[ROLLOUT_TYPE_LABEL] === POST_PROMOTION && a.metadata.labels?.[x.hashLabel] === hash)
    .sort((a, b) => Date.parse(b.metadata.creationTimestamp) - Date.parse(a.metadata.creationTimestamp));
  if (st.abort) {
    // A post-promotion run exists only once the active Service switched: then the abort is a rollback.
    const how = postRuns[0] ? `rolled back after the switch (${postRuns[0].metadata.name} ${postRuns[0].status?.phase ?? "Pending"})` : "aborted before the switch, never promoted";
    return no(`${how}; stable is ${st.stableRS ?? "none"}: ${st.message ?? "no message"}`);
  }
  const active = st.blueGreen?.activeSelector;
  const notYet = () => no(`not promoted yet: ${st.phase ?? "no phase"}${st.message ? ` (${st.message})` : ""}`);
  if (!hash) return notYet();
  if (st.stableRS === hash && active !== hash) return no(`the active Service selects ${active ?? "nothing"}, not the stable ${hash}`);
  if (active !== hash) return notYet();
  const post = postRuns[0];
  // Switched, not stable yet: the post-promotion analysis is judging production traffic and may
  // still roll it back. The soak is already counting.
  if (st.stableRS !== hash) {
    if (!post) return no(`switched to ${hash}, its post-promotion analysis not started yet`);
    const since = Date.parse(post.metadata.creationTimestamp);
    const soaked = (x.now - since) / 1000;
    return no(`switched to ${hash} ${duration(soaked)} ago, not stable yet: ${post.metadata.name} is ${post.status?.phase ?? "Pending"}; soaked ${duration(soaked)} of ${duration(x.soakSeconds)}`, since);
  }
  if (st.phase !== "Healthy") return no(`${st.phase ?? "no phase"}${st.message ? `: ${st.message}` : ""}`);
  let gate: AnalysisRunJson | undefined = post;
  let what = "promoted";
  if (!gate && r.metadata.annotations?.[REVISION_ANNOTATION] === "1") {
    gate = x.runs.find((a) => a.metadata.name === x.firstReleaseRun);
    what = "first release";
  }
  if (!gate) return no(`no post-promotion AnalysisRun for ${hash}: the switch time is unknown (removed by the Rollout's analysis history limit?), so the soak cannot be measured`);
  const since = Date.parse(gate.metadata.creationTimestamp);
  const phase = gate.status?.phase ?? "Pending";
  if (phase !== "Successful") return no(`${what} ${duration((x.now - since) / 1000)} ago; ${gate.metadata.name} is ${phase}${gate.status?.message ? `: ${gate.status.message}` : ""}`, since);
  const soaked = (x.now - since) / 1000;
  if (soaked < x.soakSeconds) return no(`${what} ${duration(soaked)} ago (${gate.metadata.name} Successful): soaked ${duration(soaked)} of ${duration(x.soakSeconds)}, eligible at ${new Date(since + x.soakSeconds * 1000).toISOString()}`, since);
  return { stage: x.stage, ok: true, detail: `${what} ${duration(soaked)} ago (${gate.metadata.name} Successful), stable and active ${hash}`, since };
}

/**
 * The operator's evidence (generators/constructs/operator-deployment.ts): a Deployment, judged as
 * the Deployment controller reports it (Kubernetes v1.36, pkg/controller/deployment), and the
 * BitActorCluster the operator reconciles:
 *  - the pod template runs the digest being promoted, and the controller has observed that spec
 *    (`status.observedGeneration`);
 *  - the rollout is complete: every replica updated and available and no old one left, and the
 *    `Progressing` condition's reason is `NewReplicaSetAvailable` (util/deployment_util.go
 *    NewRSAvailableReason). Its `lastUpdateTime` is when it became so: SetDeploymentCondition keeps a
 *    condition whose status and reason do not change. The soak starts there;
 *  - the operator did its job meanwhile: the BitActorCluster's `status.observedGeneration` is its
 *    current generation, and a replica renewed the Lease within LEASE_FRESH_SECONDS.
 */
export interface DeploymentJson {
  readonly metadata: { readonly name: string; readonly generation?: number };
  readonly spec: { readonly replicas?: number; readonly template: { readonly spec: { readonly containers: readonly { readonly name: string; readonly image: string }[] } } };
  readonly status?: {
    readonly observedGeneration?: number;
    readonly replicas?: number;
    readonly updatedReplicas?: number;
    readonly availableReplicas?: number;
    readonly conditions?: readonly { readonly type: string; readonly status: string; readonly reason?: string; readonly lastUpdateTime?: string; readonly message?: string }[];
  };
}

export interface ClusterJson {
  readonly metadata: { readonly generation?: number };
  readonly status?: { readonly observedGeneration?: number };
}

export interface LeaseJson {
  readonly spec?: { readonly holderIdentity?: string; readonly renewTime?: string };
}

/**
 * How recently a replica must have renewed the Lease: it renews every 2 s and gives up after 6 s
 * (operator/src/lease.ts); 30 s also covers kubectl's own reading time and clock skew.
 */
export const LEASE_FRESH_SECONDS = 30;

export interface OperatorJudgeInput {
  readonly stage: string;
  readonly digest: string;
  readonly soakSeconds: number;
  readonly now: number;
  readonly deployment: DeploymentJson | undefined;
  readonly cluster: ClusterJson | undefined;
  readonly lease: LeaseJson | undefined;
}

export function judgeOperator(x: OperatorJudgeInput): Evidence {
  const no = (detail: string, since?: number): Evidence => ({ stage: x.stage, ok: false, detail, ...(since !== undefined ? { since } : {}) });
  const d = x.deployment;
  if (!d) return no("no operator Deployment: Argo CD has not created it here");
  const digests = d.spec.template.spec.containers.map((c) => c.image.split("@")[1]).filter(Boolean);
  if (!digests.includes(x.digest)) return no(`the Deployment runs ${digests.map((g) => `${g!.slice(0, 19)}…`).join(", ") || "no digest"}, not ${x.digest.slice(0, 19)}…: not synced yet, or changed on the cluster`);
  const st = d.status ?? {};
  if ((st.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) return no(`the Deployment controller has not acted on generation ${d.metadata.generation} yet (observed ${st.observedGeneration ?? "none"})`);
  const want = d.spec.replicas ?? 1;
  const progressing = st.conditions?.find((c) => c.type === "Progressing");
  if ((st.updatedReplicas ?? 0) < want || (st.availableReplicas ?? 0) < want || (st.replicas ?? 0) > want || progressing?.reason !== "NewReplicaSetAvailable") {
    return no(`rolling out: ${st.updatedReplicas ?? 0} of ${want} updated, ${st.availableReplicas ?? 0} available, ${st.replicas ?? 0} in all${progressing ? ` (${progressing.reason}: ${progressing.message ?? ""})` : ""}`);
  }
  const since = Date.parse(progressing.lastUpdateTime ?? "");
  if (Number.isNaN(since)) return no("rolled out, but the Deployment's Progressing condition has no lastUpdateTime: the soak cannot be measured");
  const soaked = (x.now - since) / 1000;
  if (!x.cluster) return no(`rolled out ${duration(soaked)} ago, but the cluster has no BitActorCluster ${x.stage} to reconcile`, since);
  if (x.cluster.status?.observedGeneration !== x.cluster.metadata.generation) return no(`rolled out ${duration(soaked)} ago, but the BitActorCluster's generation ${x.cluster.metadata.generation} is not reconciled (observed ${x.cluster.status?.observedGeneration ?? "none"})`, since);
  const renewed = Date.parse(x.lease?.spec?.renewTime ?? "");
  if (!x.lease?.spec?.holderIdentity || Number.isNaN(renewed) || (x.now - renewed) / 1000 > LEASE_FRESH_SECONDS) {
    return no(`rolled out ${duration(soaked)} ago, but no replica leads: the Lease ${x.lease?.spec?.holderIdentity ? `was last renewed by ${x.lease.spec.holderIdentity} ${duration((x.now - renewed) / 1000)} ago` : "has no holder"}`, since);
  }
  if (soaked < x.soakSeconds) return no(`rolled out ${duration(soaked)} ago, reconciling, ${x.lease.spec.holderIdentity} leads: soaked ${duration(soaked)} of ${duration(x.soakSeconds)}, eligible at ${new Date(since + x.soakSeconds * 1000).toISOString()}`, since);
  return { stage: x.stage, ok: true, detail: `rolled out ${duration(soaked)} ago, every replica available, the BitActorCluster reconciled, ${x.lease.spec.holderIdentity} leads`, since };
}
