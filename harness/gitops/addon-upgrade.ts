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
  const { ctx, repo, appsNow, appReport, commitEdit } = kit;
  const { id, from, to } = ctx.upgrade;
  const mirror = ctx.mirrors.find((m) => m.id === id);
  if (!mirror?.releases[to]) throw new Error(`the mirror of ${id} has no ${to}`);
  const names = addonApps(kit, id);
  const c = await commitEdit(`upgrade ${id} ${from} → ${to}`, setVersion(repo, id, from, to));
  await until(`every ${id} Application Synced at ${to}`, async () => {
    const apps = await appsNow();
    return names.every(({ name }) => {
      const a = apps.find((x) => x.metadata.name === name);
      return a?.spec.source.targetRevision === to && a.status?.sync?.status === "Synced" && a.status.sync.revision === mirror.releases[to];
    }) || undefined;
  }, 300, appReport);
  row.toSynced = seconds(c.at);
  // Healthy again, and what runs is the new release: every Deployment the Application owns names its tag.
  let images: string[] = [];
  await until(`every ${id} Application Healthy, its Deployments on ${to}`, async () => {
    const apps = await appsNow();
    if (!names.every(({ name }) => {
      const a = apps.find((x) => x.metadata.name === name);
      return a?.status?.health?.status === "Healthy" && a.status.operationState?.phase === "Succeeded";
    })) return undefined;
    const running = await deploymentImages(await ownedDeployments(kit, names));
    if (!running.length || !running.every((r) => r.images.some((i) => i.endsWith(`:${to}`)) && !r.images.some((i) => i.endsWith(`:${from}`)))) return undefined;
    images = running.map((r) => r.text);
    return true;
  }, 300, appReport);
  row.toDecision = seconds(c.at);
  row.observed = `${names.length} Applications Synced at ${to}'s tag and Healthy; ${images.join("; ")}`;
}

/**
 * An add-on release its source does not have, committed as a mistyped version would be (exact in
 * form, so the render takes it; `npm run check` is what refuses it before git, with the Go module
 * proxy or chart registry reachable): every stage's Application of the add-on shows Argo CD's
 * ComparisonError naming it and stays Unknown (controller/state.go; auto-sync acts only on
 * OutOfSync, controller/appcontroller.go autoSync), and nothing on the clusters changes
 * (docs/gitops.md, troubleshooting). Putting the version back makes each Application Synced and
 * Healthy again, its Deployments as they were.
 */
export async function unreadableRelease(kit: Kit, row: StepRow, id: string): Promise<void> {
  const { ctx, repo, appsNow, appReport, commitEdit } = kit;
  const mirror = ctx.mirrors.find((m) => m.id === id);
  if (!mirror) throw new Error(`${id} is not served offline here`);
  const names = addonApps(kit, id);
  const current = readVersions(repo).addons[id]!.version;
  if (!mirror.releases[current]) throw new Error(`the mirror of ${id} has no ${current}`);
  const missing = unpublishedRelease(current, Object.keys(mirror.releases));
  const owned = await ownedDeployments(kit, names);
  if (!owned.length) throw new Error(`no Application of ${id} owns a Deployment`);
  const imagesNow = async () => (await deploymentImages(owned)).map((r) => r.text).sort();
  const before = await imagesNow();
  const bad = await commitEdit(`${id} at ${missing}, a release its source does not have`, setVersion(repo, id, current, missing));
  const shown = await until(`every ${id} Application saying it cannot read ${missing}`, async () => {
    const apps = await appsNow();
    const messages = names.map(({ name }) => {
      const a = apps.find((x) => x.metadata.name === name);
      return a?.status?.sync?.status === "Unknown" ? a.status.conditions?.find((k) => k.type === "ComparisonError" && k.message.includes(missing))?.message : undefined;
    });
    return messages.every((m) => m !== undefined) ? messages[0] : undefined;
  }, 180, appReport);
  row.toSynced = seconds(bad.at);
  const during = await imagesNow();
  if (JSON.stringify(during) !== JSON.stringify(before)) row.problems.push(`while ${id} named ${missing}, its Deployments changed: ${JSON.stringify(before)} → ${JSON.stringify(during)}`);
  const fix = await commitEdit(`${id} back at ${current}`, setVersion(repo, id, missing, current));
  await until(`every ${id} Application Synced at ${current} again, no ComparisonError`, async () => {
    const apps = await appsNow();
    return names.every(({ name }) => {
      const a = apps.find((x) => x.metadata.name === name);
      return a?.spec.source.targetRevision === current && a.status?.sync?.status === "Synced" && a.status.sync.revision === mirror.releases[current] && a.status.health?.status === "Healthy" && !a.status.conditions?.some((k) => k.type === "ComparisonError");
    }) || undefined;
  }, 300, appReport);
  row.toDecision = seconds(fix.at);
  const after = await imagesNow();
  if (JSON.stringify(after) !== JSON.stringify(before)) row.problems.push(`after ${id} went back to ${current}, its Deployments differ from before: ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
  row.observed = `${missing} (no such tag): every ${id} Application (${names.length}) Unknown with ComparisonError ${row.toSynced} s after the commit ("${shown.replace(/\s+/g, " ").slice(0, 200)}"), its Deployments unchanged (${before.join("; ")}); ${current} put back: Synced and Healthy again ${row.toDecision} s after that commit`;
}

type Stage = Kit["platform"]["stages"][number];

/** Every stage's Application of the add-on, with its stage. */
function addonApps(kit: Kit, id: string): { stage: Stage; name: string }[] {
  const names = kit.platform.stages.flatMap((s) => kit.stageAddonApps(s).filter((n) => n === `${s.environment}-${s.region}-${id}`).map((n) => ({ stage: s, name: n })));
  if (names.length === 0) throw new Error(`no stage runs ${id}`);
  return names;
}

const readVersions = (repo: string) => JSON.parse(readFileSync(join(repo, "tools", "versions.json"), "utf8")) as { addons: Record<string, { version: string }> };

/** The edit of the test tree's tools/versions.json moving the add-on from `was` (refused if it runs another) to `now`. */
const setVersion = (repo: string, id: string, was: string, now: string) => () => {
  const v = readVersions(repo);
  if (v.addons[id]!.version !== was) throw new Error(`the test tree runs ${id} ${v.addons[id]!.version}, not ${was}`);
  v.addons[id]!.version = now;
  writeFileSync(join(repo, "tools", "versions.json"), `${JSON.stringify(v, null, 2)}\n`);
};

/** The Deployments the add-on's Applications own now, per stage. */
async function ownedDeployments(kit: Kit, names: readonly { stage: Stage; name: string }[]): Promise<{ stage: Stage; namespace: string; name: string }[]> {
  const apps = await kit.appsNow();
  return names.flatMap(({ stage, name }) => (apps.find((x) => x.metadata.name === name)?.status?.resources ?? []).filter((r) => r.kind === "Deployment").map((r) => ({ stage, namespace: r.namespace!, name: r.name })));
}

/**
 * The images of each of those Deployments, read from its cluster (an Application that cannot read
 * its source may list none of them); `text` is `<stage> <namespace>/<name>: <images>`.
 */
async function deploymentImages(owned: readonly { stage: Stage; namespace: string; name: string }[]): Promise<{ images: string[]; text: string }[]> {
  const out: { images: string[]; text: string }[] = [];
  for (const r of owned) {
    const deployments = await list<{ metadata: { name: string }; spec: { template: { spec: { containers: { image: string }[] } } } }>(r.stage.cluster.cp.client, `/apis/apps/v1/namespaces/${r.namespace}/deployments`);
    const images = deployments.find((x) => x.metadata.name === r.name)?.spec.template.spec.containers.map((x) => x.image) ?? [];
    out.push({ images, text: `${r.stage.name} ${r.namespace}/${r.name}: ${images.length ? images.join(", ") : "gone"}` });
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
