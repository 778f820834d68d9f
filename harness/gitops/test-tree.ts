import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parse, parseDocument } from "yaml";
import { postPromotionSeconds } from "../../generators/gate-math.ts";
import type { Catalog } from "../../generators/inputs/types.ts";
import { renderCommand } from "../../lib/render.ts";
import { ADDON_LABEL } from "../../generators/constructs/addon-applications.ts";
import { CREDENTIAL_MENTION, SEALED_SECRET_KIND } from "../../generators/constructs/environment-projects.ts";

/** The add-ons' sources as the test serves them (harness/gitops/mirrors.ts makes them): id → mirror URL, and the ids it cannot serve. */
export interface AddonMirrors {
  readonly served: readonly { readonly id: string; readonly url: string }[];
  readonly unserved: readonly { readonly id: string }[];
  /** Add-ons the test tree starts a release behind (id → that earlier release), for the upgrade step. @default none */
  readonly startAt?: Readonly<Record<string, string>>;
}

/**
 * The repository Argo CD reads in npm run e2e:gitops: a local git repository holding this
 * repository's inputs and rendered tree, changed in exactly these ways, each by editing the inputs
 * and rendering (never by editing rendered files):
 *   1. `repository.url` of every environment is the local repository (served by the harness:
 *      git-server.ts), and `repository.credential` the credential that server demands, sealed for
 *      the e2e's management cluster (sealing.ts);
 *   2. the regions on the test's clusters query the test's Prometheus (`prometheus`: address, and no
 *      cloud authentication, which belongs to the managed address);
 *   3. every other region file is removed: its cluster does not exist here, and an Application
 *      whose destination cluster is unknown can never sync;
 *   4. the release plan has one wave per test stage, in the order given, each soaking as briefly
 *      as the render allows (the longest post-promotion analysis): environments/waves.yaml and each
 *      region file's `wave` (which the BitActorCluster, whose spec is the region file, carries).
 * `testTreeDifferences` states what those edits may change in the rendered tree; a test proves
 * that a test tree differs from the committed tree in nothing else.
 */

/** How Argo CD reaches the test repository: its URL, and the read credential it demands, sealed (environment.yaml `repository`). */
export interface RepositoryAccess {
  readonly url: string;
  /** Each value sealed for the management cluster's controller (strict scope, `<env>-repository` in argocd). @default none */
  readonly credential?: (environment: string) => { readonly username: string; readonly password: string };
}

export interface TestStage {
  readonly environment: string;
  readonly region: string;
  /** The Prometheus this stage's analyses query. */
  readonly prometheusUrl: string;
}

export const git = (dir: string, ...args: string[]): string =>
  execFileSync("git", ["-c", "user.name=e2e", "-c", "user.email=e2e@bitactor.invalid", "-c", "commit.gpgsign=false", ...args], { cwd: dir, encoding: "utf8" }).trim();

/** Whether a git command succeeds (e.g. `merge-base --is-ancestor`). */
export const gitOk = (dir: string, ...args: string[]): boolean => spawnSync("git", args, { cwd: dir, stdio: "ignore" }).status === 0;

/** Edits one YAML input in place, comments and layout kept. */
export function editYaml(file: string, edit: (doc: ReturnType<typeof parseDocument>) => void): void {
  const doc = parseDocument(readFileSync(file, "utf8"));
  edit(doc);
  writeFileSync(file, doc.toString({ lineWidth: 0 }));
}

/** The test's release plan: one wave per stage, in order, each soaking the shortest time the render allows. */
export function testPlan(root: string, stages: readonly TestStage[]): { text: string; waveOf: (s: TestStage) => string } {
  const catalog = parse(readFileSync(join(root, "engine", "catalog.yaml"), "utf8")) as Catalog;
  const soak = Math.max(...Object.values(catalog.components).map(postPromotionSeconds));
  const name = (i: number) => (i === 0 ? stages[0]!.environment : `wave-${i}`);
  const waves = stages.map((_, i) => `  - name: ${name(i)}\n${i < stages.length - 1 ? `    soak: ${soak}s\n` : ""}`);
  return { text: `# The e2e's release plan: one wave per test stage (harness/gitops/test-tree.ts).\nwaves:\n${waves.join("")}`, waveOf: (s) => name(stages.indexOf(s)) };
}

/** Points the test stages at the test's Prometheus and removes every other region, in `root`'s inputs. */
export function editInputs(root: string, access: RepositoryAccess, stages: readonly TestStage[], addons: AddonMirrors): void {
  const plan = testPlan(root, stages);
  const versionsFile = join(root, "tools", "versions.json");
  const versions = JSON.parse(readFileSync(versionsFile, "utf8")) as { addons: Record<string, { source: { repoURL: string } }> };
  for (const m of addons.served) versions.addons[m.id]!.source.repoURL = m.url;
  for (const [id, version] of Object.entries(addons.startAt ?? {})) (versions.addons[id] as unknown as { version: string }).version = version;
  writeFileSync(versionsFile, `${JSON.stringify(versions, null, 2)}\n`);
  editYaml(join(root, "engine", "addons.yaml"), (d) => {
    for (const u of addons.unserved) d.setIn(["addons", u.id, "enabled"], false);
  });
  writeFileSync(join(root, "environments", "waves.yaml"), plan.text);
  for (const env of readdirSync(join(root, "environments"), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort()) {
    editYaml(join(root, "environments", env, "environment.yaml"), (d) => {
      d.setIn(["repository", "url"], access.url);
      if (access.credential) d.setIn(["repository", "credential"], { ...access.credential(env) });
    });
    for (const f of readdirSync(join(root, "environments", env, "regions"))) {
      const stage = stages.find((s) => s.environment === env && `${s.region}.yaml` === f);
      const file = join(root, "environments", env, "regions", f);
      if (!stage) rmSync(file);
      else editYaml(file, (d) => {
        d.set("wave", plan.waveOf(stage));
        d.setIn(["prometheus", "address"], stage.prometheusUrl);
        d.deleteIn(["prometheus", "authentication"]);
      });
    }
  }
}

/**
 * Makes `dir` the test repository: a clone of `from`'s working tree (its tracked and not-ignored
 * files, so a local run tests local edits too; node_modules linked, as after `npm ci`), with the
 * inputs edited, rendered and committed on `main`.
 */
export async function createTestRepository(from: string, dir: string, access: RepositoryAccess, stages: readonly TestStage[], addons: AddonMirrors): Promise<{ url: string; commit: string }> {
  const url = access.url;
  const files = git(from, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0").filter((f) => f && existsSync(join(from, f)));
  for (const f of files) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    copyFileSync(join(from, f), join(dir, f));
  }
  symlinkSync(join(from, "node_modules"), join(dir, "node_modules"));
  editInputs(dir, access, stages, addons);
  await renderCommand(dir);
  git(dir, "init", "-q", "-b", "main");
  writeFileSync(join(dir, ".git", "info", "exclude"), "node_modules\n");
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", "the committed tree, rendered for the local Argo CD");
  return { url, commit: git(dir, "rev-parse", "HEAD") };
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every JSON path where `a` and `b` differ ("" for the whole value), in document order. */
export function jsonDifferences(a: Json | undefined, b: Json | undefined, at = ""): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) return a.flatMap((x, i) => jsonDifferences(x, b[i], `${at}/${i}`));
  if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    return [...new Set([...Object.keys(a), ...Object.keys(b)])].flatMap((k) => jsonDifferences(a[k], b[k], `${at}/${k}`));
  }
  return [at];
}

/**
 * The fields the three edits of a test tree may change in a rendered object, as path patterns over
 * the object: the repository URL wherever an Application, ApplicationSet or AppProject names it;
 * each analysis metric's Prometheus address and authentication; the region file's `prometheus`
 * inside the BitActorCluster (its spec is the region file), and its `wave`; the stage Prometheus'
 * remote write to Amazon Managed Prometheus and the HA labels that go with it, which follow from the
 * region's `prometheus` (the test's is the cluster's own Prometheus, without SigV4). An AppProject's destinations are
 * compared apart: the test's must be the committed ones minus those of the removed regions' clusters
 * (the stage projects lose none: a removed region's projects go with it).
 */
export const ALLOWED_DIFFERENCES: readonly RegExp[] = [
  /^\/spec\/source\/repoURL$/,
  /^\/spec\/template\/spec\/source\/repoURL$/,
  /^\/spec\/sourceRepos\/0$/,
  /^\/spec\/metrics\/\d+\/provider\/prometheus\/(address|authentication)$/,
  /^\/spec\/prometheus\/(address|authentication)$/,
  /^\/spec\/wave$/,
  /^\/spec\/(remoteWrite|externalLabels|replicaExternalLabelName)$/,
];

/**
 * How a test tree differs from the committed one beyond what its edits explain: files only in the
 * test tree, committed files missing that do not belong to a removed region, and object fields
 * outside ALLOWED_DIFFERENCES. Empty: nothing else differs. Both trees are path → parsed object.
 */
export function unexplainedDifferences(
  committed: ReadonlyMap<string, Json>,
  test: ReadonlyMap<string, Json>,
  removedRegions: readonly { environment: string; region: string; cluster: string }[],
  addons: AddonMirrors,
  /** The test tree seals a repository credential the committed tree lacks (edit 1). @default false */
  credential = false,
): string[] {
  const out: string[] = [];
  // Edit 1's credential: the SealedSecret beside each root, and the root's project admitting exactly that kind.
  const credentialFile = (p: string) => credential && /^apps\/[^/]+\/sealedsecret-[^/]+-repository\.yaml$/.test(p);
  const addonOf = (o: Json | undefined) => (o as { metadata?: { labels?: Record<string, string> } } | undefined)?.metadata?.labels?.[ADDON_LABEL];
  const removed = (p: string) =>
    removedRegions.some((r) => {
      const stage = `${r.environment}-${r.region}`;
      const sets = `applicationsets/${r.environment}/`;
      return p.startsWith(`rollouts/${r.environment}/${r.region}/`) ||
        [`applicationset-${stage}`, `application-${stage}-monitoring`, `appproject-${stage}`, `appproject-${stage}-nodes`, `appproject-${stage}-platform`, `appproject-${stage}-addons`].some((f) => p === `${sets}${f}.yaml`) ||
        (p.startsWith(`${sets}application-${stage}-`) && addonOf(committed.get(p)) !== undefined);
    }) ||
    // An add-on the test cannot serve is delivered nowhere: its Applications go.
    addons.unserved.some((u) => addonOf(committed.get(p)) === u.id);
  const mirrorUrls = new Set(addons.served.map((m) => m.url));
  for (const p of test.keys()) if (!committed.has(p) && !credentialFile(p)) out.push(`${p}: only in the test tree`);
  for (const [p, object] of committed) {
    if (!test.has(p)) {
      if (!removed(p)) out.push(`${p}: missing from the test tree`);
      continue;
    }
    let [a, b]: [Json, Json] = [object, test.get(p)!];
    if (credential && /^apps\/[^/]+\/appproject-[^/]+-bootstrap\.yaml$/.test(p)) b = withoutCredentialKind(b);
    const destinations = (o: Json) => ((o as { spec?: { destinations?: { name?: string }[] } }).spec?.destinations ?? null);
    if ((a as { kind?: string }).kind === "AppProject") {
      const gone = new Set(removedRegions.map((r) => r.cluster));
      const expected = destinations(a)?.filter((d) => !gone.has(d.name ?? "")) ?? null;
      // An add-on project loses the namespaces and cluster-scoped kinds only unserved add-ons needed:
      // what it keeps must be committed entries, in order, and nothing may be added.
      const addonProject = addons.unserved.length > 0 && /-addons\.yaml$/.test(p);
      const kinds = (o: Json) => (o as { spec?: { clusterResourceWhitelist?: unknown[] } }).spec?.clusterResourceWhitelist ?? [];
      if (addonProject) {
        if (!isSubsequence(destinations(b) ?? [], expected ?? [])) out.push(`${p}: /spec/destinations are not among the committed ones minus the removed regions' clusters`);
        if (!isSubsequence(kinds(b), kinds(a))) out.push(`${p}: /spec/clusterResourceWhitelist holds kinds the committed project does not`);
        [a, b] = [withoutWhitelist(a), withoutWhitelist(b)];
      } else if (JSON.stringify(expected) !== JSON.stringify(destinations(b))) out.push(`${p}: /spec/destinations are not the committed ones minus the removed regions' clusters`);
      [a, b] = [withoutDestinations(a), withoutDestinations(b)];
      // An add-on project's sources: the committed upstreams, each served one now its mirror, an unserved one gone.
      const repos = (o: Json) => (o as { spec?: { sourceRepos?: string[] } }).spec?.sourceRepos ?? [];
      if (repos(a).length > 1 || repos(b).some((u) => mirrorUrls.has(u))) {
        const bad = repos(b).filter((u) => !mirrorUrls.has(u) && !repos(a).includes(u));
        if (bad.length || repos(b).length > repos(a).length) out.push(`${p}: /spec/sourceRepos hold ${bad.join(", ") || "more than the committed ones"}, not only the committed upstreams or their mirrors`);
        [a, b] = [withoutSourceRepos(a), withoutSourceRepos(b)];
      }
    }
    // The add-on the test tree starts a release behind: its Applications name that release.
    const behind = addons.startAt?.[addonOf(a) ?? ""];
    for (const field of jsonDifferences(a, b)) {
      if (behind !== undefined && field === "/spec/source/targetRevision" && (b as { spec: { source: { targetRevision: string } } }).spec.source.targetRevision === behind) continue;
      if (!ALLOWED_DIFFERENCES.some((re) => re.test(field))) out.push(`${p}: ${field || "(whole object)"} differs`);
    }
  }
  return out;
}

/** A root's project as it would be without a repository credential: the SealedSecret kind (last) and the description's mention of it go. */
function withoutCredentialKind(o: Json): Json {
  const copy = structuredClone(o) as { spec?: { description?: string; namespaceResourceWhitelist?: { group: string; kind: string }[] } };
  const list = copy.spec?.namespaceResourceWhitelist;
  const last = list?.[list.length - 1];
  if (list && last?.group === SEALED_SECRET_KIND.group && last.kind === SEALED_SECRET_KIND.kind) list.pop();
  if (copy.spec?.description) copy.spec.description = copy.spec.description.replace(CREDENTIAL_MENTION, "");
  return copy as Json;
}

function withoutSourceRepos(o: Json): Json {
  const copy = structuredClone(o) as { spec?: { sourceRepos?: unknown } };
  delete copy.spec?.sourceRepos;
  return copy as Json;
}

/** Whether every item of `part` is in `whole`, in the same order (compared as JSON). */
function isSubsequence(part: readonly unknown[], whole: readonly unknown[]): boolean {
  let i = 0;
  for (const x of whole) if (i < part.length && JSON.stringify(part[i]) === JSON.stringify(x)) i++;
  return i === part.length;
}

function withoutWhitelist(o: Json): Json {
  const copy = structuredClone(o) as { spec?: { clusterResourceWhitelist?: unknown } };
  delete copy.spec?.clusterResourceWhitelist;
  return copy as Json;
}

function withoutDestinations(o: Json): Json {
  const copy = structuredClone(o) as { spec?: { destinations?: unknown } };
  delete copy.spec?.destinations;
  return copy as Json;
}
