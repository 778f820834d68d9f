import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Kit } from "./kit.ts";
import { list } from "./argo-state.ts";
import { seconds, until, type StepRow } from "./steps.ts";

/**
 * An add-on upgraded by commit, as a user moves one: the release in tools/versions.json edited,
 * rendered and committed; Argo CD syncs every stage's Application of that add-on to the new tag
 * of its source, and the stage's cluster runs the new release (its Deployments' images name it).
 * Before it, one commit names a release the source does not have: every Application of the add-on
 * shows Argo CD's ComparisonError and nothing on the clusters changes (docs/gitops.md, troubleshooting).
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
  const setVersion = (was: string, now: string) => () => {
    const v = JSON.parse(readFileSync(file, "utf8")) as { addons: Record<string, { version: string }> };
    if (v.addons[id]!.version !== was) throw new Error(`the test tree runs ${id} ${v.addons[id]!.version}, not ${was}`);
    v.addons[id]!.version = now;
    writeFileSync(file, `${JSON.stringify(v, null, 2)}\n`);
  };
  // First a release its source does not have, exact in form (the render takes it), as a mistyped
  // version or a chart registry `npm run check` cannot reach would leave it: what Argo CD shows.
  const missing = unpublishedRelease(to, Object.keys(mirror.releases));
  const before = await runningImages(kit, names);
  if (!before?.length) throw new Error(`no Application of ${id} owns a Deployment yet`);
  const bad = await commitEdit(`${id} at ${missing}, a release its source does not have`, setVersion(from, missing));
  const shown = await until(`every ${id} Application saying it cannot read ${missing}`, async () => {
    const apps = await appsNow();
    const messages = names.map(({ name }) => apps.find((x) => x.metadata.name === name)?.status?.conditions?.find((k) => k.type === "ComparisonError" && k.message.includes(missing))?.message);
    return messages.every((m) => m !== undefined) ? messages[0] : undefined;
  }, 180, appReport);
  const shownAfter = seconds(bad.at);
  const still = await runningImages(kit, names, before);
  if (!still?.every((x) => x.images.some((i) => i.endsWith(`:${from}`)))) row.problems.push(`after the commit naming ${missing}, a Deployment of ${id} no longer runs ${from}: ${JSON.stringify(still)}`);
  const c = await commitEdit(`upgrade ${id} ${from} → ${to}`, setVersion(missing, to));
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
    if (!names.every(({ name }) => {
      const a = apps.find((x) => x.metadata.name === name);
      return a?.status?.health?.status === "Healthy" && a.status.operationState?.phase === "Succeeded";
    })) return undefined;
    const running = await runningImages(kit, names);
    if (!running?.length || !running.every((x) => x.images.some((i) => i.endsWith(`:${to}`)) && !x.images.some((i) => i.endsWith(`:${from}`)))) return undefined;
    images.push(...running.map((x) => `${x.deployment}: ${x.images.join(", ")}`));
    return true;
  }, 300, appReport);
  row.toDecision = seconds(c.at);
  row.observed = `${missing} (no such tag) first: every ${id} Application ComparisonError within ${shownAfter} s ("${shown.replace(/\s+/g, " ").slice(0, 240)}"), its cluster unchanged; then ${to}: ${names.length} Applications Synced at ${to}'s tag and Healthy; ${images.join("; ")}`;
}

/** The images of every Deployment the add-on's Applications own, per stage; undefined while an Application lists none yet. */
async function runningImages(kit: Kit, names: readonly { stage: Kit["platform"]["stages"][number]; name: string }[], known?: readonly { deployment: string }[]): Promise<{ deployment: string; images: string[] }[] | undefined> {
  const apps = await kit.appsNow();
  const out: { deployment: string; images: string[] }[] = [];
  for (const { stage, name } of names) {
    const a = apps.find((x) => x.metadata.name === name);
    // Those found before, where given: an Application that cannot read its source may list none.
    const owned = known
      ? known.filter((k) => k.deployment.startsWith(`${stage.name} `)).map((k) => ({ namespace: k.deployment.split(" ")[1]!.split("/")[0]!, name: k.deployment.split("/")[1]! }))
      : (a?.status?.resources ?? []).filter((x) => x.kind === "Deployment");
    if (owned.length === 0) return undefined;
    for (const r of owned) {
      const deployments = await list<{ metadata: { name: string }; spec: { template: { spec: { containers: { image: string }[] } } } }>(stage.cluster.cp.client, `/apis/apps/v1/namespaces/${r.namespace}/deployments`);
      const d = deployments.find((x) => x.metadata.name === r.name);
      out.push({ deployment: `${stage.name} ${r.namespace}/${r.name}`, images: d?.spec.template.spec.containers.map((x) => x.image) ?? [] });
    }
  }
  return out;
}

/** A release of the same shape as `version` that `published` does not hold (patch 99 and up). */
export function unpublishedRelease(version: string, published: readonly string[]): string {
  const m = /^(v?\d+\.\d+\.)(\d+)$/.exec(version);
  if (!m) throw new Error(`${version} is not a plain release (vX.Y.Z)`);
  let patch = 99;
  while (published.includes(`${m[1]}${patch}`)) patch++;
  return `${m[1]}${patch}`;
}
