// The rendered OpenTofu modules: one per stage, from the same inputs as the manifests. Each value
// both sides share is asserted equal; a misspelled attribute fails the type check on every cloud.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { ROOT, committedModel, removeRepo, scratchRepo } from "./helpers/repo.ts";
import { renderObjects, renderRepository, type K8sObject } from "../generators/render.ts";
import { CLOUD_MODULES } from "../generators/infrastructure/index.ts";
import { KUBERNETES_MINOR, infrastructureModules } from "../generators/infrastructure/module.ts";
import { bgpAddresses } from "../generators/infrastructure/interconnect.ts";
import { aksZone } from "../generators/infrastructure/azure/names.ts";
import { stagePools } from "../generators/infrastructure/pools.ts";
import { zoneSubnets } from "../generators/infrastructure/clouds.ts";
import { INTERFACE_ENDPOINTS } from "../generators/infrastructure/aws/network.ts";
import { INTERRUPTION_EVENTS } from "../generators/infrastructure/aws/karpenter.ts";
import { renderCommand } from "../lib/render.ts";

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const model = await committedModel();
const modules = infrastructureModules(CLOUD_MODULES, model);
const objects = renderObjects(model);
const stages = model.environments.flatMap((e) => e.regions.map((region) => ({ env: e.settings, region, stage: `${e.settings.environment}-${region.region}` })));
const moduleOf = (s: (typeof stages)[number]): Any => modules.get(`infrastructure/${s.env.environment}/${s.region.region}/main.tf.json`);
const objectIn = (prefix: string, kind: string): K8sObject[] => objects.filter((o) => o.path.startsWith(prefix) && o.object.kind === kind).map((o) => o.object);
const values = (m: Any, type: string): Any[] => Object.values(m.resource[type] ?? {});

test("one module per stage, on its cloud's provider at the pinned version, with its own state and the target Kubernetes minor", () => {
  assert.deepEqual([...modules.keys()].sort(), stages.map((s) => `infrastructure/${s.env.environment}/${s.region.region}/main.tf.json`).sort());
  const provider = { aws: "aws", gcp: "google", azure: "azurerm" } as const;
  for (const s of stages) {
    const m = moduleOf(s);
    assert.deepEqual(Object.keys(m.provider), [provider[s.region.cloud]], s.stage);
    // Credentials reach only the stage's own account, project or subscription (README, Infrastructure).
    const p = m.provider[provider[s.region.cloud]][0];
    assert.equal(p.allowed_account_ids?.[0] ?? p.project ?? p.subscription_id, s.region.infrastructure.account, s.stage);
    assert.match(m.terraform.required_providers[provider[s.region.cloud]].version, /^[0-9]+\.[0-9]+\.[0-9]+$/, "an exact provider version");
    const backend = m.terraform.backend;
    const st = s.region.infrastructure.state;
    if (s.region.cloud === "aws") assert.deepEqual(backend, { s3: { bucket: st.bucket, region: st.region, key: `${s.stage}/terraform.tfstate`, encrypt: true, use_lockfile: true } });
    if (s.region.cloud === "gcp") assert.deepEqual(backend, { gcs: { bucket: st.bucket, prefix: s.stage } });
    if (s.region.cloud === "azure") assert.deepEqual(backend, { azurerm: { resource_group_name: st.resourceGroup, storage_account_name: st.storageAccount, container_name: st.container, key: `${s.stage}.tfstate`, use_azuread_auth: true } });
    const cluster = values(m, { aws: "aws_eks_cluster", gcp: "google_container_cluster", azure: "azurerm_kubernetes_cluster" }[s.region.cloud])[0];
    assert.equal(cluster.version ?? cluster.min_master_version ?? cluster.kubernetes_version, KUBERNETES_MINOR, s.stage);
  }
});

test("one source of truth: cluster name, zones, node role, discovery tags, bucket, Prometheus workspace and instance types match the manifests", () => {
  for (const s of stages) {
    const m = moduleOf(s);
    const prefix = `rollouts/${s.env.environment}/${s.region.region}/`;
    const bsl = objectIn(prefix, "BackupStorageLocation")[0] as Any;
    const pools = stagePools(model.catalog, s.region);
    if (s.region.cloud === "aws") {
      assert.equal(values(m, "aws_eks_cluster")[0].name, s.region.cluster.name);
      assert.deepEqual(m.resource.aws_eks_node_group.system.instance_types, [model.catalog.systemNodes.instanceTypes.aws]);
      // The role the gate's SigV4 queries assume is the one the region file names, with read access to the workspace.
      assert.equal(`arn:aws:iam::${s.region.infrastructure.account}:role/${m.resource.aws_iam_role["amp-query-role"].name}`, s.region.prometheus.authentication!.sigv4!.roleArn);
      assert.deepEqual(m.output.prometheus_address.value, "${aws_prometheus_workspace.prometheus.prometheus_endpoint}");
      assert.deepEqual(values(m, "aws_subnet").map((x) => x.availability_zone), [...s.region.zones]);
      assert.deepEqual(values(m, "aws_subnet").map((x) => x.cidr_block), zoneSubnets(s.region.infrastructure.cidr, s.region.zones).map((z) => z.cidr));
      assert.equal(objectIn(prefix, "EC2NodeClass").length, pools.length, "one EC2NodeClass per pool the region uses");
      for (const nc of objectIn(prefix, "EC2NodeClass") as Any[]) {
        assert.equal(m.resource.aws_iam_role["karpenter-node-role"].name, nc.spec.role, "the node role Karpenter's nodes get exists");
        const tag = nc.spec.subnetSelectorTerms[0].tags;
        for (const subnet of values(m, "aws_subnet")) for (const [k, v] of Object.entries(tag)) assert.equal(subnet.tags[k], v, "subnets carry the discovery tag");
        for (const [k, v] of Object.entries(nc.spec.securityGroupSelectorTerms[0].tags)) assert.equal(m.resource.aws_security_group.nodes.tags[k], v, "the node security group carries it");
      }
      // Karpenter's NodePools ask for the catalog's instance types; placement groups exist for the low-latency pools.
      for (const np of objectIn(prefix, "NodePool") as Any[]) {
        const pool = pools.find((p) => np.metadata.name === p.name)!;
        assert.deepEqual(np.spec.template.spec.requirements.find((r: Any) => r.key === "node.kubernetes.io/instance-type").values, [pool.instanceType]);
      }
      assert.deepEqual(Object.keys(m.resource.aws_placement_group).sort(), pools.filter((p) => p.lowLatency).map((p) => `placement-${p.name}`).sort());
      assert.equal(m.resource.aws_s3_bucket["velero-bucket"].bucket, bsl.spec.objectStorage.bucket);
      assert.equal(m.resource.aws_eks_pod_identity_association["velero-identity"].namespace, bsl.metadata.namespace);
      // The gate queries the workspace of this stage, in this region (its id comes back after apply).
      assert.equal(m.resource.aws_prometheus_workspace.prometheus.alias, s.stage);
      assert.match(s.region.prometheus.address, new RegExp(`^https://aps-workspaces\\.${m.provider.aws[0].region}\\.amazonaws\\.com/`));
      // Interruption handling: every event Karpenter reads reaches the queue.
      assert.deepEqual(values(m, "aws_cloudwatch_event_rule").map((r) => JSON.parse(r.event_pattern)["detail-type"][0]).sort(), INTERRUPTION_EVENTS.map((e) => e.detailType).sort());
      assert.equal(m.resource.aws_sqs_queue["interruption-queue"].name, s.region.cluster.name);
      // Karpenter's controller may pass exactly the node role its EC2NodeClasses name, and read exactly that queue.
      const policy = m.resource.aws_iam_role_policy["karpenter-controller-policy"].policy;
      assert.match(policy, /"Action":"iam:PassRole","Resource":"\$\{aws_iam_role\.karpenter-node-role\.arn\}"/);
      assert.match(policy, /"Resource":"\$\{aws_sqs_queue\.interruption-queue\.arn\}"/);
      assert.deepEqual([m.resource.aws_eks_pod_identity_association["karpenter-controller-identity"].service_account, m.resource.aws_eks_pod_identity_association["karpenter-controller-identity"].role_arn], ["karpenter", "${aws_iam_role.karpenter-controller-role.arn}"]);
    }
    if (s.region.cloud === "gcp") {
      assert.equal(values(m, "google_container_cluster")[0].name, s.region.cluster.name);
      assert.deepEqual(values(m, "google_container_cluster")[0].node_locations, [...s.region.zones]);
      assert.deepEqual(values(m, "google_container_node_pool").map((p) => p.node_config.machine_type).sort(), [model.catalog.systemNodes.instanceTypes.gcp, ...pools.map((p) => p.instanceType)].sort());
      for (const p of pools) {
        const np = m.resource.google_container_node_pool[`pool-${p.name}`];
        assert.deepEqual(np.node_config.kubelet_config, { cpu_manager_policy: "static", topology_manager: { policy: "single-numa-node", scope: "pod" } });
        assert.equal(np.node_config.linux_node_config.hugepages_config.hugepage_size_2m, p.hugepages);
        assert.equal(np.placement_policy?.type, p.lowLatency ? "COMPACT" : undefined);
      }
      assert.equal(m.resource.google_storage_bucket["velero-bucket"].name, bsl.spec.objectStorage.bucket);
      assert.equal(m.resource.google_container_cluster.cluster.monitoring_config.managed_prometheus.enabled, true);
    }
    if (s.region.cloud === "azure") {
      assert.equal(values(m, "azurerm_kubernetes_cluster")[0].name, s.region.cluster.name);
      assert.deepEqual(values(m, "azurerm_kubernetes_cluster")[0].default_node_pool.zones, s.region.zones.map(aksZone));
      assert.equal(values(m, "azurerm_kubernetes_cluster")[0].default_node_pool.vm_size, model.catalog.systemNodes.instanceTypes.azure);
      assert.deepEqual(values(m, "azurerm_kubernetes_cluster_node_pool").map((p) => p.vm_size).sort(), pools.map((p) => p.instanceType).sort());
      for (const p of values(m, "azurerm_kubernetes_cluster_node_pool")) assert.deepEqual(p.kubelet_config, { cpu_manager_policy: "static", topology_manager_policy: "single-numa-node" });
      assert.equal(m.resource.azurerm_storage_container["velero-container"].name, bsl.spec.objectStorage.bucket);
      assert.equal(m.resource.azurerm_storage_account["velero-account"].name, bsl.spec.config.storageAccount);
      assert.equal(m.resource.azurerm_resource_group["backup-group"].name, bsl.spec.config.resourceGroup);
    }
  }
});

test("cross-connects: one 10 Gbps link per exchange, at its location, on its VLAN, with BGP from our ASN on the link-local /29", () => {
  assert.deepEqual(bgpAddresses("169.254.10.0/29"), [
    { link: "169.254.10.0/30", cloud: "169.254.10.1/30", ours: "169.254.10.2/30" },
    { link: "169.254.10.4/30", cloud: "169.254.10.5/30", ours: "169.254.10.6/30" },
  ]);
  for (const s of stages) {
    const m = moduleOf(s);
    const asn = s.region.infrastructure.asn;
    for (const x of s.region.exchanges) {
      const id = x.id.toLowerCase();
      const cc = x.crossConnect;
      if (s.region.cloud === "aws") {
        // The exchanges' prefixes reach the subnets by BGP: every subnet's routes propagate from the gateway Direct Connect ends at.
        assert.deepEqual(m.resource.aws_route_table.routes.propagating_vgws, ["${aws_vpn_gateway.vgw.id}"]);
        assert.deepEqual(values(m, "aws_route_table_association").map((a) => a.route_table_id), s.region.zones.map(() => "${aws_route_table.routes.id}"));
        assert.deepEqual(values(m, "aws_vpc_endpoint").map((e) => e.service_name).sort(), ["s3", ...INTERFACE_ENDPOINTS].map((x) => `com.amazonaws.${s.region.region}.${x}`).sort());
        assert.deepEqual([m.resource.aws_dx_connection[`dx-${id}`].bandwidth, m.resource.aws_dx_connection[`dx-${id}`].location], ["10Gbps", cc.location]);
        const vif = m.resource.aws_dx_private_virtual_interface[`dx-${id}-vif`];
        assert.deepEqual([vif.vlan, vif.bgp_asn, vif.customer_address, vif.connection_id], [cc.vlan, asn, bgpAddresses(cc.peering)[0]!.ours, `\${aws_dx_connection.dx-${id}.id}`]);
      }
      if (s.region.cloud === "gcp") {
        assert.equal(m.resource.google_compute_interconnect[`interconnect-${id}`].link_type, "LINK_TYPE_ETHERNET_10G_LR");
        const att = m.resource.google_compute_interconnect_attachment[`attachment-${id}`];
        assert.deepEqual([att.vlan_tag8021q, att.candidate_subnets, att.bandwidth], [cc.vlan, [cc.peering], "BPS_10G"]);
        assert.equal(m.resource.google_compute_router_peer[`bgp-${id}`].peer_asn, asn);
      }
      if (s.region.cloud === "azure") {
        const c = m.resource.azurerm_express_route_circuit[`er-${id}`];
        assert.deepEqual([c.bandwidth_in_mbps, c.peering_location, c.service_provider_name], [10000, cc.location, cc.provider]);
        const p = m.resource.azurerm_express_route_circuit_peering[`er-${id}-peering`];
        assert.deepEqual([p.vlan_id, p.peer_asn, p.primary_peer_address_prefix, p.secondary_peer_address_prefix], [cc.vlan, asn, ...bgpAddresses(cc.peering).map((b) => b.link)]);
      }
    }
  }
});

test("spot only where the environment lists it; production on reserved capacity", () => {
  for (const s of stages) {
    const m = moduleOf(s);
    const spot = s.env.capacityTypes.includes("spot");
    for (const p of values(m, "google_container_node_pool")) assert.deepEqual([p.node_config.spot ?? false, p.node_config.reservation_affinity.consume_reservation_type], [p.name === "system" ? false : spot, spot ? "NO_RESERVATION" : "ANY_RESERVATION"]);
    for (const p of values(m, "azurerm_kubernetes_cluster_node_pool")) assert.equal(p.priority, spot ? "Spot" : "Regular");
    for (const g of values(m, "aws_eks_node_group")) assert.equal(g.capacity_type, "ON_DEMAND");
  }
});

test("the modules are part of the render: byte-stable, headed, and a foreign file there is never deleted", async () => {
  const a = renderRepository(model);
  const b = renderRepository(model);
  const infra = [...a.keys()].filter((p) => p.startsWith("infrastructure/"));
  assert.equal(infra.length, stages.length);
  for (const p of infra) {
    assert.equal(a.get(p), b.get(p));
    assert.ok(a.get(p)!.startsWith('{\n  "//": "Rendered by `npm run render`'), p);
  }
  const dir = await scratchRepo();
  try {
    writeFileSync(join(dir, "infrastructure", "production", "us-east-1", "override.tf.json"), '{ "resource": {} }\n');
    await assert.rejects(renderCommand(dir), /were not written by the render and would be deleted:\n {2}infrastructure\/production\/us-east-1\/override\.tf\.json/);
  } finally {
    await removeRepo(dir);
  }
});

// A typo in a resource's attribute, or a wrong type, on each cloud: the bindings' types (generated
// from each provider's schema) refuse it before anything is rendered.
const typos: { cloud: string; code: string; error: RegExp }[] = [
  { cloud: "aws", code: `import { DxConnection } from "@cdktn/provider-aws/lib/dx-connection/index.js";\nnew DxConnection(stack, "x", { name: "x", bandwith: "10Gbps", location: "EqNY5" });`, error: /'bandwith' does not exist in type 'DxConnectionConfig'/ },
  { cloud: "gcp", code: `import { ContainerNodePool } from "@cdktn/provider-google/lib/container-node-pool/index.js";\nnew ContainerNodePool(stack, "x", { cluster: "c", nodeConfig: { machineType: "c3-highcpu-88", kubeletConfig: { cpuManagerPolicy: "static", topologyManager: { policy: "single-numa-node", scope: 1 } } } });`, error: /Type 'number' is not assignable to type 'string'/ },
  { cloud: "azure", code: `import { KubernetesClusterNodePool } from "@cdktn/provider-azurerm/lib/kubernetes-cluster-node-pool/index.js";\nnew KubernetesClusterNodePool(stack, "x", { name: "x", kubernetesClusterId: "id", vmSize: "Standard_F72s_v2", kubeletConfig: { cpuManagerPolicy: "static", topologyManagerScope: "pod" } });`, error: /'topologyManagerScope' does not exist in type 'KubernetesClusterNodePoolKubeletConfig'/ },
];

test("a misspelled attribute or a wrong type fails the type check on each cloud (and the correct file passes)", () => {
  const dir = mkdtempSync(join(ROOT, ".typecheck-"));
  try {
    const head = `import { App, TerraformStack } from "cdktn";\nconst stack = new TerraformStack(new App(), "s");\n`;
    for (const t of typos) writeFileSync(join(dir, `${t.cloud}.ts`), head + t.code + "\n");
    writeFileSync(join(dir, "correct.ts"), `${head}import { DxConnection } from "@cdktn/provider-aws/lib/dx-connection/index.js";\nnew DxConnection(stack, "x", { name: "x", bandwidth: "10Gbps", location: "EqNY5" });\n`);
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ extends: "../tsconfig.json", include: ["*.ts"] }));
    const r = spawnSync(join(ROOT, "node_modules", ".bin", "tsc"), ["--noEmit", "-p", dir], { encoding: "utf8" });
    assert.notEqual(r.status, 0);
    for (const t of typos) {
      const lines = r.stdout.split("\n").filter((l) => l.includes(`${t.cloud}.ts(`));
      assert.ok(lines.some((l) => t.error.test(l)), `${t.cloud}: ${r.stdout}`);
    }
    assert.ok(!r.stdout.includes("correct.ts("), r.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
