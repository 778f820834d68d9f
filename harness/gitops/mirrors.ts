import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { moduleDir } from "../../toolchain/build.ts";
import { moduleVersion, type AddonPin, type ToolVersions } from "../../lib/versions.ts";
import { git } from "./test-tree.ts";

/**
 * The GitOps e2e stands in for the internet: each add-on's upstream source, served from a local git
 * repository at the pinned tag, filled from the Go module proxy. A Go module at version vX is the
 * upstream repository's tree at tag vX (go.dev/ref/mod, "Mapping versions to commits"), so a mirror
 * made from it holds the same kustomizations and charts Argo CD would fetch from GitHub. What cannot
 * be served this way (a Helm chart repository, an OCI artifact, a release without a Go module) is
 * listed with the reason, and the test tree delivers it nowhere (engine/addons.yaml `enabled: false`);
 * those stay checked statically by the render (exact version, source shape).
 */

export interface ServedAddon {
  readonly id: string;
  /** The pinned release, as the Applications name it (the mirror's tag). */
  readonly version: string;
  /** file:// URL of the local mirror. */
  readonly url: string;
  /** Every release the mirror holds (the pinned one and any earlier one asked for), tag → commit. */
  readonly releases: Readonly<Record<string, string>>;
}

export interface UnservedAddon {
  readonly id: string;
  readonly version: string;
  readonly source: string;
  readonly why: string;
}

/** Which pinned add-ons a mirror can serve: a git source whose tree ships as a Go module. */
export function servable(versions: ToolVersions): { served: { id: string; pin: AddonPin }[]; unserved: UnservedAddon[] } {
  const served: { id: string; pin: AddonPin }[] = [];
  const unserved: UnservedAddon[] = [];
  for (const [id, pin] of Object.entries(versions.addons)) {
    if (typeof pin === "string") continue;
    if (pin.source.type !== "git") {
      unserved.push({ id, version: pin.version, source: pin.source.repoURL, why: `a ${pin.source.type === "oci" ? "Helm chart in an OCI registry" : "Helm chart repository"}: no registry runs offline here` });
    } else if (!pin.module) {
      unserved.push({ id, version: pin.version, source: pin.source.repoURL, why: "no Go module ships its tree (tools/versions.json names none)" });
    } else served.push({ id, pin });
  }
  return { served, unserved };
}

/**
 * One git repository per servable add-on under `dir`, one commit per release, each tagged: first any
 * earlier release `earlier` asks for (an add-on id → its older tag, which the GitOps e2e starts from
 * to upgrade by commit), then the pinned one. Each commit is the module's files as they are (the
 * module cache is read-only; git reads it as the work tree and copies nothing else).
 */
export function createMirrors(dir: string, versions: ToolVersions, earlier: Readonly<Record<string, string>> = {}): { served: ServedAddon[]; unserved: UnservedAddon[] } {
  const { served, unserved } = servable(versions);
  for (const id of Object.keys(earlier)) {
    if (!served.some((a) => a.id === id)) throw new Error(`an earlier release of ${id} was asked for, but it is not served offline`);
  }
  const out: ServedAddon[] = [];
  for (const { id, pin } of served) {
    const mirror = join(dir, `${id}.git`);
    mkdirSync(mirror, { recursive: true });
    git(mirror, "init", "-q", "-b", "main");
    const releases: Record<string, string> = {};
    for (const version of [...(earlier[id] ? [earlier[id]!] : []), pin.version]) {
      const tree = moduleDir(pin.module!, moduleVersion(version));
      const inTree = (...args: string[]) => git(tree, `--git-dir=${join(mirror, ".git")}`, `--work-tree=${tree}`, ...args);
      // -f: the module holds exactly the tag's tree; an upstream .gitignore must not drop part of it.
      inTree("add", "-A", "-f", ".");
      inTree("commit", "-q", "--allow-empty", "-m", `${pin.module}@${moduleVersion(version)} from the Go module proxy`);
      git(mirror, "tag", version);
      releases[version] = git(mirror, "rev-parse", `${version}^{commit}`);
    }
    // Argo CD clones this repository; nothing checks its work tree out here.
    writeFileSync(join(mirror, ".git", "description"), `${id} ${Object.keys(releases).join(", ")}, mirrored from ${pin.source.repoURL}\n`);
    out.push({ id, version: pin.version, url: `file://${mirror}`, releases });
  }
  return { served: out, unserved };
}
