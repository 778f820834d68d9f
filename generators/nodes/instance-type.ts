import type { Catalog, RegionSettings } from "../inputs/types.ts";

/** The machine type a region runs a catalog pool on: the region's own choice, else the catalog's for its cloud. */
export function instanceTypeOf(catalog: Catalog, region: RegionSettings, pool: string): string {
  return region.nodePools?.[pool]?.instanceType ?? catalog.nodePools[pool]!.instanceTypes[region.cloud];
}
