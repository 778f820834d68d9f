/**
 * A whole region for npm run e2e:operator: every component its BitActorCluster pins, its stage
 * Prometheus and its platform objects (the BitActorCluster CRD and resource, the operator's access),
 * all read from the committed tree, on one loopback cluster whose nodes are the region's catalog
 * machines. The release e2e (run-scenario.ts) runs one component; the operator judges them all.
 */
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import type { KubeObject, Located } from "../../lib/objects.ts";
import { parseFiles } from "../../lib/objects.ts";
import { paths, stageId } from "../../generators/naming.ts";
import { statusMessage } from "../cluster/client.ts";
import { describe } from "../cluster/dry-run.ts";
import { waitFor } from "../cluster/process.ts";
import { operatorAccess } from "../operator/run.ts";
import { startE2eCluster, type E2eCluster, type E2ePrograms } from "./cluster.ts";
import type { FixtureBehaviour } from "./fixture.ts";
import { fakeNodes, fixtureOf, loadRelease, pointAtPrometheus, releaseImage, rolloutSpec, type Release } from "./release.ts";
import { defaultBehaviour } from "./scenarios.ts";

export interface Region {
  readonly environment: string;
  readonly regionName: string;
  /** The stage id: namespace, BitActorCluster name. */
  readonly stage: string;
  /** One per component the BitActorCluster pins, by name. */
  readonly releases: readonly Release[];
  /** The rendered BitActorCluster CRD. */
  readonly crd: Located;
  /** The rendered BitActorCluster, as committed. */
  readonly cluster: Located;
  /** The operator's rendered access (harness/operator/run.ts operatorAccess). */
  readonly access: readonly Located[];
}

/** What the e2e reads of a BitActorCluster's spec. */
export interface ClusterSpec {
  readonly components: Record<string, { readonly digest: string; readonly replicas: number }>;
  readonly targets: Record<string, { readonly firstReleaseRun: string; readonly windowSeconds: number; readonly budgetNs: number }>;
  readonly orderFlow: { readonly policyName: string; readonly closeGraceSeconds: number; readonly egress: readonly { cidrs: string[]; ports: number[] }[] };
}
export const clusterSpec = (o: KubeObject) => o.spec as unknown as ClusterSpec;

export async function loadRegion(root: string, environment: string, regionName: string): Promise<Region> {
  const dir = paths.platform(environment, regionName);
  const files = new Map<string, string>();
  let names: string[];
  try {
    names = (await readdir(join(root, dir))).sort();
  } catch {
    throw new Error(`no rendered ${dir}: is ${environment}/${regionName} a region of environments/? Run npm run render`);
  }
  for (const f of names) files.set(`${dir}/${f}`, await readFile(join(root, dir, f), "utf8"));
  const platform = parseFiles(files);
  const stage = stageId(environment, regionName);
  const crd = platform.find((o) => o.object.kind === "CustomResourceDefinition" && o.object.metadata.name === "bitactorclusters.bitactor.io");
  const cluster = platform.find((o) => o.object.kind === "BitActorCluster" && o.object.metadata.name === stage);
  if (!crd || !cluster) throw new Error(`${dir} holds no BitActorCluster CRD and resource ${stage}: run npm run render`);
  const components = Object.keys(clusterSpec(cluster.object).components).sort();
  const releases = await Promise.all(components.map((c) => loadRelease(root, environment, regionName, c)));
  return { environment, regionName, stage, releases, crd, cluster, access: operatorAccess(platform, stage) };
}

/**
 * A cluster for the region: the catalog nodes of every pool its components use, the real Argo
 * Rollouts controller and prometheus-operator, and the fixture imitating every component with its
 * default (healthy) behaviour, changed per component by `behaviour`.
 */
export function regionCluster(programs: E2ePrograms, name: string, region: Region, behaviour: Readonly<Record<string, Partial<FixtureBehaviour>>> = {}): Promise<E2eCluster> {
  const unknown = Object.keys(behaviour).filter((c) => !region.releases.some((r) => r.componentName === c));
  if (unknown.length) throw new Error(`${name}: no component ${unknown.join(", ")} in ${region.stage} (it has ${region.releases.map((r) => r.componentName).join(", ")})`);
  return startE2eCluster(programs, {
    name,
    nodes: fakeNodes(region.releases),
    prometheus: region.releases[0]!.prometheus,
    // No release runs here: every pod runs the pinned version, and shows `stable`.
    fixtures: region.releases.map((r) => fixtureOf(r, { ...defaultBehaviour(r.component), releaseImage: releaseImage(rolloutSpec(r.rollout).template.spec.containers[0]!.image, "none"), ...behaviour[r.componentName] })),
  });
}

/**
 * The stage's monitoring Application as Argo CD syncs it first (naming.ts WAVE: monitoring before
 * the engine): the stage's namespace and its Prometheus with its account and Role.
 */
export async function deployMonitoring(cluster: E2eCluster, region: Region): Promise<void> {
  const client = cluster.cp.client;
  const prometheus = region.releases[0]!.prometheus;
  for (const ns of [...new Set([region.stage, prometheus.namespace])]) {
    const r = await client.request("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    if (r.status !== 201) throw new Error(`namespace ${ns}: ${statusMessage(r)}`);
  }
  await waitFor(`${region.stage}: default ServiceAccount`, async () => (await client.request("GET", `/api/v1/namespaces/${region.stage}/serviceaccounts/default`)).status === 200, () => true, () => "kube-controller-manager did not create it");
  await create(cluster, prometheus.objects);
}

/**
 * The engine's wave: every component's folder as committed (its Rollout, Services, PodMonitor,
 * rules and first-release AnalysisRun), each Prometheus provider pointed at the cluster's
 * Prometheus. Returns once prometheus-operator has configured Prometheus from them.
 */
export async function deployComponents(cluster: E2eCluster, region: Region): Promise<void> {
  const objects = region.releases.flatMap((r) => pointAtPrometheus(r.objects, cluster.prometheusUrl).objects);
  await create(cluster, objects);
  const monitors = objects.filter((o) => o.object.kind === "PodMonitor").map((o) => `${o.object.metadata.namespace ?? region.stage}/${o.object.metadata.name}`);
  await cluster.prometheusConfigured(monitors, objects.filter((o) => o.object.kind === "PrometheusRule").length);
}

async function create(cluster: E2eCluster, objects: readonly Located[]): Promise<void> {
  const client = cluster.cp.client;
  for (const { file, object } of objects) {
    const r = await client.request("POST", `${await client.collectionPath(object)}?fieldValidation=Strict`, object);
    if (r.status !== 201) throw new Error(`${file}: ${describe(object)} was refused: ${statusMessage(r)}`);
  }
}

/** Makes one component's running pods behave otherwise from now on, through the fixture (`PUT /behaviour`). */
export async function retune(cluster: E2eCluster, release: Release, change: Partial<Omit<FixtureBehaviour, "releaseImage" | "le">>): Promise<void> {
  const url = `${cluster.fixtureUrl}/behaviour?namespace=${encodeURIComponent(release.namespace)}&metric=${encodeURIComponent(release.component.metric.name)}`;
  const r = await fetch(url, { method: "PUT", body: JSON.stringify(change) });
  if (!r.ok) throw new Error(`the fixture refused ${JSON.stringify(change)} for ${release.componentName}: ${await r.text()}`);
}
