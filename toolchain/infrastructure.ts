import { toolVersions } from "../lib/versions.ts";
import { inModuleBuild } from "./build.ts";

/** The infrastructure tools npm run infra:validate runs, built inside their downloaded modules (their go.mod has replaces). */

/** OpenTofu at the version in tools/versions.json (its `why` says why in its module, with Go 1.26). */
export function tofu(): string {
  const t = toolVersions().opentofu;
  return inModuleBuild("tofu", t.module, t.version, "./cmd/tofu", ["-X github.com/opentofu/opentofu/version.dev=no"], t.goToolchain);
}

/** The azurerm provider from the Go module proxy, stamped with the release it is installed as (tools/versions.json). */
export function azurermProvider(): string {
  const p = toolVersions().azurermProvider;
  return inModuleBuild("terraform-provider-azurerm", p.module, p.moduleVersion, ".", [`-X github.com/hashicorp/terraform-provider-azurerm/version.ProviderVersion=${p.version}`], p.goToolchain);
}
