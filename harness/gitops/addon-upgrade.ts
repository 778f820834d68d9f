import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Kit } from "./kit.ts";
import { list } from "./argo-state.ts";
import { seconds, until, type StepRow } from "./steps.ts";

/**
 * An add-on upgraded by commit, as a user moves one: the release in tools/versions.json edited,
 * rendered and committed; Argo CD syncs every stage's Application of that add-on to the new tag
 * of its source, and the stage's cluster runs the new release (its Deployments' images name it).
 * The steps after it release through the gate on the upgraded platform.
 */
export async function addonUpgrade(kit: Kit, row: StepRow): Promise<void> {
  const { ctx, repo, platform, appsNow, appReport, commitEdit, stageAddonApps } = kit;
  const { id, from, to } = ctx.upgrade;
  const mirror = ctx.mirrors.find((m) => m.id === id);
  if (!mirror?.releases[to]) throw new Error(`the mirror of ${id} has no ${to}`);
  const names = platform.stages.flatMap((s) => stageAddonApps(s).filter((n) => n === `${s.environment}-${s.region}-${id}`).map((n) => ({ stage: s, name: n })));
  if (names.length === 0) throw new Error(`no stage runs ${id}`);
  const file = join(repo, "tools", "versions.json");
  const c = await commitEdit(`upgrade ${id} ${from} → ${to}`, () => {
    const v = JSON.parse(readFileSync(file, "utf8")) as { addons: Record<string, { version: string }> };
    if (v.addons[id]!.version !== from) throw new Error(`the test tree runs ${id} ${v.addons[id]!.version}, not ${from}`);
    v.addons[id]!.version = to;
    writeFileSync(file, `${JSON.stringify(v, null, 2)}\n`);
  });
  await until(`every ${id} Application Synced at ${to}`, async () => {
    const apps = await appsNow();
    return names.every(({ name }) => {
      const a = apps.find((x) => x.metadata.name === name);
      return a?.spec.source.targetRevision === to && a.status?.sync?.status === "Synced" && a.status.sync.revision === mirror.releases[to];
    }) || undefined;
  }, 300, appReport);
  row.toSynced = seconds(c.at);
  // Healthy again, and what runs is the new release: every Deployment the Application owns names its tag.
  const images: string[] = [];
  await until(`every ${id} Application Healthy, its Deployments on ${to}`, async () => {
    images.length = 0;
    const apps = await appsNow();
    for (const { stage, name } of names) {
      const a = apps.find((x) => x.metadata.name === name);
      if (a?.status?.health?.status !== "Healthy" || a.status.operationState?.phase !== "Succeeded") return undefined;
      for (const r of (a.status.resources ?? []).filter((x) => x.kind === "Deployment")) {
        const deployments = await list<{ metadata: { name: string }; spec: { template: { spec: { containers: { image: string }[] } } } }>(stage.cluster.cp.client, `/apis/apps/v1/namespaces/${r.namespace}/deployments`);
        const d = deployments.find((x) => x.metadata.name === r.name);
        const running = d?.spec.template.spec.containers.map((x) => x.image) ?? [];
        if (!running.some((i) => i.endsWith(`:${to}`)) || running.some((i) => i.endsWith(`:${from}`))) return undefined;
        images.push(`${stage.name} ${r.namespace}/${r.name}: ${running.join(", ")}`);
      }
    }
    return images.length > 0 || undefined;
  }, 300, appReport);
  row.toDecision = seconds(c.at);
  row.observed = `${names.length} Applications Synced at ${to}'s tag and Healthy; ${images.join("; ")}`;
}
