import { Construct } from "constructs";
import { Fn, GcsBackend } from "cdktn";
import { GoogleProvider } from "@cdktn/provider-google/lib/provider/index.js";
import { ComputeNetwork } from "@cdktn/provider-google/lib/compute-network/index.js";
import { ComputeSubnetwork } from "@cdktn/provider-google/lib/compute-subnetwork/index.js";
import { ContainerCluster } from "@cdktn/provider-google/lib/container-cluster/index.js";
import { ContainerNodePool } from "@cdktn/provider-google/lib/container-node-pool/index.js";
import { ComputeRouter } from "@cdktn/provider-google/lib/compute-router/index.js";
import { ComputeInterconnect } from "@cdktn/provider-google/lib/compute-interconnect/index.js";
import { ComputeInterconnectAttachment } from "@cdktn/provider-google/lib/compute-interconnect-attachment/index.js";
import { ComputeRouterInterface } from "@cdktn/provider-google/lib/compute-router-interface/index.js";
import { ComputeRouterPeer } from "@cdktn/provider-google/lib/compute-router-peer/index.js";
import { KmsKeyRing } from "@cdktn/provider-google/lib/kms-key-ring/index.js";
import { KmsCryptoKey } from "@cdktn/provider-google/lib/kms-crypto-key/index.js";
import { KmsCryptoKeyIamMember } from "@cdktn/provider-google/lib/kms-crypto-key-iam-member/index.js";
import { StorageBucket } from "@cdktn/provider-google/lib/storage-bucket/index.js";
import { StorageBucketIamMember } from "@cdktn/provider-google/lib/storage-bucket-iam-member/index.js";
import { ServiceAccount } from "@cdktn/provider-google/lib/service-account/index.js";
import { ServiceAccountIamMember } from "@cdktn/provider-google/lib/service-account-iam-member/index.js";
import { DataGoogleStorageProjectServiceAccount } from "@cdktn/provider-google/lib/data-google-storage-project-service-account/index.js";
import { ComputeFirewall } from "@cdktn/provider-google/lib/compute-firewall/index.js";
import { NODE_POOL_KEY } from "../nodes/labels.ts";
import { splitCidr } from "./clouds.ts";
import { stagePools } from "./pools.ts";
import { CROSS_CONNECT } from "./interconnect.ts";
import { skipChecks, type StageModuleProps } from "./module.ts";

/**
 * One GCP stage: a VPC with one regional subnet (nodes, and secondary ranges for pods and
 * services), a private GKE cluster at the target minor with Managed Service for Prometheus and
 * Workload Identity, one node pool per catalog pool the region's components use (machine type,
 * CPU and topology manager, hugepages, compact placement for the low-latency pools, gVNIC),
 * Dedicated Interconnect to each exchange with its attachment and BGP session on a Cloud Router,
 * and Velero's bucket and service account.
 */
export class GcpStage extends Construct {
  constructor(scope: Construct, id: string, props: StageModuleProps) {
    super(scope, id);
    const { catalog, environment, region, stage } = props;
    const infra = region.infrastructure;
    const project = infra.account;
    const cluster = region.cluster.name;
    const labels = { "bitactor-stage": stage, "managed-by": "opentofu" };
    new GcsBackend(scope, { bucket: infra.state.bucket!, prefix: stage });
    new GoogleProvider(this, "google", { project, region: region.region, defaultLabels: labels });

    // The VPC: nodes, pods, services and the control plane's peering range cut from one CIDR.
    const [nodes, pods, services, control] = splitCidr(infra.cidr, 4);
    const network = new ComputeNetwork(this, "vpc", { name: stage, autoCreateSubnetworks: false, mtu: CROSS_CONNECT.gcp.mtu, routingMode: "REGIONAL" });
    const subnet = new ComputeSubnetwork(this, "subnet", {
      name: stage,
      network: network.id,
      region: region.region,
      ipCidrRange: nodes!,
      privateIpGoogleAccess: true,
      secondaryIpRange: [
        { rangeName: "pods", ipCidrRange: pods! },
        { rangeName: "services", ipCidrRange: services! },
      ],
      logConfig: { aggregationInterval: "INTERVAL_5_SEC", flowSampling: 0.5, metadata: "INCLUDE_ALL_METADATA" },
    });

    // Nothing enters the VPC but what a rule admits: its own ranges (nodes, pods, services).
    // GKE adds the control plane's rules itself (cloud.google.com/kubernetes-engine/docs/concepts/firewall-rules).
    new ComputeFirewall(this, "allow-internal", { name: `${stage}-allow-internal`, network: network.id, direction: "INGRESS", priority: 1000, sourceRanges: [infra.cidr], allow: [{ protocol: "all" }], logConfig: { metadata: "INCLUDE_ALL_METADATA" } });
    new ComputeFirewall(this, "deny-ingress", { name: `${stage}-deny-ingress`, network: network.id, direction: "INGRESS", priority: 65534, sourceRanges: ["0.0.0.0/0"], deny: [{ protocol: "all" }], logConfig: { metadata: "INCLUDE_ALL_METADATA" } });

    // Kubernetes secrets and the backups are encrypted with our keys.
    const ring = new KmsKeyRing(this, "keys", { name: stage, location: region.region });
    const key = (name: string) => new KmsCryptoKey(this, `key-${name}`, { name, keyRing: ring.id, rotationPeriod: "7776000s", lifecycle: { preventDestroy: true } });
    const secretsKey = key("gke-secrets");
    const backupKey = key("velero");

    // The cluster: private endpoint only, reachable from the management network and the VPN.
    const gke = new ContainerCluster(this, "cluster", {
      name: cluster,
      location: region.region,
      nodeLocations: [...region.zones],
      minMasterVersion: props.kubernetesMinor,
      // No release channel: the minor moves only by a reviewed change of tools/versions.json.
      releaseChannel: { channel: "UNSPECIFIED" },
      network: network.id,
      subnetwork: subnet.id,
      removeDefaultNodePool: true,
      initialNodeCount: 1,
      deletionProtection: true,
      networkingMode: "VPC_NATIVE",
      ipAllocationPolicy: { clusterSecondaryRangeName: "pods", servicesSecondaryRangeName: "services" },
      privateClusterConfig: { enablePrivateNodes: true, enablePrivateEndpoint: true, masterIpv4CidrBlock: splitCidr(control!, 2 ** (28 - Number(control!.split("/")[1])))[0]! },
      masterAuthorizedNetworksConfig: { cidrBlocks: infra.apiAccessCidrs.map((c) => ({ cidrBlock: c, displayName: "management and VPN" })) },
      workloadIdentityConfig: { workloadPool: `${project}.svc.id.goog` },
      // Google Managed Prometheus: the region's gate queries it through the in-cluster frontend.
      monitoringConfig: { managedPrometheus: { enabled: true }, enableComponents: ["SYSTEM_COMPONENTS"] },
      // Dataplane V2 is required for multi-networking, which gives pods the cross-connect NIC.
      datapathProvider: "ADVANCED_DATAPATH",
      enableMultiNetworking: true,
      databaseEncryption: { state: "ENCRYPTED", keyName: secretsKey.id },
      enableShieldedNodes: true,
      masterAuth: { clientCertificateConfig: { issueClientCertificate: false } },
      resourceLabels: labels,
      // Only for the default pool, which is removed at creation; every pool below sets it too.
      nodeConfig: { workloadMetadataConfig: { mode: "GKE_METADATA" }, shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true } },
    });
    skipChecks(gke, [
      { id: "CKV_GCP_12", reason: "Dataplane V2 (ADVANCED_DATAPATH) enforces NetworkPolicy itself; the network_policy block is for the legacy Calico add-on and conflicts with it." },
      { id: "CKV_GCP_61", reason: "Intranode visibility sends same-node pod traffic through the VPC, a detour on the engine's hot path; the subnet's flow logs cover node-to-node traffic." },
      { id: "CKV_GCP_65", reason: "RBAC through Google Groups needs the organisation's gke-security-groups group, which the inputs do not name yet; access is by IAM and Kubernetes RBAC." },
      { id: "CKV_GCP_66", reason: "Images are admitted by digest from the catalog's registries, enforced by the policy gate in git and the cluster's admission policies; Binary Authorization's project policy is not managed here." },
    ]);
    // The environment's capacityTypes decide, as for Karpenter's NodePools: spot only where it is
    // listed; without it (production) the pools run on capacity reserved ahead (committed use).
    const spot = environment.capacityTypes.includes("spot");
    const reservationAffinity = { consumeReservationType: spot ? "NO_RESERVATION" : "ANY_RESERVATION" };

    // The cluster's own nodes: add-ons and controllers, one pool over the zones, untainted, never spot.
    const systemPool = new ContainerNodePool(this, "pool-system", {
      name: "system",
      cluster: gke.id,
      location: region.region,
      nodeLocations: [...region.zones],
      nodeCount: catalog.systemNodes.perZone,
      management: { autoRepair: true, autoUpgrade: false },
      nodeConfig: {
        machineType: catalog.systemNodes.instanceTypes.gcp,
        labels: { [NODE_POOL_KEY]: "system" },
        reservationAffinity,
        gvnic: { enabled: true },
        workloadMetadataConfig: { mode: "GKE_METADATA" },
        shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
      },
    });
    skipChecks(systemPool, [NO_AUTO_UPGRADE]);

    const tuning = catalog.nodeTuning;
    for (const pool of stagePools(catalog, region)) {
      const np = new ContainerNodePool(this, `pool-${pool.name}`, {
        name: pool.name,
        cluster: gke.id,
        location: region.region,
        // Compact placement keeps a pool in one zone (cloud.google.com/kubernetes-engine/docs/how-to/compact-placement).
        nodeLocations: pool.lowLatency ? [region.zones[0]!] : [...region.zones],
        // Fixed size: GKE's cluster autoscaler does not serve C3 -metal machine types.
        nodeCount: pool.lowLatency ? pool.nodes : Math.ceil(pool.nodes / region.zones.length),
        // Low-latency pools: compact placement, and Tier_1 networking (up to 200 Gbps egress per VM on C3 with gVNIC:
        // cloud.google.com/compute/docs/networking/configure-vm-with-high-bandwidth-configuration).
        ...(pool.lowLatency ? { placementPolicy: { type: "COMPACT" }, networkConfig: { networkPerformanceConfig: { totalEgressBandwidthTier: "TIER_1" } } } : {}),
        management: { autoRepair: true, autoUpgrade: false },
        nodeConfig: {
          machineType: pool.instanceType,
          labels: { [NODE_POOL_KEY]: pool.name },
          taint: [{ key: NODE_POOL_KEY, value: pool.name, effect: "NO_SCHEDULE" }],
          spot,
          reservationAffinity,
          gvnic: { enabled: true },
          workloadMetadataConfig: { mode: "GKE_METADATA" },
          shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
          kubeletConfig: { cpuManagerPolicy: tuning.cpuManagerPolicy, topologyManager: { policy: tuning.topologyManagerPolicy, scope: tuning.topologyManagerScope } },
          linuxNodeConfig: { hugepagesConfig: { hugepageSize2M: pool.hugepages } },
        },
      });
      skipChecks(np, [NO_AUTO_UPGRADE]);
    }

    // Dedicated Interconnect per exchange: the 10G port at the colocation site, its VLAN attachment
    // on the stage's Cloud Router, and the BGP session to our router there.
    const router = new ComputeRouter(this, "router", { name: stage, network: network.id, region: region.region, bgp: { asn: CROSS_CONNECT.gcp.cloudAsn } });
    for (const x of region.exchanges) {
      const name = `${stage}-${x.id.toLowerCase()}`;
      const ic = new ComputeInterconnect(this, `interconnect-${x.id.toLowerCase()}`, {
        name,
        location: `https://www.googleapis.com/compute/v1/projects/${project}/global/interconnectLocations/${x.crossConnect.location}`,
        interconnectType: "DEDICATED",
        linkType: CROSS_CONNECT.gcp.linkType,
        requestedLinkCount: 1,
        customerName: x.crossConnect.provider,
        adminEnabled: true,
      });
      const att = new ComputeInterconnectAttachment(this, `attachment-${x.id.toLowerCase()}`, {
        name,
        region: region.region,
        router: router.id,
        interconnect: ic.id,
        type: "DEDICATED",
        bandwidth: "BPS_10G",
        vlanTag8021Q: x.crossConnect.vlan,
        candidateSubnets: [x.crossConnect.peering],
        mtu: String(CROSS_CONNECT.gcp.mtu),
      });
      const iface = new ComputeRouterInterface(this, `router-interface-${x.id.toLowerCase()}`, { name, router: router.name, region: region.region, ipRange: att.cloudRouterIpAddress, interconnectAttachment: att.selfLink });
      new ComputeRouterPeer(this, `bgp-${x.id.toLowerCase()}`, {
        name,
        router: router.name,
        region: region.region,
        interface: iface.name,
        peerAsn: infra.asn,
        peerIpAddress: Fn.element(Fn.split("/", att.customerRouterIpAddress), 0),
      });
    }

    // Velero: a private, versioned bucket encrypted with our key, and the account its pods use (Workload Identity).
    const gcs = new DataGoogleStorageProjectServiceAccount(this, "gcs-agent", {});
    const keyUser = new KmsCryptoKeyIamMember(this, "velero-key-user", { cryptoKeyId: backupKey.id, role: "roles/cloudkms.cryptoKeyEncrypterDecrypter", member: `serviceAccount:${gcs.emailAddress}` });
    const bucket = new StorageBucket(this, "velero-bucket", {
      name: region.backup.bucket,
      location: region.region.toUpperCase(),
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      versioning: { enabled: true },
      encryption: { defaultKmsKeyName: backupKey.id },
      forceDestroy: false,
      dependsOn: [keyUser],
    });
    skipChecks(bucket, [{ id: "CKV_GCP_62", reason: "Access is audited by Cloud Audit Logs (data access logs of the project); GCS usage logs would need a second bucket per stage." }]);
    const velero = new ServiceAccount(this, "velero", { accountId: `${cluster}-velero`.slice(0, 30), displayName: `Velero of ${cluster}` });
    new StorageBucketIamMember(this, "velero-bucket-access", { bucket: bucket.name, role: "roles/storage.objectAdmin", member: `serviceAccount:${velero.email}` });
    new ServiceAccountIamMember(this, "velero-workload-identity", { serviceAccountId: velero.name, role: "roles/iam.workloadIdentityUser", member: `serviceAccount:${project}.svc.id.goog[${environment.backup.namespace}/velero]` });
  }
}

/** Node versions move with the control plane, by a reviewed change, never during a trading session. */
const NO_AUTO_UPGRADE = { id: "CKV_GCP_10", reason: "Node versions move with the control plane's minor by a reviewed change of tools/versions.json; an automatic upgrade would drain engine nodes during a trading session." };
