import type { Catalog, Cloud, RegionSettings } from "../generators/inputs/types.ts";
import type { CheckovSkip } from "../generators/infrastructure/module.ts";
import { ON_DEMAND_ONLY_ENVIRONMENT } from "../generators/nodes/provisioners.ts";

/**
 * Checks of the rendered OpenTofu modules (infrastructure/<env>/<region>/main.tf.json): our own
 * policy rules, and the judgement of checkov's findings against the reviewed exceptions each module
 * carries. Pure: scripts/infra-check.ts reads the files and runs checkov.
 */

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface InfraViolation {
  readonly path: string;
  /** `type.name` of the resource. */
  readonly resource: string;
  readonly rule: string;
  readonly message: string;
}

/** The environment whose capacity must be on-demand or reserved, never spot: the one the Karpenter policy holds too. */
const ON_DEMAND_ONLY = ON_DEMAND_ONLY_ENVIRONMENT;

export const INFRA_RULES = {
  "encrypted-backups": "backup buckets and storage accounts are encrypted at rest with a key we control or infrastructure encryption",
  "private-backups": "backup buckets are versioned and never public",
  "private-cluster-api": "the Kubernetes API has no public endpoint",
  "no-open-ingress": "nothing admits 0.0.0.0/0 (or Azure's * / Internet) inbound",
  "capacity-terms": "production runs on on-demand or reserved capacity only, never spot",
  "catalog-instance-types": "every node's instance type is the catalog's for its pool and cloud",
  "reviewed-skips": "every checkov exception names its check and gives a reason",
} as const;

type Rule = keyof typeof INFRA_RULES;

const resources = (m: Json, type: string): [string, Json][] => Object.entries(m.resource?.[type] ?? {});
const ref = (type: string, name: string, attr = "id") => `\${${type}.${name}.${attr}}`;
const OPEN = new Set(["0.0.0.0/0", "*", "Internet", "::/0"]);

/** Every violation of INFRA_RULES in one stage's module. `path` is `infrastructure/<env>/<region>/main.tf.json`. */
export function infrastructureViolations(path: string, m: Json, catalog: Catalog, region?: RegionSettings): InfraViolation[] {
  const out: InfraViolation[] = [];
  const v = (resource: string, rule: Rule, message: string) => out.push({ path, resource, rule, message });
  const environment = path.split("/")[1];
  const cloud = (Object.keys(m.provider ?? {})[0] === "google" ? "gcp" : Object.keys(m.provider ?? {})[0] === "azurerm" ? "azure" : "aws") as Cloud;
  // The catalog's machines for the cloud, and the region's own choices (instanceTypeOf).
  const allowed = new Set([catalog.systemNodes.instanceTypes[cloud], ...Object.values(catalog.nodePools).map((p) => p.instanceTypes[cloud]), ...Object.values(region?.nodePools ?? {}).map((p) => p.instanceType)]);
  const instanceType = (resource: string, t: unknown) => {
    if (typeof t !== "string" || !allowed.has(t)) v(resource, "catalog-instance-types", `${String(t)} is not a ${cloud} instance type of engine/catalog.yaml (${[...allowed].sort().join(", ")})`);
  };

  // AWS
  for (const [name, b] of resources(m, "aws_s3_bucket")) {
    const id = `aws_s3_bucket.${name}`;
    const mine = (type: string) => resources(m, type).map(([, x]) => x).filter((x) => x.bucket === ref("aws_s3_bucket", name));
    const sse = mine("aws_s3_bucket_server_side_encryption_configuration").flatMap((x) => x.rule ?? []);
    if (!sse.some((r: Json) => r.apply_server_side_encryption_by_default?.sse_algorithm === "aws:kms" && r.apply_server_side_encryption_by_default?.kms_master_key_id)) v(id, "encrypted-backups", "no server-side encryption with a KMS key of ours");
    if (!mine("aws_s3_bucket_versioning").some((x) => x.versioning_configuration?.status === "Enabled")) v(id, "private-backups", "versioning is not enabled");
    const block = mine("aws_s3_bucket_public_access_block")[0];
    if (!block || !["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"].every((k) => block[k] === true)) v(id, "private-backups", "public access is not blocked (all four settings of aws_s3_bucket_public_access_block)");
    if (b.acl && b.acl !== "private") v(id, "private-backups", `acl ${b.acl}`);
  }
  for (const [name, c] of resources(m, "aws_eks_cluster")) {
    if (c.vpc_config?.endpoint_public_access !== false) v(`aws_eks_cluster.${name}`, "private-cluster-api", "vpc_config.endpoint_public_access must be false");
  }
  for (const [name, sg] of resources(m, "aws_security_group")) {
    for (const rule of sg.ingress ?? []) for (const c of [...(rule.cidr_blocks ?? []), ...(rule.ipv6_cidr_blocks ?? [])]) if (OPEN.has(c)) v(`aws_security_group.${name}`, "no-open-ingress", `ingress from ${c}`);
  }
  for (const [name, g] of resources(m, "aws_eks_node_group")) {
    if (environment === ON_DEMAND_ONLY && g.capacity_type !== "ON_DEMAND") v(`aws_eks_node_group.${name}`, "capacity-terms", `capacity_type ${g.capacity_type ?? "(unset)"} in ${environment}`);
    for (const t of g.instance_types ?? [undefined]) instanceType(`aws_eks_node_group.${name}`, t);
  }

  // GCP
  for (const [name, b] of resources(m, "google_storage_bucket")) {
    const id = `google_storage_bucket.${name}`;
    if (!b.encryption?.default_kms_key_name) v(id, "encrypted-backups", "no default KMS key");
    if (b.versioning?.enabled !== true) v(id, "private-backups", "versioning is not enabled");
    if (b.public_access_prevention !== "enforced" || b.uniform_bucket_level_access !== true) v(id, "private-backups", "public_access_prevention must be enforced, with uniform bucket-level access");
  }
  for (const [name, c] of resources(m, "google_container_cluster")) {
    const id = `google_container_cluster.${name}`;
    if (c.private_cluster_config?.enable_private_endpoint !== true || c.private_cluster_config?.enable_private_nodes !== true) v(id, "private-cluster-api", "private_cluster_config must enable the private endpoint and private nodes");
    for (const b of c.master_authorized_networks_config?.cidr_blocks ?? []) if (OPEN.has(b.cidr_block)) v(id, "no-open-ingress", `master authorised network ${b.cidr_block}`);
    if (!c.master_authorized_networks_config) v(id, "no-open-ingress", "no master_authorized_networks_config: every address inside Google's network may reach the API");
  }
  for (const [name, f] of resources(m, "google_compute_firewall")) {
    if ((f.direction ?? "INGRESS") === "INGRESS" && f.allow && (f.source_ranges ?? []).some((c: string) => OPEN.has(c))) v(`google_compute_firewall.${name}`, "no-open-ingress", `allows ingress from ${f.source_ranges.join(", ")}`);
  }
  for (const [name, p] of resources(m, "google_container_node_pool")) {
    const id = `google_container_node_pool.${name}`;
    if (environment === ON_DEMAND_ONLY && (p.node_config?.spot === true || p.node_config?.preemptible === true)) v(id, "capacity-terms", `spot or preemptible nodes in ${environment}`);
    if (environment === ON_DEMAND_ONLY && p.node_config?.reservation_affinity?.consume_reservation_type !== "ANY_RESERVATION") v(id, "capacity-terms", `production pools consume reserved capacity (reservation_affinity ANY_RESERVATION)`);
    instanceType(id, p.node_config?.machine_type);
  }

  // Azure
  for (const [name, a] of resources(m, "azurerm_storage_account")) {
    const id = `azurerm_storage_account.${name}`;
    if (a.infrastructure_encryption_enabled !== true || a.min_tls_version !== "TLS1_2") v(id, "encrypted-backups", "infrastructure_encryption_enabled and min_tls_version TLS1_2 are required");
    if (a.public_network_access_enabled !== false || a.allow_nested_items_to_be_public !== false) v(id, "private-backups", "public network access and public blobs must be off");
    if (a.blob_properties?.versioning_enabled !== true) v(id, "private-backups", "blob versioning is not enabled");
  }
  for (const [name, c] of resources(m, "azurerm_storage_container")) {
    if (c.container_access_type && c.container_access_type !== "private") v(`azurerm_storage_container.${name}`, "private-backups", `container_access_type ${c.container_access_type}`);
  }
  for (const [name, c] of resources(m, "azurerm_kubernetes_cluster")) {
    const id = `azurerm_kubernetes_cluster.${name}`;
    if (c.private_cluster_enabled !== true) v(id, "private-cluster-api", "private_cluster_enabled must be true");
    for (const r of c.api_server_access_profile?.authorized_ip_ranges ?? []) if (OPEN.has(r)) v(id, "no-open-ingress", `authorised IP range ${r}`);
    instanceType(`${id} default_node_pool`, c.default_node_pool?.vm_size);
  }
  for (const [name, g] of resources(m, "azurerm_network_security_group")) {
    for (const r of g.security_rule ?? []) {
      if (r.direction === "Inbound" && r.access === "Allow" && [r.source_address_prefix, ...(r.source_address_prefixes ?? [])].some((c: string) => OPEN.has(c))) v(`azurerm_network_security_group.${name}`, "no-open-ingress", `rule ${r.name} allows inbound from ${r.source_address_prefix}`);
    }
  }
  for (const [name, p] of resources(m, "azurerm_kubernetes_cluster_node_pool")) {
    const id = `azurerm_kubernetes_cluster_node_pool.${name}`;
    if (environment === ON_DEMAND_ONLY && p.priority === "Spot") v(id, "capacity-terms", `Spot priority in ${environment}`);
    instanceType(id, p.vm_size);
  }

  // Every reviewed exception, on every resource.
  for (const [type, byName] of Object.entries(m.resource ?? {})) {
    for (const [name, r] of Object.entries(byName as Record<string, Json>)) {
      for (const s of (r["//"]?.checkov?.skip ?? []) as CheckovSkip[]) {
        if (!/^CKV2?_[A-Z0-9]+_[0-9]+$/.test(s.id ?? "")) v(`${type}.${name}`, "reviewed-skips", `"${s.id}" is not a checkov check id`);
        if (typeof s.reason !== "string" || s.reason.trim().length < 20) v(`${type}.${name}`, "reviewed-skips", `${s.id}: a skip needs its reason (a sentence)`);
      }
    }
  }
  return out;
}

/** One failed check as checkov's JSON reports it (`-o json`), relative to the scanned folder. */
export interface CheckovFinding {
  readonly check_id: string;
  readonly check_name: string;
  /** `type.name`, or `resource.name` for some checks of the terraform_json framework (checkov 3.3.30). */
  readonly resource: string;
  /** The module's path relative to the scanned folder, starting with `/`. */
  readonly file_path: string;
}

export interface CheckovVerdict {
  /** Findings without a skip on their resource: each fails the check. */
  readonly unreviewed: (CheckovFinding & { path: string })[];
  /** Findings a skip with a reason covers. */
  readonly reviewed: (CheckovFinding & { path: string; reason: string })[];
  /** Skips no finding needs any more: removed, so the list of exceptions stays true. */
  readonly stale: { path: string; resource: string; id: string }[];
}

/**
 * Judges checkov's failed checks against the skips the modules carry. checkov does not read skips in
 * JSON modules (bridgecrewio/checkov#4634: no inline suppression for terraform_json), so the
 * exceptions live in each resource's `"//"` comment and are applied here, by check id and resource.
 */
export function judgeCheckov(findings: readonly CheckovFinding[], modules: ReadonlyMap<string, Json>, folder: string): CheckovVerdict {
  const unreviewed: CheckovVerdict["unreviewed"] = [];
  const reviewed: CheckovVerdict["reviewed"] = [];
  const used = new Set<string>();
  for (const f of findings) {
    const path = `${folder}${f.file_path}`;
    const m = modules.get(path);
    const [type, name] = f.resource.split(".") as [string, string];
    // "resource.<name>": checkov lost the type; names are unique within a module (generators/infrastructure/module.ts).
    const types = type === "resource" ? Object.keys(m?.resource ?? {}).filter((t) => m.resource[t][name]) : [type];
    const hit = types.flatMap((t) => ((m?.resource?.[t]?.[name]?.["//"]?.checkov?.skip ?? []) as CheckovSkip[]).filter((s) => s.id === f.check_id).map((s) => ({ t, s })))[0];
    if (hit) {
      used.add(`${path}|${hit.t}.${name}|${f.check_id}`);
      reviewed.push({ ...f, path, reason: hit.s.reason });
    } else unreviewed.push({ ...f, path });
  }
  const stale: CheckovVerdict["stale"] = [];
  for (const [path, m] of modules) {
    for (const [type, byName] of Object.entries(m.resource ?? {})) {
      for (const [name, r] of Object.entries(byName as Record<string, Json>)) {
        for (const s of (r["//"]?.checkov?.skip ?? []) as CheckovSkip[]) if (!used.has(`${path}|${type}.${name}|${s.id}`)) stale.push({ path, resource: `${type}.${name}`, id: s.id });
      }
    }
  }
  return { unreviewed, reviewed, stale };
}

/**
 * The module as checkov is given it: checkov 3.3.30's terraform_json parser fails on a string in
 * the `terraform` block (handle_block_type hands `required_version` to hclify, which takes only
 * objects: "this method receives only dicts"), so that one key is left out; nothing it checks is in it.
 */
export function forCheckov(m: Json): Json {
  const { required_version: _, ...terraform } = m.terraform ?? {};
  void _;
  return { ...m, terraform };
}
