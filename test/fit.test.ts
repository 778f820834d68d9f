// The node catalog's arithmetic and the fit check: published worked examples, properties over many
// generated pods, and each way a pod can fail to fit (scheduling rules, DaemonSets, the mesh proxy).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { committedModel } from "./helpers/repo.ts";
import { reservedCpu, reservedMemory, stageNodeTypes, nodeType, GPU_RESOURCE, type NodeType } from "../generators/nodes/node-types.ts";
import { landsOn, podRequests, stageMisfits, describeMisfit, type StageFitInput } from "../generators/nodes/fit.ts";
import { meshProxy, FIT_IGNORED_KEYS } from "../generators/nodes/stage-fit.ts";
import { millicores, quantityUnits, showQuantity } from "../generators/nodes/quantity.ts";

const MI = 1n << 20n;
const GI = 1n << 30n;
/** `percent` % of `bytes`, rounded up to a byte as each tier is (the kubelet never keeps less). */
const pct = (percent: bigint, bytes: bigint) => (bytes * percent + 99n) / 100n;

test("quantities are exact: decimal and binary suffixes, millicores, exponents", () => {
  assert.equal(millicores("100m"), 100n);
  assert.equal(millicores("0.1"), 100n);
  assert.equal(millicores(16), 16000n);
  assert.equal(millicores("1e3"), 1000000n);
  assert.equal(quantityUnits("8Gi"), 8n * GI);
  assert.equal(quantityUnits("1G"), 1000000000n);
  assert.equal(quantityUnits("1.5Ki"), 1536n);
  assert.throws(() => quantityUnits("8 GiB"), /not a Kubernetes quantity/);
  assert.equal(showQuantity("cpu", 11900n), "11900m");
  assert.equal(showQuantity("memory", 48n * GI + 128n * MI), "48.1Gi");
});

test("each service's reservation gives its published worked examples", async () => {
  const { machines } = await committedModel();
  const eks = machines.clouds.aws.reservation;
  const gke = machines.clouds.gcp.reservation;
  const aks = machines.clouds.azure.reservation;
  // EKS, 4 vCPUs, 58 pods: 60 + 10 + 10 = 80m; 255 + 11 × 58 = 893 MiB, plus the 100 MiB eviction threshold.
  assert.equal(reservedCpu(eks, 4), 80n);
  assert.equal(reservedMemory(eks, 16n * GI, 58), 993n * MI);
  // GKE a2-highgpu-1g, 12 vCPUs: 60 + 10 + 10 + 8 × 2.5 = 100m; 85 GiB: 1 + 0.8 + 0.8 + 6 % of 69 = 6.74 GiB.
  assert.equal(reservedCpu(gke, 12), 100n);
  assert.equal(reservedMemory(gke, 85n * GI, 110), pct(25n, 4n * GI) + pct(20n, 4n * GI) + pct(10n, 8n * GI) + pct(6n, 69n * GI) + 100n * MI);
  // GKE above 128 GiB: 2 % of the rest (c3-highmem-192-metal, 1536 GiB: 10.72 GiB below 128, 28.16 above).
  assert.equal(reservedMemory(gke, 1536n * GI, 110), pct(25n, 4n * GI) + pct(20n, 4n * GI) + pct(10n, 8n * GI) + pct(6n, 112n * GI) + pct(2n, 1408n * GI) + 100n * MI);
  // AKS: 4 cores 140m; 8 GB with 30 pods is the doc's 650 MB; 16 GiB with 110 pods: 2250 MiB (under 25 %).
  assert.equal(reservedCpu(aks, 4), 140n);
  assert.equal(reservedMemory(aks, 8n * GI, 30), 750n * MI);
  assert.equal(reservedMemory(aks, 16n * GI, 110), 2350n * MI);
  // The 25 % cap: 4 GiB with 110 pods keeps 1 GiB, not 2250 MiB.
  assert.equal(reservedMemory(aks, 4n * GI, 110), GI + 100n * MI);
  // Between rows the next row up counts: 24 cores keep what 32 do.
  assert.equal(reservedCpu(aks, 24), 420n);
});

test("node types: reservedSystemCpus replaces the CPU reservation where the nodes apply it; hugepages leave memory", async () => {
  const model = await committedModel();
  const region = (name: string) => model.environments.flatMap((e) => e.regions).find((r) => r.region === name)!;
  const aws = stageNodeTypes(model.catalog, model.machines, region("us-east-1"));
  const gcp = stageNodeTypes(model.catalog, model.machines, region("asia-east2"));
  const awsMetal = aws.find((n) => n.pool === "bare-metal")!;
  assert.equal(awsMetal.instanceType, "m7i.metal-24xl");
  // 96 vCPUs less the catalog's two reservedSystemCpus (8-9), not EKS's 310m.
  assert.equal(awsMetal.allocatable.cpu, 94000n);
  const gcpMetal = gcp.find((n) => n.pool === "bare-metal")!;
  assert.equal(gcpMetal.allocatable.cpu, 192000n - reservedCpu(model.machines.clouds.gcp.reservation, 192));
  for (const n of [...aws, ...gcp]) {
    assert.equal(n.allocatable.memory + n.reserved.memory + n.reserved.hugepages, n.capacity.memory, `${n.instanceType}: memory adds up`);
    assert.equal(n.allocatable["hugepages-2Mi"], n.reserved.hugepages);
  }
  // The network-optimised pool reserves both its components' pages: 8Gi + 4Gi.
  assert.equal(aws.find((n) => n.pool === "network-optimised")!.allocatable["hugepages-2Mi"], 12n * GI);
  assert.equal(gcp.find((n) => n.pool === "gpu-a100")!.allocatable[GPU_RESOURCE], 1n);
  assert.equal(aws.find((n) => n.pool === "gpu-a100")!.allocatable[GPU_RESOURCE], 8n);
  assert.deepEqual(aws.find((n) => n.pool === "system")!.taints, []);
  assert.throws(() => nodeType({ cloud: "aws", machines: model.machines, pool: "x", instanceType: "t2.nano", labels: {}, taints: [], hugepages: 0n, extended: {} }), /t2\.nano is not in engine\/machines\.yaml clouds\.aws\.types/);
});

/** A synthetic node type: 8 CPUs, 32 GiB, 2 GiB hugepages, one GPU, tainted for `pool`. */
const node = (pool = "p"): NodeType => ({
  pool,
  cloud: "aws",
  instanceType: "test.8x",
  machine: { vcpus: 8, memory: "32Gi", arch: "amd64", networkInterfaces: 2, maxPods: 10, source: "test" },
  labels: { "bitactor.io/node-pool": pool, "node.kubernetes.io/instance-type": "test.8x" },
  taints: [{ key: "bitactor.io/node-pool", value: pool, effect: "NoSchedule" }],
  capacity: { cpu: 8000n, memory: 32n * GI, pods: 10n, "hugepages-2Mi": 2n * GI, [GPU_RESOURCE]: 1n },
  allocatable: { cpu: 8000n, memory: 32n * GI, pods: 10n, "hugepages-2Mi": 2n * GI, [GPU_RESOURCE]: 1n },
  reserved: { cpu: 0n, memory: 0n, hugepages: 2n * GI },
});
const podSpec = (requests: Record<string, string>, pool = "p") => ({
  nodeSelector: { "bitactor.io/node-pool": pool },
  tolerations: [{ key: "bitactor.io/node-pool", operator: "Equal", value: pool, effect: "NoSchedule" }],
  containers: [{ name: "c", resources: { requests, limits: requests } }],
});
const deployment = (name: string, spec: object, kind = "Deployment", namespace = "ns") => ({
  path: `rollouts/x/${name}.yaml`,
  object: { kind, metadata: { name, namespace, labels: {} }, spec: { template: { metadata: {}, spec } } },
});
const stage = (objects: StageFitInput["objects"], extra: Partial<StageFitInput> = {}): StageFitInput => ({
  objects,
  nodeTypes: [node()],
  serviceDaemonSets: [],
  injected: () => [],
  ignoredKeys: FIT_IGNORED_KEYS,
  ...extra,
});

test("property: a pod misfits exactly when one resource asks more than the node leaves, and the message gives both numbers", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 12000 }), fc.integer({ min: 1, max: 48 }), fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 2 }), (cpu, memGi, dsCpu, gpus) => {
      const spec = podSpec({ cpu: `${cpu}m`, memory: `${memGi}Gi`, ...(gpus ? { [GPU_RESOURCE]: String(gpus) } : {}) });
      const misfits = stageMisfits(stage([deployment("app", spec)], { serviceDaemonSets: [{ cpu: BigInt(dsCpu), pods: 1n }] }));
      const left = 8000 - dsCpu;
      const expected = [...(cpu > left ? ["cpu"] : []), ...(memGi > 32 ? ["memory"] : []), ...(gpus > 1 ? [GPU_RESOURCE] : [])];
      assert.deepEqual(misfits.flatMap((m) => m.shortfalls.map((s) => s.resource)).sort(), expected.sort());
      for (const s of misfits.flatMap((m) => m.shortfalls)) {
        if (s.resource === "cpu") {
          assert.equal(s.asked, BigInt(cpu));
          assert.equal(s.left, BigInt(left));
          assert.match(describeMisfit(misfits[0]!), new RegExp(`cpu asks ${showQuantity("cpu", BigInt(cpu))}, ${showQuantity("cpu", BigInt(left))} left after the node's DaemonSets, of 8 allocatable`));
        }
      }
    }),
    { numRuns: 300 },
  );
});

test("a pod lands only where its selector, affinity and tolerations allow; one that lands nowhere is a misfit", () => {
  const tainted = node("gpu");
  const noToleration = { nodeSelector: { "bitactor.io/node-pool": "gpu" }, containers: [] };
  assert.equal(landsOn(noToleration, tainted, FIT_IGNORED_KEYS), false);
  assert.equal(landsOn({ ...noToleration, tolerations: [{ operator: "Exists" }] }, tainted, FIT_IGNORED_KEYS), true);
  assert.equal(landsOn({ ...noToleration, tolerations: [{ key: "bitactor.io/node-pool", operator: "Exists" }] }, tainted, FIT_IGNORED_KEYS), true);
  assert.equal(landsOn({ ...noToleration, tolerations: [{ key: "bitactor.io/node-pool", operator: "Equal", value: "cpu", effect: "NoSchedule" }] }, tainted, FIT_IGNORED_KEYS), false);
  const affinity = (operator: string, values: string[]) => ({
    tolerations: [{ operator: "Exists" }],
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "node.kubernetes.io/instance-type", operator, values }] }] } } },
  });
  assert.equal(landsOn(affinity("In", ["test.8x"]), tainted, FIT_IGNORED_KEYS), true);
  assert.equal(landsOn(affinity("NotIn", ["test.8x"]), tainted, FIT_IGNORED_KEYS), false);
  // Zones are every node type's: a zone selector never rules one out.
  assert.equal(landsOn({ nodeSelector: { "topology.kubernetes.io/zone": "us-east-1a" }, tolerations: [{ operator: "Exists" }] }, tainted, FIT_IGNORED_KEYS), true);
  const nowhere = stageMisfits(stage([deployment("lost", podSpec({ cpu: "1" }, "gpu"))]));
  assert.equal(nowhere.length, 1);
  assert.equal(nowhere[0]!.nodeType, undefined);
  assert.match(describeMisfit(nowhere[0]!), /^Deployment ns\/lost \(rollouts\/x\/lost\.yaml\/spec\/template\) can land on no node type of its stage/);
});

test("a pod's requests: init containers take the largest, sidecar init containers and injected proxies add up", () => {
  const spec = {
    initContainers: [
      { name: "big-init", resources: { requests: { cpu: "3", memory: "1Gi" } } },
      { name: "sidecar", restartPolicy: "Always", resources: { requests: { cpu: "500m" } } },
    ],
    containers: [{ name: "a", resources: { requests: { cpu: "1" }, limits: { memory: "2Gi" } } }, { name: "b", resources: { requests: { cpu: "1", "ephemeral-storage": "1Gi" } } }],
  };
  // App: 1 + 1 + 0.5 (sidecar) + 0.1 (proxy) = 2.6 CPUs, under the 3-CPU init; memory from the limit; disk not counted.
  assert.deepEqual(podRequests(spec, [{ cpu: 100n, memory: 128n * MI }]), { cpu: 3000n, memory: 2n * GI + 128n * MI, pods: 1n });
});

test("the mesh proxy counts in stage namespaces, at the pod's annotations or Istio's defaults, and not when the pod opts out", () => {
  const proxy = meshProxy(new Set(["production-us-east-1"]));
  assert.deepEqual(proxy("production-us-east-1", {}, {}), [{ cpu: 100n, memory: 128n * MI }]);
  assert.deepEqual(proxy("production-us-east-1", { "sidecar.istio.io/proxyCPU": "500m", "sidecar.istio.io/proxyMemory": "256Mi" }, {}), [{ cpu: 500n, memory: 256n * MI }]);
  assert.deepEqual(proxy("production-us-east-1", { "sidecar.istio.io/inject": "false" }, {}), []);
  assert.deepEqual(proxy("production-us-east-1", {}, { "sidecar.istio.io/inject": "false" }), []);
  assert.deepEqual(proxy("velero", {}, {}), []);
  // 7.95 CPUs fit 8, with the proxy they do not.
  const misfits = stageMisfits(stage([deployment("app", podSpec({ cpu: "7950m" }), "Deployment", "production-us-east-1")], { injected: proxy }));
  assert.deepEqual(misfits.map((m) => m.shortfalls.map((s) => [s.resource, s.asked])), [[["cpu", 8050n]]]);
});

test("DaemonSets that land on a node type leave less for its pods, and too many of them are refused themselves", () => {
  const ds = (name: string, cpu: string) => ({ ...deployment(name, podSpec({ cpu }), "DaemonSet"), object: { ...deployment(name, podSpec({ cpu }), "DaemonSet").object } });
  const ok = stageMisfits(stage([ds("plugin", "1"), deployment("app", podSpec({ cpu: "7" }))]));
  assert.deepEqual(ok, []);
  const tight = stageMisfits(stage([ds("plugin", "1500m"), deployment("app", podSpec({ cpu: "7" }))]));
  assert.deepEqual(tight.map((m) => [m.object.name, m.shortfalls.map((s) => `${s.resource} ${s.asked} ${s.left}`)]), [["app", ["cpu 7000 6500"]]]);
  // A DaemonSet that does not tolerate the pool's taint is not on its nodes.
  const elsewhere = { ...ds("other", "4"), object: { ...ds("other", "4").object, spec: { template: { spec: { containers: [{ name: "c", resources: { requests: { cpu: "4" } } }] } } } } };
  assert.deepEqual(stageMisfits(stage([elsewhere, deployment("app", podSpec({ cpu: "7" }))])).map((m) => m.object.name), ["other"]);
  const crowded = stageMisfits(stage([ds("a", "5"), ds("b", "4")]));
  assert.deepEqual(crowded.map((m) => [m.object.name, m.daemonSets, m.shortfalls[0]!.asked]), [["a", true, 9000n], ["b", true, 9000n]]);
  assert.match(describeMisfit(crowded[0]!), /^DaemonSet ns\/a with the other DaemonSets of its nodes does not fit test\.8x \(aws, pool p\): cpu asks 9, 8 allocatable/);
});

test("the committed tree fits: every stage's pods on every node type they can land on", async () => {
  const { renderObjects } = await import("../generators/render.ts");
  const { fitErrors } = await import("../generators/nodes/stage-fit.ts");
  const model = await committedModel();
  assert.deepEqual(fitErrors(model, renderObjects(model)), []);
});

test("docs/nodes.md's allocatable table is the catalog's, row for row", async () => {
  const { readFile } = await import("node:fs/promises");
  const { ROOT } = await import("./helpers/repo.ts");
  const model = await committedModel();
  const rows = new Set<string>();
  for (const e of model.environments) for (const r of e.regions) for (const n of stageNodeTypes(model.catalog, model.machines, r)) {
    const q = (x: string) => showQuantity(x, n.allocatable[x] ?? 0n);
    rows.add(`| ${r.cloud} | \`${n.pool}\` | ${n.instanceType} | ${n.machine.vcpus} / ${n.machine.memory} | ${q("cpu")} | ${q("memory")} | ${q("hugepages-2Mi")} | ${n.allocatable[GPU_RESOURCE] ?? 0n} | ${n.allocatable.pods} |`);
  }
  const doc = await readFile(`${ROOT}/docs/nodes.md`, "utf8");
  const table = doc.split("\n").filter((l) => /^\| (aws|gcp|azure) \| `/.test(l));
  assert.deepEqual(table.sort(), [...rows].sort());
});

test("packing pods that run at once: first-fit decreasing places what fits and names what does not", async () => {
  const { unplaced } = await import("../generators/nodes/fit.ts");
  const pod = (name: string, cpu: bigint) => ({ name, asked: { cpu, pods: 1n } });
  const left = { cpu: 7750n, pods: 50n };
  // Six 4-CPU pods on three nodes leaving 7.75 CPUs: one each, three left over.
  assert.deepEqual(unplaced(["a", "b", "c", "d", "e", "f"].map((n) => pod(n, 4000n)), left, 3).map((p) => p.name), ["d", "e", "f"]);
  // On three nodes leaving 15.7 CPUs: all six.
  assert.deepEqual(unplaced(["a", "b", "c", "d", "e", "f"].map((n) => pod(n, 4000n)), { cpu: 15700n, pods: 50n }, 3), []);
  // Largest first: a 7-CPU pod is not crowded out by small ones placed before it.
  assert.deepEqual(unplaced([pod("s1", 1000n), pod("s2", 1000n), pod("big", 7000n)], { cpu: 8000n, pods: 50n }, 1).map((p) => p.name), ["s2"]);
  // Every resource counts, the pod count too.
  assert.deepEqual(unplaced([pod("a", 1n), pod("b", 1n)], { cpu: 8000n, pods: 1n }, 1).map((p) => p.name), ["b"]);
});
