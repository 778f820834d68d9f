import type { Cloud } from "../inputs/types.ts";
import { AwsStage } from "./aws/stage.ts";
import { AzureStage } from "./azure/stage.ts";
import { GcpStage } from "./gcp/stage.ts";
import type { StageModuleConstructor } from "./module.ts";

/** The stage module of each cloud: adding a cloud is one entry. */
export const CLOUD_MODULES: Readonly<Record<Cloud, StageModuleConstructor>> = { aws: AwsStage, gcp: GcpStage, azure: AzureStage };
