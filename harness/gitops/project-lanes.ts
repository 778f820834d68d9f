import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { list, projects } from "./argo-state.ts";
import { commitRaw, runStep, seconds, until, type StepRow } from "./steps.ts";
import type { Kit } from "./kit.ts";

/**
 * The project lanes: (e) an object no AppProject admits, committed into a component's folder, then
 * (d) a region removed, its Applications, objects and projects pruned.
 */
export async function projectLanes(kit: Kit, rowE: StepRow, rowD: StepRow): Promise<void> {
  const { ctx, repo, mgmt, ns, appsNow, app, appReport, stageApps, rel, client, rns, serial, commitEdit, contains, syncedAt } = kit;
  const gone = ctx.removed;
  await runStep(rowE, async (row) => {
    const component = ctx.refusedIn;
    const appName = `${rns}-${component}`;
    const file = join(repo, "rollouts", rel.environment, rel.region, component, "clusterrolebinding-e2e-escalation.yaml");
    // Written by hand, as a person would slip it in (no render header), and held in the tree until
    // Argo CD has refused it: the other lanes' commits wait, because a render would refuse to run
    // over a file it did not write (and one it did write would be pruned by the next render).
    const back = await serial(async () => {
      writeFileSync(file, `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: e2e-escalation\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: cluster-admin\nsubjects:\n  - kind: ServiceAccount\n    name: ${component}\n    namespace: ${rns}\n`);
      const c = commitRaw(repo, `a ClusterRoleBinding in ${component}'s folder, which no project admits`);
      try {
        const message = await until("Argo CD refuses", async () => {
          const a = await app(appName);
          const s = a?.status;
          const op = s?.operationState;
          if (!s || !contains(s.sync?.revision, c.sha)) return undefined;
          const texts = [op?.message ?? "", ...(op?.syncResult?.resources ?? []).map((r) => r.message ?? ""), ...(s.conditions ?? []).map((x) => x.message)];
          return texts.find((t) => /not permitted in project/.test(t));
        }, 300, appReport);
        row.toDecision = seconds(c.at);
        row.observed = `refused: "${message.replace(/ Retrying attempt #\d+.*$/, "")}"`;
        const crb = await client.request("GET", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/e2e-escalation");
        if (crb.status !== 404) row.problems.push(`the ClusterRoleBinding exists on ${rel.name} (HTTP ${crb.status})`);
      } finally {
        rmSync(file, { force: true });
      }
      return commitRaw(repo, "remove the ClusterRoleBinding");
    });
    // Without the binding, git and the cluster agree again: Synced and Healthy. The refused sync's
    // operation keeps its Failed result (and its retries, SYNC_RETRY: 10 s doubling, five times)
    // until a sync runs; none is needed, as nothing differs.
    await until("Synced and Healthy after removing it", async () => {
      const a = await syncedAt(appName, back.sha);
      return a?.status?.health?.status === "Healthy" ? a : undefined;
    }, 300, appReport);
    row.observed += `; the commit removing it Synced/Healthy ${seconds(back.at)} s later`;
  });
  await runStep(rowD, async (row) => {
    const names = stageApps(gone);
    const addonApps = kit.stageAddonApps(gone);
    const gns = gone.releases[0]!.namespace;
    const c = await commitEdit(`remove ${gone.region}`, () => rmSync(join(repo, "environments", gone.environment, "regions", `${gone.region}.yaml`)));
    await until("the ApplicationSets synced", () => syncedAt(`${gone.environment}-applicationsets`, c.sha), 300, appReport);
    row.toSynced = seconds(c.at);
    await until("its Applications deleted", async () => ((await appsNow()).some((a) => names.includes(a.metadata.name)) ? undefined : true), 600, appReport);
    const gclient = gone.cluster.cp.client;
    const leftovers = async () => {
      const out: string[] = [];
      for (const [kind, path] of [["Rollout", `/apis/argoproj.io/v1alpha1/namespaces/${gns}/rollouts`], ["AnalysisRun", `/apis/argoproj.io/v1alpha1/namespaces/${gns}/analysisruns`], ["Service", `/api/v1/namespaces/${gns}/services`], ["Deployment", `/apis/apps/v1/namespaces/${gns}/deployments`], ["NetworkPolicy", `/apis/networking.k8s.io/v1/namespaces/${gns}/networkpolicies`]] as const) {
        for (const o of await list<{ metadata: { name: string } }>(gclient, path)) out.push(`${kind} ${o.metadata.name}`);
      }
      for (const o of await list<{ metadata: { name: string } }>(gclient, "/apis/bitactor.io/v1alpha1/bitactorclusters")) out.push(`BitActorCluster ${o.metadata.name}`);
      for (const [kind, plural] of [["BackupStorageLocation", "backupstoragelocations"], ["Schedule", "schedules"]] as const) {
        for (const o of await list<{ metadata: { name: string } }>(gclient, `/apis/velero.io/v1/namespaces/velero/${plural}`)) out.push(`${kind} velero/${o.metadata.name}`);
      }
      return out;
    };
    await until("its objects deleted", async () => ((await leftovers()).length === 0 ? true : undefined), 300, async () => (await leftovers()).join("\n"));
    row.toDecision = seconds(c.at);
    // Its projects go after its Applications (reverse sync-wave order), and no other project admits its cluster.
    await until("its AppProjects deleted", async () => ((await projects(mgmt, ns)).some((p) => p.metadata.name.startsWith(gns)) ? undefined : true), 120, async () => (await projects(mgmt, ns)).map((p) => p.metadata.name).join(", "));
    const still = (await projects(mgmt, ns)).filter((p) => p.spec.destinations.some((d) => d.name === gone.name));
    if (still.length) row.problems.push(`${still.map((p) => p.metadata.name).join(", ")} still admit ${gone.name}`);
    // Argo CD never deletes a CustomResourceDefinition with an Application (controller/appcontroller.go,
    // shouldBeDeleted: deleting it would delete every resource of its kind), so the BitActorCluster CRD stays, empty.
    // Its add-ons' Applications went with the ApplicationSets' sync, but not their objects: no add-on
    // Application carries the cascading-delete finalizer, so a removed (or mistakenly deleted) one
    // leaves the platform running.
    if ((await appsNow()).some((a) => addonApps.includes(a.metadata.name))) row.problems.push(`its add-on Applications were not pruned: ${addonApps.join(", ")}`);
    const rolloutsController = await gclient.request("GET", "/apis/apps/v1/namespaces/argo-rollouts/deployments/argo-rollouts");
    if (rolloutsController.status !== 200) row.problems.push(`the argo-rollouts Deployment is gone from ${gone.name} (HTTP ${rolloutsController.status}): an add-on Application's removal deleted its objects`);
    row.observed = `ApplicationSet ${gns}, its ${names.length} Applications, its ${addonApps.length} add-on Applications (their objects stay: argo-rollouts still runs) and its AppProjects gone; no Rollout, AnalysisRun, Service, Deployment, NetworkPolicy, BitActorCluster or Velero object left on ${gone.name} (its BitActorCluster CRD stays, empty: Argo CD never deletes a CRD with an Application)`;
  });
}
