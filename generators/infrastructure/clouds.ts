import type { Cloud, RegionSettings, StateBackend } from "../inputs/types.ts";

/**
 * What each cloud needs in a region file's `infrastructure`: a table, so a cloud is one entry and no
 * generator asks which cloud it is.
 */
export interface CloudAccountRules {
  /** What `account` is on this cloud, and its form. */
  readonly account: { readonly means: string; readonly pattern: RegExp };
  /** Whether `tenant` is required (Azure) or must be absent. */
  readonly tenant: boolean;
  /** The fields `state` must hold, exactly (the OpenTofu backend's). */
  readonly state: readonly (keyof StateBackend)[];
  /** The backend, as README "Infrastructure" names it. */
  readonly backend: string;
  /**
   * The longest `cluster.name` this cloud's module can name its identities after, and why: a name
   * the module would have to cut would no longer be the one the add-ons' values spell. @default no limit beyond the schema's
   */
  readonly clusterName?: { readonly maxLength: number; readonly pattern: RegExp; readonly allowed: string; readonly why: string };
}

export const CLOUD_ACCOUNTS: Readonly<Record<Cloud, CloudAccountRules>> = {
  aws: { account: { means: "the AWS account id (12 digits)", pattern: /^[0-9]{12}$/ }, tenant: false, state: ["bucket", "region"], backend: "S3 with S3-native locking" },
  // Project ids: 6 to 30 lower-case letters, digits and hyphens, starting with a letter (cloud.google.com/resource-manager/docs/creating-managing-projects).
  // Service account ids: 6 to 30 characters, [a-z]([-a-z0-9]*[a-z0-9]) (cloud.google.com/iam/docs/service-accounts-create); the module's Velero account is <cluster>-velero.
  gcp: { account: { means: "the GCP project id", pattern: /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/ }, tenant: false, state: ["bucket"], backend: "GCS (locking built in)", clusterName: { maxLength: 30 - "-velero".length, pattern: /^[a-z][-a-z0-9]*$/, allowed: "a lower-case letter, then lower-case letters, digits and hyphens", why: "its Velero service account id, <cluster>-velero, which engine/addons.yaml's GKE annotation spells too, may have at most 30 characters on GCP, of those" } },
  azure: { account: { means: "the Azure subscription id (a UUID)", pattern: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/ }, tenant: true, state: ["resourceGroup", "storageAccount", "container"], backend: "Azure Storage (blob lease locking)" },
};

/** An IPv4 CIDR as [first address, prefix length]. */
export function parseCidr(c: string): [number, number] {
  const [ip, len] = c.split("/");
  const n = ip!.split(".").reduce((a, o) => a * 256 + Number(o), 0);
  return [n, Number(len)];
}

export function formatCidr(n: number, len: number): string {
  return `${[24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".")}/${len}`;
}

export function cidrsOverlap(a: string, b: string): boolean {
  const [na, la] = parseCidr(a);
  const [nb, lb] = parseCidr(b);
  const len = Math.min(la, lb);
  const block = 2 ** (32 - len);
  return Math.floor(na / block) === Math.floor(nb / block);
}

/**
 * The VPC/VNet split over the zones: the smallest power of two of equal subnets that holds one per
 * zone, in zone order (a /16 over three zones: three /18s, the fourth left free for growth).
 */
export function zoneSubnets(cidr: string, zones: readonly string[]): { zone: string; cidr: string }[] {
  const blocks = splitCidr(cidr, zones.length);
  return zones.map((zone, i) => ({ zone, cidr: blocks[i]! }));
}

/** The GCP service account Velero's pods act as (Workload Identity), as the module creates it and the Velero add-on's GKE annotation names it. */
export const veleroServiceAccountId = (cluster: string): string => `${cluster}-velero`;

/** A region's `cluster.name` its cloud's module could not name its identities after, or undefined. */
export function clusterNameIssue(r: RegionSettings): string | undefined {
  const rule = CLOUD_ACCOUNTS[r.cloud].clusterName;
  if (!rule) return undefined;
  if (r.cluster.name.length > rule.maxLength) return `"${r.cluster.name}" has ${r.cluster.name.length} characters; on ${r.cloud} at most ${rule.maxLength}: ${rule.why}`;
  if (!rule.pattern.test(r.cluster.name)) return `"${r.cluster.name}": on ${r.cloud} ${rule.allowed}: ${rule.why}`;
  return undefined;
}

/** Problems of a region's `infrastructure` for its cloud: path under `infrastructure`, message, optional key. */
export function infrastructureIssues(r: RegionSettings): { path: (string | number)[]; message: string; atKey?: string }[] {
  const out: { path: (string | number)[]; message: string; atKey?: string }[] = [];
  const i = r.infrastructure;
  const rules = CLOUD_ACCOUNTS[r.cloud];
  if (!rules.account.pattern.test(i.account)) out.push({ path: ["account"], message: `on ${r.cloud} this is ${rules.account.means}; got "${i.account}"` });
  if (rules.tenant && !i.tenant) out.push({ path: [], message: `an ${r.cloud} region needs tenant (the Azure AD tenant id of the subscription)` });
  if (!rules.tenant && i.tenant) out.push({ path: [], message: `unused on ${r.cloud}: tenant is Azure's; remove it`, atKey: "tenant" });
  const have = Object.keys(i.state).sort();
  const want: string[] = [...rules.state].sort();
  for (const k of want) if (!have.includes(k)) out.push({ path: ["state"], message: `the ${rules.backend} backend needs ${want.join(", ")}; ${k} is missing` });
  for (const k of have) if (!want.includes(k)) out.push({ path: ["state"], message: `the ${rules.backend} backend takes only ${want.join(", ")}`, atKey: k });
  // RFC 6996 private ASNs: the public ones between belong to someone else's network.
  if (i.asn > 65534 && i.asn < 4200000000) out.push({ path: ["asn"], message: `${i.asn} is a public ASN; use a private one (64512-65534 or 4200000000-4294967294, RFC 6996)` });
  const [, len] = parseCidr(i.cidr);
  // Each zone's subnet must still hold a node and pod range (/22 at least: 1,024 addresses).
  const zoneLen = len + Math.ceil(Math.log2(r.zones.length));
  if (len < 8 || zoneLen > 22) out.push({ path: ["cidr"], message: `a /${len} split over ${r.zones.length} zones gives /${zoneLen} subnets; use /8 to /${22 - Math.ceil(Math.log2(r.zones.length))}` });
  i.apiAccessCidrs.forEach((c, k) => {
    // The API must never be open to the internet: a prefix shorter than /8 covers public space.
    if (parseCidr(c)[1] < 8) out.push({ path: ["apiAccessCidrs", k], message: `${c} opens the Kubernetes API far beyond the management network; use the management and VPN ranges (/8 or longer)` });
  });
  r.exchanges.forEach((x) => {
    for (const c of x.cidrs) if (cidrsOverlap(c, i.cidr)) out.push({ path: ["cidr"], message: `${i.cidr} overlaps ${x.id}'s cross-connect subnet ${c}: traffic to the venue would stay in the VPC` });
  });
  const sigv4 = r.prometheus.authentication?.sigv4;
  const arnAccount = sigv4 ? /^arn:aws:iam::([0-9]{12}):/.exec(sigv4.roleArn)?.[1] : undefined;
  if (arnAccount && arnAccount !== i.account) out.push({ path: ["account"], message: `prometheus.authentication.sigv4.roleArn is in account ${arnAccount}; the stage's account is ${i.account}` });
  return out;
}

/** A CIDR cut into `parts` equal blocks (a power of two), in address order. */
export function splitCidr(cidr: string, parts: number): string[] {
  const [base, len] = parseCidr(cidr);
  const bits = Math.ceil(Math.log2(parts));
  return Array.from({ length: 2 ** bits }, (_, i) => formatCidr(base + i * 2 ** (32 - len - bits), len + bits));
}
