import { createHash } from "node:crypto";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { toolVersions } from "../lib/versions.ts";

/**
 * The one build-and-cache helper every program family uses (cluster.ts, scanners.ts,
 * infrastructure.ts, python.ts, sources.ts): Go programs are built from the Go module proxy at the
 * versions pinned in tools/ and cached outside the repository, keyed by version and source, so a warm
 * run builds nothing. The few Debian programs (openssl, shellcheck) are found on PATH; `npm run setup`
 * (scripts/setup.sh) installs them.
 */

/**
 * The environment of every go command: the toolchain tools/versions.json pins. Some modules we build
 * declare a newer Go than the machine's; the go command then fetches the pinned toolchain from the
 * Go module proxy once (it is served there as the module golang.org/toolchain).
 */
export function goEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GOTOOLCHAIN: toolVersions().goToolchain.version };
}

export function cacheDir(): string {
  const dir = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "bitactor-gitops");
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function goVersion(): string {
  const r = spawnSync("go", ["env", "GOVERSION"], { encoding: "utf8", env: goEnv() });
  if (r.error || r.status !== 0) throw new Error(`the go command is needed to build the validation tools: ${r.error?.message ?? r.stderr}`);
  return r.stdout.trim();
}

export function hashOf(...parts: readonly string[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p).update("\0");
  return h.digest("hex").slice(0, 16);
}

/** Builds once into the cache under a key; a failed build leaves nothing under the final name. */
export function cached(name: string, key: string, build: (out: string) => void): string {
  const out = join(cacheDir(), `${name}-${key}`);
  if (existsSync(out)) return out;
  const tmp = `${out}.tmp-${process.pid}`;
  process.stderr.write(`building ${name} (once; cached in ${cacheDir()})...\n`);
  const started = Date.now();
  try {
    build(tmp);
    renameSync(tmp, out);
    // What a cold machine pays per program (the cold figures in docs/versions.md come from these lines).
    process.stderr.write(`built ${name} in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  } finally {
    rmSync(tmp, { force: true });
  }
  return out;
}

export function goBuild(name: string, moduleDir: string, pkg: string, sources: readonly string[], ldflags: readonly string[] = []): string {
  const key = hashOf(goVersion(), pkg, ...ldflags, ...sources.map((f) => readFileSync(join(moduleDir, f), "utf8")));
  return cached(name, key, (out) => {
    execFileSync("go", ["build", "-trimpath", `-ldflags=-s -w ${ldflags.join(" ")}`, "-o", out, pkg], { cwd: moduleDir, env: goEnv(), stdio: ["ignore", "inherit", "inherit"] });
  });
}

/** `go install module/cmd@version` into the cache: for commands whose own go.mod builds as is. */
export function goInstall(name: string, pkg: string, version: string, ldflags: readonly string[] = [], env: NodeJS.ProcessEnv = {}): string {
  return cached(name, hashOf(goVersion(), pkg, version, ...ldflags, JSON.stringify(env)), (out) => {
    const bin = `${out}.d`;
    try {
      execFileSync("go", ["install", "-trimpath", `-ldflags=-s -w ${ldflags.join(" ")}`, `${pkg}@${version}`], { env: { ...goEnv(), ...env, GOBIN: bin }, stdio: ["ignore", "inherit", "inherit"] });
      renameSync(join(bin, name), out);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
}

/**
 * Builds a command inside its downloaded module (a module whose go.mod has replace directives that
 * `go install` refuses, built with those replaces as its authors do), under the given toolchain.
 */
export function inModuleBuild(name: string, module: string, version: string, pkg: string, ldflags: readonly string[], toolchain: string): string {
  return cached(name, hashOf(toolchain, module, version, pkg, ...ldflags), (out) => {
    execFileSync("go", ["build", "-trimpath", `-ldflags=-s -w ${ldflags.join(" ")}`, "-o", out, pkg], { cwd: moduleDir(module, version), env: { ...goEnv(), GOTOOLCHAIN: toolchain }, stdio: ["ignore", "inherit", "inherit"] });
  });
}

/** `go mod download` of one module version: its directory in the module cache, or the proxy's answer. */
function downloadModule(module: string, version: string): { dir: string } | { error: string } {
  const r = spawnSync("go", ["mod", "download", "-json", `${module}@${version}`], { encoding: "utf8", cwd: cacheDir(), env: goEnv() });
  if (r.error) throw new Error(`the go command is needed to build the validation tools: ${r.error.message}`);
  const info = r.stdout ? (JSON.parse(r.stdout) as { Dir?: string; Error?: string }) : {};
  return r.status === 0 && info.Dir ? { dir: info.Dir } : { error: info.Error ?? (r.stderr || `exit ${r.status}`) };
}

/** Where the Go module proxy put a module version (downloaded once into the module cache). */
export function moduleDir(module: string, version: string): string {
  const got = downloadModule(module, version);
  if ("error" in got) throw new Error(`cannot download ${module}@${version} from the Go module proxy: ${got.error}`);
  return got.dir;
}

/** Whether the Go module proxy serves a module version: undefined when it does, else its answer. */
export function moduleMissing(module: string, version: string): string | undefined {
  const got = downloadModule(module, version);
  return "error" in got ? got.error : undefined;
}
