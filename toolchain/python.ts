import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cacheDir, hashOf } from "./build.ts";

/** Programs and wheels from PyPI, pinned and cached like the Go programs (python3 with venv from Debian: scripts/setup.sh). */

/**
 * A program from PyPI at a pinned version, in its own virtual environment in the cache (python3
 * with venv, from Debian when missing: scripts/setup.sh). Returns the program's path.
 */
export function pypiProgram(pkg: string, version: string, program: string = pkg): string {
  const dir = join(cacheDir(), `${pkg}-${hashOf(version)}`);
  const bin = join(dir, "bin", program);
  // A venv names its interpreter by absolute path, so it cannot be built elsewhere and renamed:
  // it is built in place and counts only once the marker is written.
  const done = join(dir, ".installed");
  if (existsSync(done)) return bin;
  rmSync(dir, { recursive: true, force: true });
  process.stderr.write(`installing ${pkg} ${version} from PyPI (once; cached in ${cacheDir()})...\n`);
  const started = Date.now();
  try {
    execFileSync("python3", ["-m", "venv", dir], { stdio: ["ignore", "inherit", "inherit"] });
    execFileSync(join(dir, "bin", "pip"), ["install", "--quiet", "--disable-pip-version-check", `${pkg}==${version}`], { stdio: ["ignore", "inherit", "inherit"] });
    writeFileSync(done, `${version}\n`);
    process.stderr.write(`installed ${pkg} in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return bin;
}

/**
 * A wheel from PyPI (without its dependencies), cached by name and checked against its pinned
 * sha256 on every use: a changed file on the index is refused, never used.
 */
export function pypiWheel(pkg: string, version: string, sha256: string): string {
  const dir = join(cacheDir(), "wheels");
  const pattern = new RegExp(`^${pkg.replace(/-/g, "_")}-${version.replace(/\./g, "\\.")}-.*\\.whl$`);
  const find = () => (existsSync(dir) ? readdirSync(dir).find((f) => pattern.test(f)) : undefined);
  if (!find()) {
    // The pip that python3's venv brings (ensurepip) is enough to download a wheel.
    const venv = join(cacheDir(), "pip-venv");
    if (!existsSync(join(venv, "bin", "pip"))) execFileSync("python3", ["-m", "venv", venv], { stdio: ["ignore", "inherit", "inherit"] });
    const pip = join(venv, "bin", "pip");
    process.stderr.write(`downloading ${pkg} ${version} from PyPI (once; cached in ${dir})...\n`);
    execFileSync(pip, ["download", "--quiet", "--disable-pip-version-check", "--no-deps", "--only-binary=:all:", "-d", dir, `${pkg}==${version}`], { stdio: ["ignore", "inherit", "inherit"] });
  }
  const wheel = join(dir, find() ?? "");
  const actual = createHash("sha256").update(readFileSync(wheel)).digest("hex");
  if (actual !== sha256) throw new Error(`${wheel}: sha256 ${actual}, but tools/versions.json pins ${sha256}; delete it if the download was damaged, or review the new release and pin its hash`);
  return wheel;
}
