import type { Catalog, RegionSettings } from "../inputs/types.ts";
import { hugepages2Mi } from "../nodes/al2023-user-data.ts";
import { instanceTypeOf } from "../nodes/instance-type.ts";

/** A node pool a region's components run on, as the cloud side creates it. */
export interface StagePool {
  readonly name: string;
  /** The region's machine type for the pool (its own choice, else the catalog's for its cloud). */
  readonly instanceType: string;
  /** 2 MiB hugepages every node reserves: what the pool's components request together (as on AWS, docs/nodes.md). */
  readonly hugepages: number;
  /**
   * Nodes: twice the largest replica count of the pool's components. Each replica needs its own node
   * (per-component anti-affinity), and during a blue/green release the preview stack runs beside the active one.
   */
  readonly nodes: number;
  /** The pool's components want no hypervisor noise or cross-rack hops: placed close together. */
  readonly lowLatency: boolean;
}

/**
 * The pools of the region's components, sorted. A pool is low-latency when a component on it
 * talks to the exchanges or polls a cross-connect NIC (its round trip to the venue is the latency budget).
 */
export function stagePools(catalog: Catalog, region: RegionSettings): StagePool[] {
  const deployed = Object.keys(region.components).sort().map((id) => ({ id, c: catalog.components[id]! }));
  return [...new Set(deployed.map((d) => d.c.nodePool))].sort().map((name) => {
    const here = deployed.filter((d) => d.c.nodePool === name);
    return {
      name,
      instanceType: instanceTypeOf(catalog, region, name),
      hugepages: hugepages2Mi(here.map((d) => d.c.resources.hugepages2Mi)),
      nodes: 2 * Math.max(...here.map((d) => region.components[d.id]!.replicas)),
      lowLatency: here.some((d) => d.c.exchangeEgress || (d.c.acceleratedNetworks ?? []).length > 0),
    };
  });
}
