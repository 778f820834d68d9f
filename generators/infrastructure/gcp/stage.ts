import { Construct } from "constructs";
import { GcsBackend } from "../cdktn.ts";
import { GoogleProvider, KmsCryptoKey, KmsKeyRing } from "./resources.ts";
import type { StageModuleProps } from "../module.ts";
import { GcpNetwork } from "./network.ts";
import { GkeCluster } from "./cluster.ts";
import { GkeNodePools } from "./node-pools.ts";
import { CloudInterconnect } from "./interconnect.ts";
import { VeleroBucket } from "./backups.ts";

/**
 * One GCP stage: its state (GCS), the provider on the stage's project, the stage's keys, then one
 * construct per concern: the network, the GKE cluster with its system pool, the engine's node pools,
 * Dedicated Interconnect to each exchange, and Velero's bucket.
 */
export class GcpStage extends Construct {
  constructor(scope: Construct, id: string, props: StageModuleProps) {
    super(scope, id);
    const { catalog, environment, region, stage } = props;
    const infra = region.infrastructure;
    const labels = { "bitactor-stage": stage, "managed-by": "opentofu" };
    new GcsBackend(scope, { bucket: infra.state.bucket!, prefix: stage });
    new GoogleProvider(this, "google", { project: infra.account, region: region.region, defaultLabels: labels });
    // Kubernetes secrets and the backups are encrypted with our keys.
    const ring = new KmsKeyRing(this, "keys", { name: stage, location: region.region });
    const key = (name: string) => new KmsCryptoKey(this, `key-${name}`, { name, keyRing: ring.id, rotationPeriod: "7776000s", lifecycle: { preventDestroy: true } });
    const secretsKey = key("gke-secrets");
    const backupKey = key("velero");

    const network = new GcpNetwork(this, "network", { region, stage });
    const gke = new GkeCluster(this, "gke", { catalog, environment, region, kubernetesMinor: props.kubernetesMinor, network, secretsKey, labels });
    new GkeNodePools(this, "pools", { catalog, machines: props.machines, region, gke });
    new CloudInterconnect(this, "interconnect", { region, stage, network: network.network });
    new VeleroBucket(this, "velero", { environment, region, backupKey });
  }
}
