import { Construct } from "constructs";
import { ContainerCluster, ContainerNodePool, type KmsCryptoKey } from "./resources.ts";
import { NODE_POOL_KEY } from "../../nodes/labels.ts";
import { skipChecks } from "../module.ts";
import type { Catalog, EnvironmentSettings, RegionSettings } from "../../inputs/types.ts";
import type { GcpNetwork } from "./network.ts";

export interface GkeClusterProps {
  readonly catalog: Catalog;
  readonly environment: EnvironmentSettings;
  readonly region: RegionSettings;
  /** The Kubernetes minor (`1.36`). */
  readonly kubernetesMinor: string;
  readonly network: GcpNetwork;
  /** Encrypts Kubernetes secrets. */
  readonly secretsKey: KmsCryptoKey;
  /** Labels on the cluster. */
  readonly labels: Readonly<Record<string, string>>;
}

/** Node versions move with the control plane, by a reviewed change, never during a trading session. */
export const NO_AUTO_UPGRADE = { id: "CKV_GCP_10", reason: "Node versions move with the control plane's minor by a reviewed change of tools/versions.json; an automatic upgrade would drain engine nodes during a trading session." };

/**
 * A private GKE cluster at the target minor: private endpoint only, reachable from `apiAccessCidrs`;
 * no release channel; Dataplane V2 with multi-networking; Workload Identity; Managed Service for
 * Prometheus; secrets encrypted with our key; and the system pool (the catalog's `systemNodes`).
 */
export class GkeCluster extends Construct {
  readonly cluster: ContainerCluster;
  /** Where the environment's capacity terms put the pools: spot, or reserved capacity. */
  readonly capacity: { readonly spot: boolean; readonly reservationAffinity: { readonly consumeReservationType: string } };

  constructor(scope: Construct, id: string, props: GkeClusterProps) {
    super(scope, id);
    const { catalog, environment, region, network: net, secretsKey, labels } = props;
    const infra = region.infrastructure;
    const project = infra.account;
    const cluster = region.cluster.name;
    const network = net.network;
    const subnet = net.subnet;
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
      privateClusterConfig: { enablePrivateNodes: true, enablePrivateEndpoint: true, masterIpv4CidrBlock: net.controlPlaneCidr },
      masterAuthorizedNetworksConfig: { cidrBlocks: infra.apiAccessCidrs.map((c) => ({ cidrBlock: c, displayName: "management and VPN" })) },
      workloadIdentityConfig: { workloadPool: `${project}.svc.id.goog` },
      // Google Managed Prometheus for the cluster's own metrics; the gate reads the stage's Prometheus
      // in the cluster (its region file says why).
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
    this.cluster = gke;
    // The environment's capacityTypes decide, as for Karpenter's NodePools: spot only where it is
    // listed; without it (production) the pools run on capacity reserved ahead (committed use).
    const spot = environment.capacityTypes.includes("spot");
    const reservationAffinity = { consumeReservationType: spot ? "NO_RESERVATION" : "ANY_RESERVATION" };

    this.capacity = { spot, reservationAffinity };

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

  }
}
