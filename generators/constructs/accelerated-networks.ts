import { Construct } from "constructs";
import type { Catalog, Component, RegionSettings } from "../inputs/types.ts";
import { emit } from "../argo.ts";

/** Multus' annotations (k8snetworkplumbingwg multi-net-spec v1.3). */
export const MULTUS = {
  /** Pod annotation: the secondary networks to attach (NetworkAttachmentDefinition names, comma-separated). */
  networks: "k8s.v1.cni.cncf.io/networks",
  /** NetworkAttachmentDefinition annotation: the device-plugin resource its interfaces come from. */
  resourceName: "k8s.v1.cni.cncf.io/resourceName",
} as const;

/**
 * The CNI configuration of an accelerated network: the SR-IOV CNI hands the pod a VF of the
 * device plugin's pool, MAC spoof checking on, not trusted (no promiscuous mode or MAC changes from
 * the pod). No IPAM: the VF is bound to vfio-pci and DPDK addresses it from user space.
 */
export function sriovCniConfig(id: string): Record<string, unknown> {
  return { cniVersion: "1.0.0", name: id, type: "sriov", spoofchk: "on", trust: "off" };
}

/** What a component's pod template gets for its accelerated networks: the Multus annotation and one VF of each. */
export function acceleratedPod(catalog: Catalog, component: Component): { annotations: Record<string, string>; resources: Record<string, string> } {
  const ids = [...(component.acceleratedNetworks ?? [])];
  if (ids.length === 0) return { annotations: {}, resources: {} };
  return {
    annotations: { [MULTUS.networks]: ids.join(",") },
    resources: Object.fromEntries(ids.map((id) => [catalog.acceleratedNetworks[id]!.resourceName, "1"])),
  };
}

export interface StageAcceleratedNetworksProps {
  readonly catalog: Catalog;
  readonly region: RegionSettings;
  readonly labels: Readonly<Record<string, string>>;
}

/** A NetworkAttachmentDefinition per accelerated network a component of the stage uses. */
export class StageAcceleratedNetworks extends Construct {
  constructor(scope: Construct, id: string, props: StageAcceleratedNetworksProps) {
    super(scope, id);
    const used = [...new Set(Object.keys(props.region.components).flatMap((c) => props.catalog.components[c]!.acceleratedNetworks ?? []))].sort();
    for (const net of used) {
      emit(this, net, {
        toJSON: () => ({
          apiVersion: "k8s.cni.cncf.io/v1",
          kind: "NetworkAttachmentDefinition",
          metadata: { name: net, labels: { ...props.labels }, annotations: { [MULTUS.resourceName]: props.catalog.acceleratedNetworks[net]!.resourceName } },
          spec: { config: JSON.stringify(sriovCniConfig(net)) },
        }),
      });
    }
  }
}
