import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeLayout, type OciImage } from "../../toolchain/oci.ts";

/**
 * The image as a runtime sees it: its OCI layout in `dir/layout`, and its layers unpacked in order by
 * GNU tar (another implementation than the writer's) into `dir/root`, owners and modes kept (root only).
 */
export function unpackImage(image: OciImage, dir: string): { readonly layout: string; readonly root: string } {
  const layout = join(dir, "layout");
  const root = join(dir, "root");
  writeLayout(image, layout);
  mkdirSync(root);
  for (const l of image.layers) execFileSync("tar", ["-xf", join(layout, "blobs", "sha256", l.digest.slice("sha256:".length)), "-C", root, "--same-owner", "--same-permissions"]);
  return { layout, root };
}
