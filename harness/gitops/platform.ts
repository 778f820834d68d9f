import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startControlPlane, type ControlPlane } from "../cluster/control-plane.ts";
import { installCrds } from "../cluster/dry-run.ts";
import { Managed, freePorts, removeOnExit } from "../cluster/process.ts";
import { broughtByAddon, createFakeNodes, startE2eCluster, startNodeProcesses, waitNodesReady, type E2eCluster, type E2ePrograms, type FakeNode } from "../e2e/cluster.ts";
import { ARCH_KEY, OS_KEY, ZONE_KEY } from "../../generators/nodes/labels.ts";
import { fakeNodes, fixtureOf, loadRelease, type Release } from "../e2e/release.ts";
import type { FixtureBehaviour } from "../e2e/fixture.ts";
import { startArgoCd, type ArgoCd } from "./argocd.ts";

/**
 * What npm run e2e:gitops stands on, standing in for the cloud and for the prerequisites the
 * README lists (and nothing else):
 *   - a management cluster (etcd, kube-apiserver, a controller manager for garbage collection)
 *     where Argo CD runs (its install: argocd.ts);
 *   - one cluster per test stage: its control plane (scheduler, controller manager), its nodes
 *     (kwok, each a machine of the node catalog: fakeNodes in e2e/release.ts), the Argo Rollouts
 *     controller (the prerequisite that runs without a cloud), the CRDs of every controller we
 *     target that no add-on Application brings and Velero's namespace (what installing them
 *     creates), a Prometheus, and the latency fixture imitating every component of the stage;
 *   - one kubeconfig whose contexts are named after the clusters (`cluster.name` of each region
 *     file, and `management`), as the README asks a user to name theirs.
 */

export interface StageCluster {
  readonly environment: string;
  readonly region: string;
  /** `cluster.name` of the region file: the context name, and the name Argo CD knows it by. */
  readonly name: string;
  readonly cluster: E2eCluster;
  /** Each component's rendered objects (the fixture imitates every one). */
  readonly releases: readonly Release[];
}

export interface GitopsPlatform {
  readonly dir: string;
  readonly management: ControlPlane;
  readonly argocd: ArgoCd;
  readonly stages: readonly StageCluster[];
  /** A kubeconfig with one context per cluster. */
  readonly kubeconfig: string;
  stop(): Promise<void>;
}

/**
 * The management cluster's nodes. Not in the node catalog (which holds the stages' machines): three,
 * because Argo CD's HA install spreads Redis HA and its HAProxy over three hosts with required
 * pod anti-affinity (manifests/ha, operator-manual/high_availability.md: "at least three different
 * nodes"); each the shape of an m7i.2xlarge (8 vCPUs, 32 GiB; aws.amazon.com/ec2/instance-types/m7i),
 * which holds the whole HA install, whose containers request nothing.
 */
const MANAGEMENT_NODES: readonly FakeNode[] = ["a", "b", "c"].map((z) => {
  const size = { cpu: "8", memory: "32Gi", pods: "110", "ephemeral-storage": "20Gi" };
  return { name: `management-${z}`, labels: { [OS_KEY]: "linux", [ARCH_KEY]: "amd64", [ZONE_KEY]: `management-${z}` }, taints: [], capacity: size, allocatable: size };
});

export interface StageSpec {
  readonly environment: string;
  readonly region: string;
  readonly components: readonly string[];
  /** How each component's pods behave (latency per image, traffic). */
  readonly behaviour: (release: Release) => FixtureBehaviour;
  /** Namespaces the prerequisites' installs create (Velero's). */
  readonly prerequisiteNamespaces: readonly string[];
}

/**
 * Starts the platform. `root` is a repository whose rendered tree describes the stages (the
 * committed one: the nodes and the fixture are derived from what is rendered).
 */
export async function startGitopsPlatform(root: string, programs: E2ePrograms, stages: readonly StageSpec[], servedAddons: readonly string[], log: (line: string) => void): Promise<GitopsPlatform> {
  const dir = mkdtempSync(join(tmpdir(), "bitactor-gitops-"));
  const cleanup = removeOnExit(dir);
  const started: { stop(): Promise<void> }[] = [];
  const stop = async () => {
    for (const s of [...started].reverse()) await s.stop();
    rmSync(dir, { recursive: true, force: true });
    cleanup.release();
  };
  try {
    log("management cluster: etcd, kube-apiserver");
    const management = await startControlPlane();
    started.push(management);
    // Argo CD runs here as processes (argocd.ts); its own Application (apps/<env>/application-argocd.yaml)
    // applies the upstream install to this cluster, whose Deployments and StatefulSets must roll out
    // for that Application to be Healthy: kwok's nodes run their pods (fakes, beside the real
    // processes). The controller manager also collects garbage: Argo CD deletes a pruned
    // ApplicationSet in the foreground, which completes only once the collector has deleted the
    // Applications it owns.
    const mgmtProcesses: Managed[] = [];
    started.push({ stop: async () => { for (const p of [...mgmtProcesses].reverse()) await p.stop(); } });
    const startMgmt = (name: string, bin: string, args: string[]) => {
      const m = new Managed(`management/${name}`, bin, args, join(management.dir, `${name}.log`));
      mgmtProcesses.push(m);
      return m;
    };
    startNodeProcesses(management, programs, ["deployment", "replicaset", "statefulset", "serviceaccount", "serviceaccount-token", "garbagecollector", "namespace", "nodelifecycle"], startMgmt, await freePorts(3));
    await createFakeNodes(management, MANAGEMENT_NODES);
    await waitNodesReady(management, "management", MANAGEMENT_NODES, () => mgmtProcesses.every((p) => p.running), () => mgmtProcesses.filter((p) => !p.running).map((p) => `--- ${p.name} ---\n${p.tail()}`).join("\n") || "(all running)");
    await installCrds(management.client, programs.crds.filter((c) => (c.object.spec as { group: string }).group === "argoproj.io" && /^(applications|appprojects|applicationsets)\./.test(c.object.metadata.name!)));
    const out: StageCluster[] = [];
    for (const s of stages) {
      const releases = await Promise.all(s.components.map((c) => loadRelease(root, s.environment, s.region, c)));
      const name = releases[0]!.region.cluster.name;
      log(`${name} (${s.environment}/${s.region}): etcd, kube-apiserver, scheduler, controller manager, kwok, Argo Rollouts, Prometheus and prometheus-operator (once Argo CD has synced its CRDs), latency fixture`);
      const cluster = await startE2eCluster(programs, {
        name,
        crds: programs.crds.filter((c) => !broughtByAddon(c, servedAddons)),
        // Room for a third stack: after a promotion the old stack keeps running for scaleDownDelaySeconds
        // while the next release may already start. Karpenter adds nodes for it on AWS, where this e2e's
        // releases run; kwok's are fixed, so the e2e creates them up front (every stage alike).
        nodes: fakeNodes(releases, 3),
        // Argo CD applies it (the stage's monitoring Application); the operator configures Prometheus from it.
        prometheus: { namespace: releases[0]!.prometheus.namespace, name: releases[0]!.prometheus.name },
        // Every component of the stage, so every gate, the first-release ones included, has data.
        fixtures: releases.map((r) => fixtureOf(r, s.behaviour(r))),
      });
      started.push(cluster);
      // What installing Velero creates and our objects rely on: its namespace (the stage's
      // BackupStorageLocation and Schedule go there). The CRDs came with startE2eCluster.
      for (const ns of s.prerequisiteNamespaces) {
        const r = await cluster.cp.client.request("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
        if (r.status !== 201) throw new Error(`${name}: creating namespace ${ns}: HTTP ${r.status}`);
      }
      out.push({ environment: s.environment, region: s.region, name, cluster, releases });
    }
    log("Argo CD: Redis, repo-server, application controller, applicationset controller");
    const argocd = await startArgoCd(management, { namespace: "argocd", dir });
    started.push(argocd);
    const kubeconfig = join(dir, "kubeconfig");
    const ctx = (name: string, cp: ControlPlane, namespace?: string) => ({
      cluster: { name, cluster: { server: cp.client.server, "certificate-authority-data": Buffer.from(readFileSync(cp.caFile)).toString("base64") } },
      user: { name, user: { token: readFileSync(cp.tokenFile, "utf8") } },
      context: { name, context: { cluster: name, user: name, ...(namespace ? { namespace } : {}) } },
    });
    const all = [ctx("management", management, "argocd"), ...out.map((s) => ctx(s.name, s.cluster.cp))];
    writeFileSync(kubeconfig, JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: all.map((c) => c.cluster),
      users: all.map((c) => c.user),
      contexts: all.map((c) => c.context),
      "current-context": "management",
    }, null, 2), { mode: 0o600 });
    return { dir, management, argocd, stages: out, kubeconfig, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
