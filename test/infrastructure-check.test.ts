// npm run infra:check: our policy rules and checkov over the rendered modules, each shown catching
// a planted problem; the committed modules pass with every exception reviewed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ROOT, committedModel, removeRepo, scratchRepo } from "./helpers/repo.ts";
import { INFRA_RULES, forCheckov, infrastructureViolations, judgeCheckov } from "../checks/infrastructure.ts";
import { CLOUD_MODULES } from "../generators/infrastructure/index.ts";
import { infrastructureModules, toTfJson } from "../generators/infrastructure/module.ts";

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const model = await committedModel();
const modules = infrastructureModules(CLOUD_MODULES, model);
const AWS = "infrastructure/production/us-east-1/main.tf.json";
const GCP = "infrastructure/production/asia-east2/main.tf.json";
const AZURE = "infrastructure/production/southeastasia/main.tf.json";
const copy = (p: string): Any => structuredClone(modules.get(p));
const rules = (p: string, m: Any) => infrastructureViolations(p, m, model.catalog).map((v) => `${v.resource}: ${v.rule}`);

test("the committed modules break no rule", () => {
  for (const [p, m] of modules) assert.deepEqual(rules(p, m), [], p);
});

test("each rule catches its planted problem, on each cloud", () => {
  const planted: { path: string; change: (m: Any) => void; expect: string[] }[] = [
    { path: AWS, change: (m) => delete m.resource.aws_s3_bucket_server_side_encryption_configuration, expect: ["aws_s3_bucket.velero-bucket: encrypted-backups"] },
    { path: AWS, change: (m) => (m.resource.aws_s3_bucket_public_access_block["velero-public-access"].restrict_public_buckets = false), expect: ["aws_s3_bucket.velero-bucket: private-backups"] },
    { path: AWS, change: (m) => (m.resource.aws_eks_cluster.cluster.vpc_config.endpoint_public_access = true), expect: ["aws_eks_cluster.cluster: private-cluster-api"] },
    { path: AWS, change: (m) => m.resource.aws_security_group["api-access"].ingress[0].cidr_blocks.push("0.0.0.0/0"), expect: ["aws_security_group.api-access: no-open-ingress"] },
    { path: AWS, change: (m) => (m.resource.aws_eks_node_group.system.capacity_type = "SPOT"), expect: ["aws_eks_node_group.system: capacity-terms"] },
    { path: AWS, change: (m) => (m.resource.aws_eks_node_group.system.instance_types = ["t3.micro"]), expect: ["aws_eks_node_group.system: catalog-instance-types"] },
    { path: AWS, change: (m) => (m.resource.aws_s3_bucket["velero-bucket"]["//"].checkov.skip[0].reason = "ok"), expect: ["aws_s3_bucket.velero-bucket: reviewed-skips"] },
    { path: GCP, change: (m) => (m.resource.google_storage_bucket["velero-bucket"].public_access_prevention = "inherited"), expect: ["google_storage_bucket.velero-bucket: private-backups"] },
    { path: GCP, change: (m) => delete m.resource.google_storage_bucket["velero-bucket"].encryption, expect: ["google_storage_bucket.velero-bucket: encrypted-backups"] },
    { path: GCP, change: (m) => (m.resource.google_container_cluster.cluster.private_cluster_config.enable_private_endpoint = false), expect: ["google_container_cluster.cluster: private-cluster-api"] },
    { path: GCP, change: (m) => m.resource.google_container_cluster.cluster.master_authorized_networks_config.cidr_blocks.push({ cidr_block: "0.0.0.0/0" }), expect: ["google_container_cluster.cluster: no-open-ingress"] },
    { path: GCP, change: (m) => (m.resource.google_compute_firewall["allow-internal"].source_ranges = ["0.0.0.0/0"]), expect: ["google_compute_firewall.allow-internal: no-open-ingress"] },
    { path: GCP, change: (m) => (m.resource.google_container_node_pool["pool-bare-metal"].node_config.spot = true), expect: ["google_container_node_pool.pool-bare-metal: capacity-terms"] },
    { path: GCP, change: (m) => (m.resource.google_container_node_pool["pool-bare-metal"].node_config.machine_type = "e2-medium"), expect: ["google_container_node_pool.pool-bare-metal: catalog-instance-types"] },
    { path: AZURE, change: (m) => (m.resource.azurerm_storage_account["velero-account"].public_network_access_enabled = true), expect: ["azurerm_storage_account.velero-account: private-backups"] },
    { path: AZURE, change: (m) => (m.resource.azurerm_kubernetes_cluster.cluster.private_cluster_enabled = false), expect: ["azurerm_kubernetes_cluster.cluster: private-cluster-api"] },
    { path: AZURE, change: (m) => (m.resource.azurerm_network_security_group["nodes-nsg"].security_rule[0].source_address_prefix = "Internet"), expect: ["azurerm_network_security_group.nodes-nsg: no-open-ingress"] },
    { path: AZURE, change: (m) => (m.resource.azurerm_kubernetes_cluster_node_pool["pool-bare-metal"].priority = "Spot"), expect: ["azurerm_kubernetes_cluster_node_pool.pool-bare-metal: capacity-terms"] },
    { path: AZURE, change: (m) => (m.resource.azurerm_kubernetes_cluster.cluster.default_node_pool.vm_size = "Standard_B2s"), expect: ["azurerm_kubernetes_cluster.cluster default_node_pool: catalog-instance-types"] },
  ];
  for (const p of planted) {
    const m = copy(p.path);
    p.change(m);
    assert.deepEqual(rules(p.path, m), p.expect, `${p.path}: ${p.expect}`);
  }
  // Spot is fine outside production (the environment's capacityTypes let staging use it).
  const staging = copy("infrastructure/staging/us-east-1/main.tf.json");
  staging.resource.aws_eks_node_group.system.capacity_type = "SPOT";
  assert.deepEqual(rules("infrastructure/staging/us-east-1/main.tf.json", staging), []);
  assert.equal(Object.keys(INFRA_RULES).length, 7);
});

test("checkov's findings: a skip on the resource reviews one, a finding without one is unreviewed, an unneeded skip is stale", () => {
  const m = copy(AWS);
  const finding = (check_id: string, resource: string) => ({ check_id, check_name: check_id, resource, file_path: "/production/us-east-1/main.tf.json" });
  const v = judgeCheckov(
    [finding("CKV_AWS_144", "aws_s3_bucket.velero-bucket"), finding("CKV_AWS_339", "resource.cluster"), finding("CKV_AWS_999", "aws_vpc.vpc")],
    new Map([[AWS, m]]),
    "infrastructure",
  );
  assert.deepEqual(v.unreviewed.map((f) => `${f.resource} ${f.check_id}`), ["aws_vpc.vpc CKV_AWS_999"]);
  assert.deepEqual(v.reviewed.map((f) => `${f.resource} ${f.check_id}`), ["aws_s3_bucket.velero-bucket CKV_AWS_144", "resource.cluster CKV_AWS_339"]);
  assert.deepEqual(v.stale.map((s) => `${s.resource} ${s.id}`).sort(), ["aws_s3_bucket.velero-bucket CKV2_AWS_61", "aws_s3_bucket.velero-bucket CKV2_AWS_62", "aws_s3_bucket.velero-bucket CKV_AWS_18"]);
  // What checkov cannot parse is left out of its copy, nothing else.
  assert.deepEqual(forCheckov(m), { ...m, terraform: { backend: m.terraform.backend, required_providers: m.terraform.required_providers } });
});

test("npm run infra:check passes the committed modules and fails on a planted unencrypted bucket and a stale exception (real checkov)", async () => {
  const clean = spawnSync("node", ["--import", "tsx", "scripts/infra-check.ts"], { cwd: ROOT, encoding: "utf8" });
  assert.equal(clean.status, 0, clean.stdout + clean.stderr);
  assert.match(clean.stdout, /infra policy: 7 modules, \d+ resources, 7 rules, 0 violations/);
  assert.match(clean.stdout, /checkov 3\.3\.30: \d+ passed, (\d+) failed: \1 reviewed \(an exception with its reason\), 0 unreviewed; 0 stale exceptions/);
  const dir = await scratchRepo();
  try {
    const m = JSON.parse(await readFile(join(dir, AWS), "utf8"));
    // A second bucket, with nothing: not encrypted, not versioned, public access not blocked.
    m.resource.aws_s3_bucket.scratch = { bucket: "bitactor-scratch-use1" };
    // An exception for a finding the bucket no longer has.
    m.resource.aws_vpc.vpc["//"] = { checkov: { skip: [{ id: "CKV2_AWS_11", reason: "Flow logs were once off here; they are on now, so this skip is stale." }] } };
    await writeFile(join(dir, AWS), toTfJson(m));
    const r = spawnSync("node", ["--import", "tsx", join(ROOT, "scripts/infra-check.ts"), dir], { cwd: ROOT, encoding: "utf8" });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /VIOLATION infrastructure\/production\/us-east-1\/main\.tf\.json: aws_s3_bucket\.scratch: encrypted-backups/);
    assert.match(r.stdout, /FINDING infrastructure\/production\/us-east-1\/main\.tf\.json: aws_s3_bucket\.scratch: CKV_AWS_21: .*unreviewed/);
    assert.match(r.stdout, /STALE infrastructure\/production\/us-east-1\/main\.tf\.json: aws_vpc\.vpc: CKV2_AWS_11: no finding needs this exception any more/);
  } finally {
    await removeRepo(dir);
  }
});
