import { createHash } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * An OCI image as bytes, and its image layout on disk (github.com/opencontainers/image-spec v1.1:
 * manifest.md, config.md, image-layout.md). Layers are uncompressed tars
 * (`application/vnd.oci.image.layer.v1.tar`, which every registry and runtime accepts): gzip's bytes
 * depend on the zlib that writes them, a tar's only on its entries, so the digest is reproducible on
 * any machine. Registries store what they are given; a pull moves more bytes (about 130 MB instead
 * of 45 MB for the operator), once per node.
 */

export interface Blob {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly bytes: Buffer;
}

export interface ImageConfig {
  /** Numeric uid:gid: a runtime checks runAsNonRoot against a number, never a name. */
  readonly user: string;
  readonly entrypoint: readonly string[];
  readonly env: readonly string[];
  readonly workingDir: string;
  readonly exposedPorts: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

export interface OciImage {
  /** The manifest's digest: what a Deployment pins (`repository@sha256:...`). */
  readonly digest: string;
  readonly manifest: Blob;
  readonly config: Blob;
  readonly layers: readonly Blob[];
  /** The tag the layout's index names it by. */
  readonly tag: string;
}

const sha256 = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const blob = (mediaType: string, bytes: Buffer): Blob => ({ mediaType, digest: sha256(bytes), size: bytes.length, bytes });
/** JSON with sorted keys: the same object always serialises to the same bytes. */
export function canonicalJson(value: unknown): Buffer {
  const sort = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sort) : v && typeof v === "object" ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])])) : v;
  return Buffer.from(JSON.stringify(sort(value)));
}

/**
 * The image of `layers` (uncompressed tars, bottom first) and `config`, for linux/amd64. `history`
 * says what each layer is (one line per layer, shown by `crane config` and registries' UIs).
 */
export function ociImage(layers: readonly { tar: Buffer; history: string }[], config: ImageConfig, tag: string): OciImage {
  const layerBlobs = layers.map((l) => blob("application/vnd.oci.image.layer.v1.tar", l.tar));
  const configBlob = blob(
    "application/vnd.oci.image.config.v1+json",
    canonicalJson({
      architecture: "amd64",
      os: "linux",
      // The epoch, as ko and apko write it: a build time would make every build a new digest.
      created: "1970-01-01T00:00:00Z",
      config: {
        User: config.user,
        Entrypoint: config.entrypoint,
        Env: config.env,
        WorkingDir: config.workingDir,
        ExposedPorts: Object.fromEntries(config.exposedPorts.map((p) => [p, {}])),
        Labels: config.labels,
      },
      rootfs: { type: "layers", diff_ids: layerBlobs.map((b) => b.digest) },
      history: layers.map((l) => ({ created: "1970-01-01T00:00:00Z", created_by: l.history })),
    }),
  );
  const descriptor = (b: Blob) => ({ mediaType: b.mediaType, digest: b.digest, size: b.size });
  const manifest = blob(
    "application/vnd.oci.image.manifest.v1+json",
    canonicalJson({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: descriptor(configBlob), layers: layerBlobs.map(descriptor) }),
  );
  return { digest: manifest.digest, manifest, config: configBlob, layers: layerBlobs, tag };
}

/**
 * Writes the image as an OCI image layout into `dir` (replacing what was there): what `skopeo copy
 * oci:<dir>:<tag> docker://...` pushes and `trivy image --input <dir>` scans.
 */
export function writeLayout(image: OciImage, dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "blobs", "sha256"), { recursive: true });
  for (const b of [image.manifest, image.config, ...image.layers]) writeFileSync(join(dir, "blobs", "sha256", b.digest.slice("sha256:".length)), b.bytes);
  writeFileSync(join(dir, "oci-layout"), canonicalJson({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(
    join(dir, "index.json"),
    canonicalJson({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [
        {
          mediaType: image.manifest.mediaType,
          digest: image.manifest.digest,
          size: image.manifest.size,
          platform: { architecture: "amd64", os: "linux" },
          annotations: { "org.opencontainers.image.ref.name": image.tag },
        },
      ],
    }),
  );
}
