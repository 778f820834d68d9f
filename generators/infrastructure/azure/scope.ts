import type { ResourceGroup } from "./resources.ts";
import type { RegionSettings } from "../../inputs/types.ts";

/** What every construct of an Azure stage gets: where, which stage, its resource group and tags. */
export interface AzureScope {
  readonly region: RegionSettings;
  /** `<environment>-<region>`. */
  readonly stage: string;
  /** The stage's resource group. */
  readonly group: ResourceGroup;
  readonly tags: Readonly<Record<string, string>>;
}
