import type { NodeAgent, RepositoryModel } from "../generators/inputs/types.ts";
import { NODE_AGENT_LABEL, nodeAgentsNamespace } from "../generators/nodes/node-agents.ts";
import { CHAOS, LABEL, stageId } from "../generators/naming.ts";
import { ISTIO, ISTIOD } from "../generators/constructs/mesh.ts";
import { HOST_KEY, ZONE_KEY } from "../generators/nodes/labels.ts";
import { describeObject, isObject, matches, namespacesWithPods, podTemplates, type Json, type PolicyObject, type Violation } from "./policy-objects.ts";
import { NODE_RULES, checkNodePolicies } from "./policy-nodes.ts";
import { BACKUP_RULES, checkBackupPolicies } from "./policy-backups.ts";

export type { PolicyObject, Violation } from "./policy-objects.ts";

/**
 * The security policy gate (`npm run policy`): rules every rendered object must satisfy, each named
 * after the check it adopts from the Pod Security Standards (restricted), kube-linter, kube-score or
 * Polaris. Pure: it takes the parsed objects and the catalog (for the per-component exceptions)
 * and returns every violation with the file, the object, the field and the rule.
 */

/** Each rule, what it adopts and why. */
export const RULES = {
  "image-digest": "every image is pinned by digest (kube-linter latest-tag, Polaris tagNotSpecified): a tag can move under a reviewed manifest",
  "no-plaintext-secret": "no Secret objects: credentials reach git only sealed (SealedSecret)",
  "no-credential-value": "no field holds something that looks like a credential (gitleaks-style patterns)",
  "run-as-non-root": "pods run as a non-root uid (PSS restricted; kube-linter run-as-non-root)",
  "seccomp-runtime-default": "seccompProfile RuntimeDefault (PSS restricted)",
  "no-privilege-escalation": "allowPrivilegeEscalation: false (PSS restricted)",
  "drop-all-capabilities": "capabilities.drop includes ALL (PSS restricted)",
  "capabilities-from-catalog": "added capabilities are exactly the component's security.addCapabilities in engine/catalog.yaml, none for other pods",
  "read-only-root-fs": "readOnlyRootFilesystem: true (kube-linter no-read-only-root-fs, Polaris notReadOnlyRootFilesystem)",
  "no-host-access": "no privileged containers, host namespaces or hostPath volumes (PSS baseline; kube-linter privileged-container, host-network)",
  "resources-set": "cpu and memory requests and limits on every container (kube-score container-resources)",
  "own-service-account": "pods name their own ServiceAccount, never default (kube-linter default-service-account)",
  "no-token-automount": "automountServiceAccountToken: false on every pod whose ServiceAccount no rendered RoleBinding or ClusterRoleBinding grants API access: only the restore drill and the chaos session call the API (Polaris automountServiceAccountToken)",
  "default-deny-network": "every namespace with pods has a NetworkPolicy denying all ingress and egress; in Velero's namespace, which Velero's installation owns, each of our pods has one selecting it (kube-score networkpolicy-targets-pod, pod-networkpolicy)",
  "network-policy-selects-pod": "every pod is selected by a NetworkPolicy other than the default deny (kube-score networkpolicy-targets-pod)",
  "readiness-probe": "long-running containers have a readiness probe (kube-linter no-readiness-probe)",
  "guaranteed-integer-cpu": "engine containers are Guaranteed QoS with whole CPUs (requests = limits for cpu, memory, hugepages), and so is the mesh proxy injected beside them (its resource annotations, requests = limits), so the kubelet's static CPU manager pins cores",
  "hugepages-mounted": "a container that requests hugepages mounts an emptyDir of the same page size",
  "disruption-budget": "every workload with more than one replica has a PodDisruptionBudget allowing at most one disruption (kube-score poddisruptionbudget)",
  "zone-spread": "workloads with three or more replicas spread over at least three zones: maxSkew 1, DoNotSchedule, minDomains >= 3 (Polaris topologySpreadConstraint)",
  "host-anti-affinity": "no two pods of a multi-replica workload on one host: required podAntiAffinity on kubernetes.io/hostname (kube-score pod-anti-affinity, required here)",
  "probes": "engine containers have startup and readiness probes every 1 s, the shortest period Kubernetes allows, and a liveness probe that is cheaper and more patient than readiness: another handler, periodSeconds >= 10, a restart only after at least 60 s of failures",
  "mesh-strict": "every namespace with pods has a namespace-wide Istio PeerAuthentication in STRICT mode (Istio security best practices)",
  "mesh-control-plane-egress": "in a namespace with STRICT mTLS and a default deny, every pod may reach istiod's xDS port, or no sidecar gets its configuration and no pod becomes ready",
  "mesh-bypass-consistent": "a port a pod's sidecar does not intercept is DISABLE in a PeerAuthentication selecting the pod, or STRICT would refuse its plaintext connections",
  "rbac-least-privilege": "Roles and ClusterRoles name every API group, resource and verb (no `*`), none escalates (bind, escalate, impersonate), and none but the chaos runner's (staging's Litmus) execs into pods (kube-linter wildcard-in-rules; Kubernetes RBAC good practices)",
  "operator-pod": "a Prometheus (whose pods prometheus-operator writes, hardening every container itself: pkg/prometheus/server/statefulset.go, pkg/operator/config_reloader.go) names an exact release, runs as non-root with seccomp RuntimeDefault, under its own ServiceAccount, with requests = limits",
  ...NODE_RULES,
  ...BACKUP_RULES,
} as const;

export type RuleId = keyof typeof RULES;

/** Patterns of credentials that must never be in a rendered field (after gitleaks' default rules). */
export const CREDENTIAL_PATTERNS: readonly { name: string; re: RegExp }[] = [
  { name: "AWS access key id", re: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { name: "private key", re: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
  { name: "GitHub token", re: /\bgh[pousr]_[A-Za-z0-9]{36,}\b/ },
  { name: "Slack token", re: /\bxox[abprs]-[A-Za-z0-9-]{10,}/ },
  { name: "password in a URL", re: /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i },
  { name: "secret assignment", re: /\b(password|passwd|secret|api[_-]?key|access[_-]?token)\s*[:=]\s*["']?[^\s"'{$]{6,}/i },
];
/** Environment variable names that must take their value from a secret, never a literal. */
const SECRET_ENV = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|CREDENTIAL|PRIVATE_KEY)/;

function walkStrings(x: unknown, at: string, f: (value: string, at: string) => void): void {
  if (typeof x === "string") f(x, at);
  else if (Array.isArray(x)) x.forEach((v, i) => walkStrings(v, `${at}/${i}`, f));
  else if (isObject(x)) for (const [k, v] of Object.entries(x)) walkStrings(v, `${at}/${k.replace(/~/g, "~0").replace(/\//g, "~1")}`, f);
}

const EXCLUDE_INBOUND = "traffic.sidecar.istio.io/excludeInboundPorts";

/** Kubernetes' values for a probe field left out (core/v1 Probe). */
const PROBE_DEFAULTS = { periodSeconds: 10, failureThreshold: 3 } as const;
/** A liveness probe restarts the container: never more often than every 10 s, never before a minute of failures. */
const LIVENESS_MIN = { periodSeconds: 10, patienceSeconds: 60 } as const;
const PROBE_HANDLERS = ["exec", "httpGet", "tcpSocket", "grpc"] as const;
/** What a probe does (its handler and target), comparable across probes whatever the key order. */
const probeHandler = (p: Json | undefined): string => {
  const canonical = (x: unknown): unknown => (isObject(x) ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, canonical(x[k])])) : Array.isArray(x) ? x.map(canonical) : x);
  return JSON.stringify(canonical(Object.fromEntries(PROBE_HANDLERS.filter((h) => p?.[h] !== undefined).map((h) => [h, p![h]]))));
};

/**
 * The catalog's node agent these pods are, if they are one: labelled with its catalog key and in the
 * stage's node-agent namespace (nodes/node-agents.ts). Anywhere else the label grants nothing.
 */
function nodeAgentOf(t: { labels: Record<string, string> }, o: PolicyObject["object"], catalog: RepositoryModel["catalog"]): (NodeAgent & { id: string }) | undefined {
  const id = t.labels[NODE_AGENT_LABEL];
  const agents = catalog.nodeAgents as Readonly<Record<string, NodeAgent>>;
  const stage = stageId(o.metadata.labels?.[LABEL.environment] ?? "", o.metadata.labels?.[LABEL.region] ?? "");
  if (!id || !Object.hasOwn(agents, id) || o.metadata.namespace !== nodeAgentsNamespace(stage)) return undefined;
  return { ...agents[id]!, id };
}

/** A NetworkPolicy that lets the pods it selects (with these labels, if given) neither receive nor send anything. */
const deniesAll = (o: PolicyObject["object"], labels?: Record<string, string>) => {
  const s = o.spec as Json;
  const types = (s.policyTypes ?? []) as string[];
  return isObject(s.podSelector) && (!labels || matches(labels, s.podSelector)) && types.includes("Ingress") && types.includes("Egress") && !s.ingress && !s.egress;
};
const isDefaultDeny = (o: PolicyObject["object"]) => deniesAll(o) && Object.keys((o.spec as Json).podSelector as Json).length === 0;

export function checkPolicies(objects: readonly PolicyObject[], model: RepositoryModel): Violation[] {
  const catalog = model.catalog;
  const out: Violation[] = [];
  const policies = objects.filter((o) => o.object.kind === "NetworkPolicy");
  const peers = objects.filter((o) => o.object.kind === "PeerAuthentication");
  const budgets = objects.filter((o) => o.object.kind === "PodDisruptionBudget");
  // Accounts a rendered binding grants API access, `namespace/name`: only their pods may mount a token.
  const bound = new Set(objects.filter((o) => o.object.kind === "RoleBinding" || o.object.kind === "ClusterRoleBinding").flatMap((b) =>
    ((b.object.subjects ?? []) as Json[]).filter((s) => s.kind === "ServiceAccount").map((s) => `${String(s.namespace ?? b.object.metadata.namespace)}/${String(s.name)}`)));
  // Namespaces another installation owns (Velero's): no namespace-wide policy of ours belongs there.
  const foreign = new Set(model.environments.map((e) => e.settings.backup.namespace));
  for (const { path, object: o } of objects) {
    const v = (rule: RuleId, field: string, message: string) => out.push({ path, object: describeObject(o), field, rule, message });

    if (o.kind === "Secret") v("no-plaintext-secret", "/kind", "a plaintext Secret: seal it (kubeseal) and render a SealedSecret instead");
    walkStrings(o, "", (value, at) => {
      // A SealedSecret's encryptedData is ciphertext by construction (and random base64 could match a pattern by chance).
      if (o.kind === "SealedSecret" && at.startsWith("/spec/encryptedData/")) return;
      for (const p of CREDENTIAL_PATTERNS) if (p.re.test(value)) v("no-credential-value", at, `looks like a ${p.name}`);
    });

    if (o.kind === "Role" || o.kind === "ClusterRole") {
      ((o.rules ?? []) as Json[]).forEach((r, i) => {
        for (const key of ["apiGroups", "resources", "verbs"]) {
          const values = (r[key] ?? []) as string[];
          if (values.includes("*")) v("rbac-least-privilege", `/rules/${i}/${key}`, `a wildcard grants every ${key === "verbs" ? "verb" : key === "resources" ? "resource" : "API group"}, including those added later: name them`);
        }
        const resources = (r.resources ?? []) as string[];
        const verbs = (r.verbs ?? []) as string[];
        // Litmus' experiment runner execs into its targets (its documented RBAC); only the chaos
        // project admits its Roles, and only environments with chaos experiments (staging) have one.
        const chaosRunner = o.metadata.labels?.[LABEL.component] === CHAOS;
        if (!chaosRunner && resources.some((x) => x === "pods/exec" || x === "pods/attach")) v("rbac-least-privilege", `/rules/${i}/resources`, "execs into pods: a shell in a trading process");
        for (const x of verbs.filter((y) => ["bind", "escalate", "impersonate"].includes(y))) v("rbac-least-privilege", `/rules/${i}/verbs`, `${x}: grants more than the role holds`);
      });
    }

    if (o.kind === "Prometheus") {
      const spec = (o.spec ?? {}) as Json;
      const sc = (spec.securityContext ?? {}) as Json;
      if (!/^v\d+\.\d+\.\d+$/.test(String(spec.version ?? ""))) v("operator-pod", "/spec/version", `must be an exact release (vX.Y.Z), not ${JSON.stringify(spec.version ?? null)}: without it the operator picks its own default`);
      if (spec.image !== undefined && !/@sha256:[a-f0-9]{64}$/.test(String(spec.image))) v("operator-pod", "/spec/image", `${JSON.stringify(spec.image)} is not pinned by digest; leave it unset for the release's image by tag`);
      if (sc.runAsNonRoot !== true) v("operator-pod", "/spec/securityContext/runAsNonRoot", "must be true");
      if ((sc.seccompProfile as Json | undefined)?.type !== "RuntimeDefault") v("operator-pod", "/spec/securityContext/seccompProfile", "must be RuntimeDefault");
      if (!spec.serviceAccountName || spec.serviceAccountName === "default") v("operator-pod", "/spec/serviceAccountName", "set the Prometheus' own ServiceAccount (not default)");
      const res = (spec.resources ?? {}) as { requests?: Json; limits?: Json };
      for (const r of ["cpu", "memory"]) if (res.requests?.[r] === undefined || res.requests[r] !== res.limits?.[r]) v("operator-pod", `/spec/resources`, `${r} requests must equal limits`);
    }

    for (const t of podTemplates(o)) {
      const spec = t.spec ?? {};
      const podSc = (spec.securityContext ?? {}) as Json;
      const component = catalog.components[t.labels[LABEL.name] ?? ""];
      const allowedCaps = [...(component?.security.addCapabilities ?? [])].sort();
      // A node agent (catalog nodeAgents) may have exactly the host access its entry lists, in its own namespace.
      const agent = nodeAgentOf(t, o, catalog);
      const agentNote = agent ? ` (node agent ${agent.id}: engine/catalog.yaml nodeAgents.${agent.id}.host)` : "";
      if (spec.hostNetwork || spec.hostIPC || (spec.hostPID && !agent?.host.privileged)) v("no-host-access", `${t.at}/spec`, `host namespaces (hostNetwork/hostPID/hostIPC) are not allowed${agentNote}`);
      ((spec.volumes ?? []) as Json[]).forEach((vol, i) => {
        const hostPath = (vol.hostPath as Json | undefined)?.path;
        if (vol.hostPath && !agent?.host.paths.includes(String(hostPath))) v("no-host-access", `${t.at}/spec/volumes/${i}/hostPath`, `hostPath volumes are not allowed${agent ? `; ${agent.id} may mount only [${agent.host.paths.join(", ")}]` : ""}${agentNote}`);
      });
      if (!spec.serviceAccountName || spec.serviceAccountName === "default") v("own-service-account", `${t.at}/spec/serviceAccountName`, "set the pod's own ServiceAccount (not default)");
      if (spec.automountServiceAccountToken !== false && !bound.has(`${o.metadata.namespace}/${String(spec.serviceAccountName)}`)) {
        v("no-token-automount", `${t.at}/spec/automountServiceAccountToken`, `must be false: no rendered RoleBinding grants ${String(spec.serviceAccountName ?? "default")} API access, so these pods have no call to make`);
      }
      // A policy for these pods that allows them something, not one for the whole namespace (default deny, DNS, istiod select {}).
      const ownPolicy = policies.some((p) => {
        const selector = (p.object.spec as Json).podSelector as Json | undefined;
        return p.object.metadata.namespace === o.metadata.namespace && Object.keys(selector ?? {}).length > 0 && matches(t.labels, selector) && !deniesAll(p.object);
      });
      // A node agent talks to nothing (the device plugin speaks to the kubelet over its host socket): the default deny is its policy.
      if (!ownPolicy && !agent) {
        v("network-policy-selects-pod", `${t.at}/metadata/labels`, `no NetworkPolicy in ${o.metadata.namespace} selects these pods: only namespace-wide ones apply`);
      }
      const bypassed = String((t.annotations ?? {})[EXCLUDE_INBOUND] ?? "").split(",").filter(Boolean);
      for (const port of bypassed) {
        const disabled = peers.some((p) => {
          const ps = p.object.spec as Json;
          const mode = ((ps.portLevelMtls as Json | undefined)?.[port] as Json | undefined)?.mode;
          return p.object.metadata.namespace === o.metadata.namespace && isObject(ps.selector) && matches(t.labels, ps.selector) && mode === "DISABLE";
        });
        if (!disabled) v("mesh-bypass-consistent", `${t.at}/metadata/annotations/${EXCLUDE_INBOUND.replace(/\//g, "~1")}`, `port ${port} bypasses the sidecar but no PeerAuthentication selecting these pods sets it to DISABLE`);
      }
      const replicas = t.replicas ?? 1;
      if (t.longRunning && replicas > 1) {
        const pdb = budgets.find((b) => b.object.metadata.namespace === o.metadata.namespace && matches(t.labels, (b.object.spec as Json).selector));
        const maxUnavailable = (pdb?.object.spec as Json | undefined)?.maxUnavailable;
        if (!pdb) v("disruption-budget", `${t.at}/metadata/labels`, "no PodDisruptionBudget selects these pods");
        else if (maxUnavailable !== 1 && maxUnavailable !== 0) v("disruption-budget", `${t.at}/metadata/labels`, `PodDisruptionBudget ${pdb.object.metadata.name} must set maxUnavailable: 1 (has ${JSON.stringify(maxUnavailable)})`);
        const anti = (((spec.affinity as Json | undefined)?.podAntiAffinity as Json | undefined)?.requiredDuringSchedulingIgnoredDuringExecution ?? []) as Json[];
        if (!anti.some((a) => a.topologyKey === HOST_KEY && matches(t.labels, a.labelSelector))) v("host-anti-affinity", `${t.at}/spec/affinity/podAntiAffinity`, "needs a required term on kubernetes.io/hostname selecting these pods");
      }
      if (t.longRunning && replicas >= 3) {
        const spread = ((spec.topologySpreadConstraints ?? []) as Json[]).find((c) => c.topologyKey === ZONE_KEY);
        if (!spread || spread.maxSkew !== 1 || spread.whenUnsatisfiable !== "DoNotSchedule" || Number(spread.minDomains ?? 0) < 3 || !matches(t.labels, spread.labelSelector)) {
          v("zone-spread", `${t.at}/spec/topologySpreadConstraints`, "needs topology.kubernetes.io/zone with maxSkew 1, DoNotSchedule, minDomains >= 3, selecting these pods");
        }
      }
      if (component && t.longRunning) {
        // The injected proxy is a container of the pod too: Istio's defaults (requests below limits) make the pod Burstable.
        const a = t.annotations ?? {};
        const pairs = [[ISTIO.proxyCpu, ISTIO.proxyCpuLimit], [ISTIO.proxyMemory, ISTIO.proxyMemoryLimit]] as const;
        for (const [req, lim] of pairs) {
          if (!a[req] || a[req] !== a[lim]) v("guaranteed-integer-cpu", `${t.at}/metadata/annotations/${req.replace(/\//g, "~1")}`, `the injected mesh proxy needs ${req} = ${lim} (has ${a[req] ?? "none"} and ${a[lim] ?? "none"}), or Istio's defaults make the pod Burstable`);
        }
      }
      // Init containers run on the node too, before the others: every rule but the engine's and the probes' applies to them.
      const containers = [
        ...((spec.containers ?? []) as Json[]).map((c, i) => ({ c, at: `${t.at}/spec/containers/${i}`, init: false })),
        ...((spec.initContainers ?? []) as Json[]).map((c, i) => ({ c, at: `${t.at}/spec/initContainers/${i}`, init: true })),
      ];
      containers.forEach(({ c, at, init }) => {
        if (component && t.longRunning && !init) {
          const res = (c.resources ?? {}) as { requests?: Record<string, string>; limits?: Record<string, string> };
          const names = new Set([...Object.keys(res.requests ?? {}), ...Object.keys(res.limits ?? {})]);
          for (const r of names) {
            if (res.requests?.[r] !== res.limits?.[r]) v("guaranteed-integer-cpu", `${at}/resources/limits/${r}`, `requests.${r} (${res.requests?.[r]}) must equal limits.${r} (${res.limits?.[r]})`);
          }
          if (!/^[1-9][0-9]*$/.test(String(res.requests?.cpu ?? ""))) v("guaranteed-integer-cpu", `${at}/resources/requests/cpu`, `"${res.requests?.cpu}" is not a whole number of CPUs`);
          for (const probe of ["startupProbe", "readinessProbe"]) {
            if ((c[probe] as Json | undefined)?.periodSeconds !== 1) v("probes", `${at}/${probe}`, `needs a ${probe} with periodSeconds 1`);
          }
          const live = c.livenessProbe as Json | undefined;
          if (!live) v("probes", `${at}/livenessProbe`, "needs a livenessProbe");
          else {
            if (probeHandler(live) === probeHandler(c.readinessProbe as Json | undefined)) v("probes", `${at}/livenessProbe`, "repeats the readiness probe: liveness must ask something cheaper (a TCP connection), or a slow moment restarts the process");
            const period = Number(live.periodSeconds ?? PROBE_DEFAULTS.periodSeconds);
            const failures = Number(live.failureThreshold ?? PROBE_DEFAULTS.failureThreshold);
            if (period < LIVENESS_MIN.periodSeconds || period * failures < LIVENESS_MIN.patienceSeconds) {
              v("probes", `${at}/livenessProbe`, `restarts after ${period * failures} s of failures (periodSeconds ${period} × failureThreshold ${failures}): needs periodSeconds >= ${LIVENESS_MIN.periodSeconds} and at least ${LIVENESS_MIN.patienceSeconds} s`);
            }
          }
        }
        const hugepages = Object.keys(((c.resources as Json | undefined)?.requests ?? {}) as Json).filter((r) => r.startsWith("hugepages-"));
        for (const h of hugepages) {
          const medium = `HugePages-${h.slice("hugepages-".length)}`;
          const vols = ((spec.volumes ?? []) as Json[]).filter((vol) => (vol.emptyDir as Json | undefined)?.medium === medium).map((vol) => vol.name);
          if (!((c.volumeMounts ?? []) as Json[]).some((m) => vols.includes(m.name))) v("hugepages-mounted", `${at}/volumeMounts`, `requests ${h} but mounts no emptyDir with medium ${medium}`);
        }
        const sc = (c.securityContext ?? {}) as Json;
        const caps = (sc.capabilities ?? {}) as { drop?: string[]; add?: string[] };
        const image = String(c.image ?? "");
        if (!/@sha256:[a-f0-9]{64}$/.test(image)) v("image-digest", `${at}/image`, `"${image}" is not pinned by digest (image@sha256:<64 hex>)`);
        const root = agent?.host.runAsRoot === true;
        // A privileged container has every capability and escalation by definition: only a node agent whose entry says so.
        const privileged = sc.privileged === true && agent?.host.privileged === true;
        if (!root && sc.runAsNonRoot !== true && podSc.runAsNonRoot !== true) v("run-as-non-root", `${at}/securityContext/runAsNonRoot`, "must be true (container or pod)");
        if (!root && (sc.runAsUser === 0 || podSc.runAsUser === 0)) v("run-as-non-root", `${at}/securityContext/runAsUser`, "uid 0 is root");
        const seccomp = ((sc.seccompProfile ?? podSc.seccompProfile) as Json | undefined)?.type;
        if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") v("seccomp-runtime-default", `${at}/securityContext/seccompProfile`, "must be RuntimeDefault (container or pod)");
        if (!privileged && sc.allowPrivilegeEscalation !== false) v("no-privilege-escalation", `${at}/securityContext/allowPrivilegeEscalation`, "must be false");
        if (sc.privileged === true && !privileged) v("no-host-access", `${at}/securityContext/privileged`, `privileged containers are not allowed${agentNote}`);
        if (!privileged && !(caps.drop ?? []).includes("ALL")) v("drop-all-capabilities", `${at}/securityContext/capabilities/drop`, "must include ALL");
        const added = [...(caps.add ?? [])].sort();
        if (added.join(",") !== allowedCaps.join(",")) {
          v("capabilities-from-catalog", `${at}/securityContext/capabilities/add`, `adds [${added.join(", ")}]; allowed: [${allowedCaps.join(", ")}]${component ? ` (engine/catalog.yaml components.${t.labels[LABEL.name]}.security)` : " (not an engine component: none)"}`);
        }
        if (sc.readOnlyRootFilesystem !== true) v("read-only-root-fs", `${at}/securityContext/readOnlyRootFilesystem`, "must be true; give the container an emptyDir for scratch space");
        const res = (c.resources ?? {}) as { requests?: Json; limits?: Json };
        for (const kind of ["requests", "limits"] as const) for (const r of ["cpu", "memory"]) {
          if (res[kind]?.[r] === undefined) v("resources-set", `${at}/resources/${kind}/${r}`, `${kind}.${r} is missing`);
        }
        if (t.longRunning && !init && !c.readinessProbe) v("readiness-probe", `${at}/readinessProbe`, "a long-running container needs a readiness probe");
        ((c.env ?? []) as Json[]).forEach((e, j) => {
          if (SECRET_ENV.test(String(e.name)) && e.value !== undefined) v("no-credential-value", `${at}/env/${j}/value`, `${String(e.name)} is a literal; take it from a sealed secret (valueFrom.secretKeyRef)`);
        });
      });
    }
  }
  for (const [ns, first] of namespacesWithPods(objects)) {
    if (foreign.has(ns)) {
      // A default deny for the whole namespace would cut off Velero: ours selects our pods. Its mesh settings are its installation's.
      for (const { path, object: o } of objects.filter((x) => x.object.metadata.namespace === ns)) {
        for (const t of podTemplates(o)) {
          if (!policies.some((p) => p.object.metadata.namespace === ns && deniesAll(p.object, t.labels))) {
            out.push({ path, object: describeObject(o), field: `${t.at}/metadata/labels`, rule: "default-deny-network", message: `no NetworkPolicy in ${ns} (Velero's namespace) denies these pods all ingress and egress` });
          }
        }
      }
      continue;
    }
    if (!policies.some((p) => p.object.metadata.namespace === ns && isDefaultDeny(p.object))) {
      out.push({ path: first.path, object: `Namespace ${ns}`, field: "", rule: "default-deny-network", message: `no NetworkPolicy in ${ns} denies all ingress and egress by default` });
    }
    // A namespace the render creates outside the mesh (injection disabled: the node agents') has no sidecar to hold to mTLS.
    const outsideMesh = objects.some((n) => n.object.kind === "Namespace" && n.object.metadata.name === ns && n.object.metadata.labels?.[ISTIO.injectionLabel] === "disabled");
    if (outsideMesh) continue;
    const strict = peers.some((p) => {
      const ps = p.object.spec as Json;
      return p.object.metadata.namespace === ns && !ps.selector && (ps.mtls as Json | undefined)?.mode === "STRICT";
    });
    if (!strict) out.push({ path: first.path, object: `Namespace ${ns}`, field: "", rule: "mesh-strict", message: `no namespace-wide PeerAuthentication in ${ns} requires STRICT mTLS` });
    const denied = policies.some((p) => p.object.metadata.namespace === ns && isDefaultDeny(p.object));
    const istiod = policies.some((p) => {
      const ps = p.object.spec as Json;
      return p.object.metadata.namespace === ns && isObject(ps.podSelector) && Object.keys(ps.podSelector).length === 0 &&
        ((ps.egress ?? []) as Json[]).some((e) =>
          ((e.to ?? []) as Json[]).some((t) => ((t.namespaceSelector as Json | undefined)?.matchLabels as Json | undefined)?.["kubernetes.io/metadata.name"] === ISTIOD.namespace) &&
          ((e.ports ?? []) as Json[]).some((pt) => pt.port === ISTIOD.xdsPort));
    });
    if (strict && denied && !istiod) out.push({ path: first.path, object: `Namespace ${ns}`, field: "", rule: "mesh-control-plane-egress", message: `no NetworkPolicy in ${ns} lets every pod reach istiod (${ISTIOD.namespace}, port ${ISTIOD.xdsPort}): with the default deny no sidecar would start` });
  }
  out.push(...checkNodePolicies(objects, model));
  out.push(...checkBackupPolicies(objects));
  return out;
}
