import type { KubeClient } from "../cluster/client.ts";

/** The parts of Argo CD's objects the GitOps e2e reads (argoproj.io/v1alpha1, status as the controller writes it). */

export interface AppResource {
  group?: string;
  version: string;
  kind: string;
  namespace?: string;
  name: string;
  status?: string;
  health?: { status?: string; message?: string };
}

export interface Application {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { project: string; destination: { name?: string; server?: string; namespace?: string }; source: { path: string; repoURL?: string; targetRevision?: string } };
  status?: {
    sync?: { status?: string; revision?: string };
    health?: { status?: string; message?: string };
    operationState?: {
      phase?: string;
      message?: string;
      /** How many times the automated sync was retried (kept after it succeeds). */
      retryCount?: number;
      syncResult?: { revision?: string; resources?: { kind: string; name: string; message?: string; status?: string }[] };
    };
    conditions?: { type: string; message: string }[];
    resources?: AppResource[];
  };
}

export interface GroupKind {
  group: string;
  kind: string;
}

export interface AppProject {
  metadata: { name: string };
  spec: {
    destinations: { name?: string; server?: string; namespace: string }[];
    clusterResourceWhitelist?: GroupKind[];
    namespaceResourceWhitelist?: GroupKind[];
  };
}

export async function list<T>(client: KubeClient, path: string): Promise<T[]> {
  const r = await client.request("GET", path);
  if (r.status !== 200) throw new Error(`GET ${path}: HTTP ${r.status}`);
  return (r.body as { items: T[] }).items;
}

export const applications = (client: KubeClient, ns: string) => list<Application>(client, `/apis/argoproj.io/v1alpha1/namespaces/${ns}/applications`);
export const projects = (client: KubeClient, ns: string) => list<AppProject>(client, `/apis/argoproj.io/v1alpha1/namespaces/${ns}/appprojects`);

/** Synced at `revision`, Healthy, and its last sync operation succeeded. */
export function settled(app: Application, revision: string): boolean {
  const s = app.status;
  return s?.sync?.status === "Synced" && s.sync.revision === revision && s.health?.status === "Healthy" && s.operationState?.phase === "Succeeded";
}

/** One line: sync, health, operation, conditions; for logs and mismatch reports. */
export function describeApp(app: Application): string {
  const s = app.status;
  const cond = (s?.conditions ?? []).map((c) => `${c.type}: ${c.message}`).join("; ");
  return `${app.metadata.name}: ${s?.sync?.status ?? "?"} ${s?.sync?.revision?.slice(0, 7) ?? ""} ${s?.health?.status ?? "?"}${s?.health?.message ? ` (${s.health.message})` : ""}, operation ${s?.operationState?.phase ?? "none"}${s?.operationState?.message ? `: ${s.operationState.message}` : ""}${cond ? `; ${cond}` : ""}`;
}

/**
 * Where a managed object breaks its project's rules: its kind is not on the whitelist for its
 * scope, or its destination (cluster name + namespace) is not one of the project's. Pure.
 */
export function projectViolations(app: Application, project: AppProject, resources: readonly { group: string; kind: string; namespace?: string; name: string; namespaced: boolean }[]): string[] {
  const out: string[] = [];
  const cluster = app.spec.destination.name ?? app.spec.destination.server ?? "";
  const listed = (list: GroupKind[] | undefined, r: GroupKind) => (list ?? []).some((k) => k.group === r.group && k.kind === r.kind);
  for (const r of resources) {
    const what = `${r.group || "core"}/${r.kind} ${r.namespace ? `${r.namespace}/` : ""}${r.name}`;
    // Argo CD's rule (app_project_types.go IsGroupKindNamePermitted): an unset namespaced whitelist admits every kind.
    const admitted = r.namespaced && project.spec.namespaceResourceWhitelist === undefined ? true : listed(r.namespaced ? project.spec.namespaceResourceWhitelist : project.spec.clusterResourceWhitelist, r);
    if (!admitted) out.push(`${app.metadata.name}: ${what}: kind not admitted by project ${project.metadata.name}`);
    const allowed = project.spec.destinations.some((d) => (d.name ?? d.server) === cluster && (!r.namespaced || d.namespace === r.namespace || d.namespace === "*"));
    if (!allowed) out.push(`${app.metadata.name}: ${what} on ${cluster}: not a destination of project ${project.metadata.name}`);
  }
  return out;
}
