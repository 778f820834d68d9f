// Runs after npm ci / npm install (package.json postinstall): puts the cdktn provider bindings that
// are published only to PyPI into node_modules: @cdktn/provider-google (npm answers 404) and
// @cdktn/provider-azurerm at the release the Go module proxy can build (npm has only an older one).
// jsii packs each binding's npm tarball into its Python wheel for the Python runtime; we take that
// tarball, pinned by the wheel's and the tarball's sha256 in tools/versions.json, and unpack it as
// npm would, without its .jsii assembly (type information for other languages, 100+ MB; neither
// tsc nor node reads it).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "../lib/repo.ts";
import { pypiWheel } from "../toolchain/python.ts";
import { toolVersions, type PypiBindings } from "../lib/versions.ts";

/** Unpacks one binding into node_modules unless the pinned tarball is already there. */
function install(b: PypiBindings): void {
  const pkgName = `@cdktn/${/provider-[a-z]+/.exec(b.tarball)![0]}`;
  const dest = join(REPO, "node_modules", ...pkgName.split("/"));
  const marker = join(dest, ".from-pypi");
  if (existsSync(marker) && readFileSync(marker, "utf8").trim() === b.tarballSha256) return;
  const wheel = pypiWheel(b.pypi, b.version, b.wheelSha256);
  const tmp = mkdtempSync(join(REPO, "node_modules", ".pypi-bindings-"));
  try {
    const tarball = join(tmp, "package.tgz");
    // A wheel is a zip file; python3's zipfile reads it (no unzip program needed).
    execFileSync("python3", ["-c", "import sys, zipfile; open(sys.argv[3], 'wb').write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))", wheel, b.tarball, tarball]);
    const actual = createHash("sha256").update(readFileSync(tarball)).digest("hex");
    if (actual !== b.tarballSha256) throw new Error(`${b.tarball} in ${wheel}: sha256 ${actual}, tools/versions.json pins ${b.tarballSha256}`);
    const out = join(tmp, "package");
    mkdirSync(out);
    execFileSync("tar", ["-xzf", tarball, "-C", out, "--strip-components=1", "--exclude=package/.jsii"]);
    const pkg = JSON.parse(readFileSync(join(out, "package.json"), "utf8")) as { name: string; version: string };
    if (pkg.name !== pkgName || pkg.version !== b.version) throw new Error(`${b.tarball}: holds ${pkg.name}@${pkg.version}, expected ${pkgName}@${b.version}`);
    writeFileSync(join(out, ".from-pypi"), `${b.tarballSha256}\n`);
    rmSync(dest, { recursive: true, force: true });
    mkdirSync(join(dest, ".."), { recursive: true });
    renameSync(out, dest);
    console.log(`${pkgName} ${b.version} unpacked from the PyPI wheel ${b.pypi} ${b.version} into node_modules`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

// No scripts/lib/run.ts here: it loads the generators, which import these very bindings.
try {
  const v = toolVersions();
  for (const b of [v.googleBindings, v.azurermBindings]) install(b);
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  process.exitCode = 1;
}
