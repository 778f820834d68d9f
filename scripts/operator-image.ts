// npm run operator:image: builds the operator's image (operator/image.json) as an OCI image layout,
// without a container runtime, and says whether its digest is the one recorded.
//
//   npm run operator:image                     # build into operator/dist/image, compare with the recorded digest
//   npm run operator:image -- --pin            # ... and record this tree's digest in operator/image.json
//   npm run operator:image -- --out DIR        # lay the image out elsewhere
//   npm run operator:image -- --scan           # ... then Trivy's vulnerability and secret scan of it
//                                              # (fixable HIGH/CRITICAL fail; needs Trivy's database, online)
//
// Push it with `skopeo copy oci:operator/dist/image:<version> docker://<repository>:<version>`
// (.github/workflows/operator-image.yml does, after scanning it); the digest does not change on the
// way, so what the region files pin is what this prints.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { REPO } from "../lib/repo.ts";
import { main } from "./lib/run.ts";
import { buildOperatorImage, IMAGE_FILE, imageInputs } from "../toolchain/operator-image.ts";
import { writeLayout } from "../toolchain/oci.ts";
import { trivy } from "../toolchain/scanners.ts";

await main(async () => {
  const { values } = parseArgs({ options: { out: { type: "string", default: join(REPO, "operator", "dist", "image") }, pin: { type: "boolean", default: false }, scan: { type: "boolean", default: false } }, strict: true });
  const image = await buildOperatorImage();
  writeLayout(image, values.out!);
  const { repository, digest: recorded } = imageInputs();
  const size = [image.config, ...image.layers].reduce((n, b) => n + b.size, 0);
  console.log(`${repository}:${image.tag}@${image.digest}`);
  console.log(`  layout: ${values.out} (${(size / 1e6).toFixed(1)} MB in ${image.layers.length} layers)`);
  const scan = () => {
    // Fixable only: an advisory Debian has not fixed yet cannot be mended by a rebuild, and would
    // block every release until it is (Trivy's --ignore-unfixed). Reviewed exceptions go into
    // .trivyignore.yaml with their reason, as the rendered tree's do.
    execFileSync(trivy(), ["image", "--input", values.out!, "--scanners", "vuln,secret", "--severity", "HIGH,CRITICAL", "--ignore-unfixed", "--ignorefile", join(REPO, ".trivyignore.yaml"), "--exit-code", "1"], { stdio: "inherit" });
  };
  if (recorded === image.digest) {
    console.log(`  the digest ${IMAGE_FILE} records`);
    if (values.scan) scan();
    return 0;
  }
  if (!values.pin) {
    console.error(`${IMAGE_FILE} records ${recorded}, this tree builds ${image.digest}: the operator or an input changed. Record it with \`npm run operator:image -- --pin\` (and a new version in operator/package.json if ${image.tag} was released).`);
    return 1;
  }
  // Only the digest's line changes; the file's layout and every other byte stay as written.
  const file = join(REPO, IMAGE_FILE);
  const text = readFileSync(file, "utf8");
  const line = /^(\s*"digest": ")sha256:[0-9a-f]{64}(",?)$/m;
  if (!line.test(text)) throw new Error(`${IMAGE_FILE}: no "digest": "sha256:<64 hex>" line to update; nothing was written`);
  writeFileSync(file, text.replace(line, `$1${image.digest}$2`));
  console.log(`  recorded in ${IMAGE_FILE} (was ${recorded})`);
  return 0;
});
