// The engine's nodes: Karpenter NodePools and EC2NodeClasses for AWS stages, exactly from
// engine/catalog.yaml and environments/; the node configuration in their user data (NodeConfig for
// the kubelet, a boot script checked by shellcheck); nothing rendered for GCP/Azure stages, whose
// pools the clusters carry; the AppProject that alone may create node kinds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { parse } from "yaml";
import { committedModel } from "./helpers/repo.ts";
import { requireTool } from "./helpers/tools.ts";
import { renderObjects } from "../generators/render.ts";
import { userDataParts } from "../checks/policy-nodes.ts";
import { bootScript, hugepages2Mi, kernelArguments, quantityBytes } from "../generators/nodes/al2023-user-data.ts";
import { overlap, parseCpuset } from "../generators/nodes/cpuset.ts";

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const model = await committedModel();
const objects = renderObjects(model);
const at = (path: string) => objects.find((o) => o.path === path)?.object as Any;
const NODES = "rollouts/production/us-east-1/nodes";

test("each AWS stage has a NodePool and an EC2NodeClass per pool its components use, and nothing for GCP/Azure stages", () => {
  for (const env of model.environments) {
    for (const region of env.regions) {
      const folder = `rollouts/${env.settings.environment}/${region.region}/nodes/`;
      const got = objects.filter((o) => o.path.startsWith(folder)).map((o) => o.path.slice(folder.length)).sort();
      const pools = [...new Set(Object.keys(region.components).map((c) => model.catalog.components[c]!.nodePool))].sort();
      const want = region.cloud === "aws" ? pools.flatMap((p) => [`ec2nodeclass-${p}.yaml`, `nodepool-${p}.yaml`]).sort() : [];
      assert.deepEqual(got, want, folder);
    }
  }
});

test("a NodePool: the pool's instance type, the environment's capacity types, the region's zones, its label and taint, never expired", () => {
  const np = at(`${NODES}/nodepool-bare-metal.yaml`);
  assert.deepEqual(np.spec.template.spec.requirements, [
    { key: "node.kubernetes.io/instance-type", operator: "In", values: ["m7i.metal-24xl"] },
    { key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] },
    { key: "topology.kubernetes.io/zone", operator: "In", values: ["us-east-1a", "us-east-1b", "us-east-1c"] },
  ]);
  assert.deepEqual(np.spec.template.metadata.labels, { "bitactor.io/node-pool": "bare-metal" });
  assert.deepEqual(np.spec.template.spec.taints, [{ key: "bitactor.io/node-pool", value: "bare-metal", effect: "NoSchedule" }]);
  assert.equal(np.spec.template.spec.expireAfter, "Never");
  assert.deepEqual(np.spec.template.spec.nodeClassRef, { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "bare-metal" });
  assert.deepEqual(np.spec.disruption, { consolidationPolicy: "WhenEmpty", consolidateAfter: "10m", budgets: [{ nodes: "1" }] });
  // Staging may buy spot (its environment.yaml says so); production never.
  const staging = at("rollouts/staging/us-east-1/nodes/nodepool-gpu-a100.yaml");
  assert.deepEqual(staging.spec.template.spec.requirements[1].values, ["spot", "on-demand"]);
  assert.deepEqual(staging.spec.template.spec.requirements[0].values, ["p4d.24xlarge"]);
  for (const o of objects.filter((x) => x.object.kind === "NodePool" && x.path.startsWith("rollouts/production/"))) {
    assert.deepEqual((o.object as Any).spec.template.spec.requirements[1].values, ["on-demand"], o.path);
  }
});

test("an EC2NodeClass: the region's role and pinned AMI, discovery by the cluster's tag, IMDSv2 with one hop", () => {
  const nc = at(`${NODES}/ec2nodeclass-bare-metal.yaml`);
  const { userData, ...rest } = nc.spec;
  assert.deepEqual(rest, {
    role: "KarpenterNodeRole-bitactor-prod-use1",
    amiSelectorTerms: [{ alias: "al2023@v20261112" }],
    subnetSelectorTerms: [{ tags: { "karpenter.sh/discovery": "bitactor-prod-use1" } }],
    securityGroupSelectorTerms: [{ tags: { "karpenter.sh/discovery": "bitactor-prod-use1" } }],
    metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
  });
  assert.equal(typeof userData, "string");
});

test("user data: a NodeConfig with the catalog's kubelet settings, then the boot script; hugepages = what the pool's components request together", () => {
  const pagesOf = (q: string) => quantityBytes(q) / (2 * 1024 * 1024);
  const c = model.catalog.components;
  // network-optimised hosts a market-data-handler and an execution-gateway pod on one node at most.
  const expected: Record<string, number> = {
    "bare-metal": pagesOf(c["order-engine"]!.resources.hugepages2Mi),
    "bare-metal-high-clock": pagesOf(c["risk-engine"]!.resources.hugepages2Mi),
    "gpu-a100": pagesOf(c["alpha-calculator"]!.resources.hugepages2Mi),
    "network-optimised": pagesOf(c["market-data-handler"]!.resources.hugepages2Mi) + pagesOf(c["execution-gateway"]!.resources.hugepages2Mi),
  };
  assert.deepEqual(expected, { "bare-metal": 8192, "bare-metal-high-clock": 4096, "gpu-a100": 2048, "network-optimised": 6144 });
  for (const [pool, pages] of Object.entries(expected)) {
    const parts = userDataParts(at(`${NODES}/ec2nodeclass-${pool}.yaml`).spec.userData);
    assert.deepEqual([...parts.keys()], ["application/node.eks.aws", "text/x-shellscript"]);
    assert.deepEqual(parse(parts.get("application/node.eks.aws")!), {
      apiVersion: "node.eks.aws/v1alpha1",
      kind: "NodeConfig",
      spec: { kubelet: { config: { cpuManagerPolicy: "static", topologyManagerPolicy: "single-numa-node", topologyManagerScope: "pod", reservedSystemCPUs: "8-9" } } },
    });
    assert.equal(parts.get("text/x-shellscript")!.trimEnd(), bootScript({ pool, tuning: model.catalog.nodeTuning, hugepages: pages }).trimEnd());
    assert.equal(kernelArguments({ pool, tuning: model.catalog.nodeTuning, hugepages: pages }),
      `isolcpus=managed_irq,domain,0-7 nohz_full=0-7 rcu_nocbs=0-7 irqaffinity=8-9 default_hugepagesz=2M hugepagesz=2M hugepages=${pages}`);
  }
});

test("every rendered boot script passes shellcheck and bash -n, and its systemd unit sets the MTU with escaped $", () => {
  const shellcheck = requireTool("SHELLCHECK", "shellcheck", "install Debian's shellcheck package (npm test does this)");
  const scripts = objects.filter((o) => o.object.kind === "EC2NodeClass").map((o) => ({ path: o.path, script: userDataParts((o.object as Any).spec.userData).get("text/x-shellscript")! }));
  assert.equal(scripts.length, 5 * 4);
  for (const { path, script } of scripts) {
    const sc = spawnSync(shellcheck, ["--shell=bash", "--severity=style", "-"], { input: script, encoding: "utf8" });
    assert.equal(sc.status, 0, `${path}: shellcheck:\n${sc.stdout}${sc.stderr}`);
    const n = spawnSync("bash", ["-n"], { input: script, encoding: "utf8" });
    assert.equal(n.status, 0, `${path}: bash -n: ${n.stderr}`);
    assert.match(script, /^ExecStart=\/bin\/sh -c 'for n in \$\$\(ls \/sys\/class\/net\); do \[ "\$\$n" = lo \] \|\| ip link set dev "\$\$n" mtu 9000; done'$/m);
  }
  // The check is real: a script with an unquoted expansion fails it.
  const bad = spawnSync(shellcheck, ["--shell=bash", "--severity=style", "-"], { input: "#!/bin/bash\nrm -rf $dir/x\n", encoding: "utf8" });
  assert.notEqual(bad.status, 0);
});

test("the node AppProject allows Karpenter's two kinds and nothing else; only AWS stages have a nodes Application in it", () => {
  const project = at("applicationsets/production/appproject-production-us-east-1-nodes.yaml");
  assert.deepEqual(project.spec.clusterResourceWhitelist, [{ group: "karpenter.sh", kind: "NodePool" }, { group: "karpenter.k8s.aws", kind: "EC2NodeClass" }]);
  assert.deepEqual(project.spec.namespaceResourceWhitelist, []);
  assert.deepEqual(project.spec.destinations, [{ name: "bitactor-prod-use1", namespace: "production-us-east-1" }]);
  // The workload project still allows no node kind.
  const workloads = at("applicationsets/production/appproject-production-us-east-1.yaml");
  assert.deepEqual(workloads.spec.clusterResourceWhitelist, [{ group: "", kind: "Namespace" }]);
  for (const env of model.environments) {
    for (const region of env.regions) {
      const stage = `${env.settings.environment}-${region.region}`;
      const appset = at(`applicationsets/${env.settings.environment}/applicationset-${stage}.yaml`);
      const elements = appset.spec.generators[0].list.elements as Any[];
      const nodes = elements.filter((e) => e.component === "nodes");
      assert.deepEqual(nodes.map((e) => [e.project, e.path]), region.cloud === "aws" ? [[`${stage}-nodes`, `rollouts/${env.settings.environment}/${region.region}/nodes`]] : []);
      assert.ok(elements.filter((e) => !["nodes", "platform", "chaos"].includes(e.component)).every((e) => e.project === stage));
      assert.equal(appset.spec.template.spec.project, "{{ .project }}");
    }
  }
});

test("cpuset lists: parse and overlap agree with sets, over generated lists", () => {
  const format = (cpus: number[]) => cpus.map(String).join(",");
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 191 }), { minLength: 1, maxLength: 40 }), fc.uniqueArray(fc.integer({ min: 0, max: 191 }), { minLength: 1, maxLength: 40 }), (a, b) => {
      const sa = [...a].sort((x, y) => x - y);
      assert.deepEqual(parseCpuset(format(a)), sa);
      assert.deepEqual(overlap(format(a), format(b)), sa.filter((x) => b.includes(x)));
    }),
    { numRuns: 200 },
  );
  assert.deepEqual(parseCpuset("0-3,8,10-11"), [0, 1, 2, 3, 8, 10, 11]);
  assert.throws(() => parseCpuset("7-0"), /"7-0" is not a CPU or an ascending range/);
  assert.equal(hugepages2Mi(["8Gi", "4Gi"]), 6144);
  assert.throws(() => hugepages2Mi(["3Mi"]), /3Mi is not a whole number of 2 MiB pages/);
});

test("SR-IOV: each stage has the exchange NetworkAttachmentDefinition, and exactly the catalog's components attach one VF of it", () => {
  const nad = at("rollouts/production/us-east-1/shared/networkattachmentdefinition-exchange.yaml");
  assert.deepEqual(nad.metadata.annotations, { "k8s.v1.cni.cncf.io/resourceName": "bitactor.io/exchange_vf" });
  assert.deepEqual(JSON.parse(nad.spec.config), { cniVersion: "1.0.0", name: "exchange", type: "sriov", spoofchk: "on", trust: "off" });
  for (const env of model.environments) {
    for (const region of env.regions) {
      for (const id of Object.keys(region.components)) {
        const ro = at(`rollouts/${env.settings.environment}/${region.region}/${id}/rollout-${id}.yaml`);
        const nets = model.catalog.components[id]!.acceleratedNetworks ?? [];
        const c = ro.spec.template.spec.containers[0];
        assert.equal(ro.spec.template.metadata.annotations["k8s.v1.cni.cncf.io/networks"], nets.length ? nets.join(",") : undefined, id);
        assert.equal(c.resources.requests["bitactor.io/exchange_vf"], nets.length ? "1" : undefined, id);
        assert.equal(c.resources.limits["bitactor.io/exchange_vf"], nets.length ? "1" : undefined, id);
        // DPDK's capabilities go with the VF, and nowhere else.
        assert.deepEqual([...c.securityContext.capabilities.add ?? []].sort(), nets.length ? ["IPC_LOCK", "NET_RAW"] : [], id);
      }
    }
  }
  assert.deepEqual(Object.entries(model.catalog.components).filter(([, c]) => c.acceleratedNetworks?.length).map(([id]) => id).sort(), ["execution-gateway", "market-data-handler"]);
});
