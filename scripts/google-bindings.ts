// Runs after npm ci / npm install (package.json postinstall): puts @cdktn/provider-google into
// node_modules. cdktn publishes its Google bindings only to PyPI; the wheel carries the npm tarball
// (jsii packs it for the Python runtime), so we take that tarball, pinned by the wheel's and the
// tarball's sha256 in tools/versions.json, and unpack it as npm would, without the 131 MB .jsii
// assembly (type information for other languages; neither tsc nor node reads it).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO, pypiWheel, toolVersions } from "../harness/tools.ts";
import { main } from "./lib/run.ts";

await main(async () => {
  const g = toolVersions().googleBindings;
  const dest = join(REPO, "node_modules", "@cdktn", "provider-google");
  const marker = join(dest, ".from-pypi");
  if (existsSync(marker) && readFileSync(marker, "utf8").trim() === g.tarballSha256) return 0;
  const wheel = pypiWheel(g.pypi, g.version, g.wheelSha256);
  const tmp = mkdtempSync(join(REPO, "node_modules", ".provider-google-"));
  try {
    const tarball = join(tmp, "package.tgz");
    // A wheel is a zip file; python3's zipfile reads it (no unzip program needed).
    execFileSync("python3", ["-c", "import sys, zipfile; open(sys.argv[3], 'wb').write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))", wheel, g.tarball, tarball]);
    const actual = createHash("sha256").update(readFileSync(tarball)).digest("hex");
    if (actual !== g.tarballSha256) throw new Error(`${g.tarball} in ${wheel}: sha256 ${actual}, tools/versions.json pins ${g.tarballSha256}`);
    const out = join(tmp, "package");
    mkdirSync(out);
    execFileSync("tar", ["-xzf", tarball, "-C", out, "--strip-components=1", "--exclude=package/.jsii"]);
    const pkg = JSON.parse(readFileSync(join(out, "package.json"), "utf8")) as { name: string; version: string };
    if (pkg.name !== "@cdktn/provider-google" || pkg.version !== g.version) throw new Error(`${g.tarball}: holds ${pkg.name}@${pkg.version}, expected @cdktn/provider-google@${g.version}`);
    writeFileSync(join(out, ".from-pypi"), `${g.tarballSha256}\n`);
    rmSync(dest, { recursive: true, force: true });
    mkdirSync(join(dest, ".."), { recursive: true });
    renameSync(out, dest);
    console.log(`@cdktn/provider-google ${g.version} (hashicorp/google bindings) unpacked from ${g.pypi} ${g.version} into node_modules`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return 0;
});
