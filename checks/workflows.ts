import { isMap, isScalar, isSeq, parseDocument, type Document, type Node } from "yaml";

/**
 * Rules for .github/workflows/ that actionlint does not check (test/workflows.test.ts runs both).
 * Pure: the texts are passed in. Each issue names the file, the line and the field.
 *
 * - every `uses:` of another repository is pinned to a full 40-hex commit SHA with the release in a
 *   comment (`owner/repo@<sha> # vX.Y.Z`), and SHA and release are the ones .github/actions.json
 *   records: a tag can be moved to another commit, a SHA cannot;
 * - every `with:` key is an input the action declares at that release (actionlint cannot read the
 *   action.yml of a SHA-pinned action, so a misspelled input would be silently ignored);
 * - least privilege and bounded runs: a top-level `permissions`, a `concurrency`, and a
 *   `timeout-minutes` on every job (GitHub's default is 360 minutes).
 */

export interface PinnedAction {
  readonly version: string;
  readonly sha: string;
  readonly evidence: string;
  readonly inputs: readonly string[];
}

export interface ActionsManifest {
  readonly actions: Readonly<Record<string, PinnedAction>>;
}

export interface WorkflowIssue {
  readonly file: string;
  readonly line: number;
  readonly field: string;
  readonly message: string;
}

const SHA = /^[0-9a-f]{40}$/;

function lineOf(text: string, node: Node | null | undefined): number {
  const offset = node?.range?.[0] ?? 0;
  return text.slice(0, offset).split("\n").length;
}

/** The `# vX.Y.Z` comment after a `uses:` value, read from the source line (the YAML library keeps no trailing comments on scalars). */
function versionComment(text: string, line: number): string | undefined {
  return /#\s*(\S+)\s*$/.exec(text.split("\n")[line - 1] ?? "")?.[1];
}

export function workflowIssues(file: string, text: string, manifest: ActionsManifest): WorkflowIssue[] {
  const issues: WorkflowIssue[] = [];
  const doc: Document = parseDocument(text);
  if (doc.errors.length) return [{ file, line: doc.errors[0]!.linePos?.[0]?.line ?? 1, field: "", message: doc.errors[0]!.message }];
  const root = doc.contents;
  if (!isMap(root)) return [{ file, line: 1, field: "", message: "not a workflow (a mapping is expected)" }];
  const add = (node: Node | null | undefined, field: string, message: string) => issues.push({ file, line: lineOf(text, node), field, message });
  if (!root.has("permissions")) add(root, "/permissions", "no top-level permissions: the GITHUB_TOKEN would get the repository's default scopes; grant what the jobs need (contents: read at least)");
  if (!root.has("concurrency")) add(root, "/concurrency", "no concurrency group: two runs of the same ref would race (cancel superseded pull request runs, queue the rest)");
  const jobs = root.get("jobs", true);
  if (!isMap(jobs)) {
    add(root, "/jobs", "no jobs");
    return issues;
  }
  for (const pair of jobs.items) {
    const jobId = String((pair.key as { value?: unknown })?.value ?? pair.key);
    const job = pair.value;
    if (!isMap(job)) continue;
    if (!job.has("timeout-minutes")) add(job as Node, `/jobs/${jobId}/timeout-minutes`, "no timeout-minutes: a hung job would hold a runner for GitHub's default 360 minutes");
    const steps = job.get("steps", true);
    if (!isSeq(steps)) continue;
    steps.items.forEach((step, i) => {
      if (!isMap(step)) return;
      const uses = step.get("uses", true);
      if (!isScalar(uses)) return;
      const value = String(uses.value);
      const field = `/jobs/${jobId}/steps/${i}/uses`;
      if (value.startsWith("./") || value.startsWith("docker://")) {
        if (value.startsWith("docker://") && !/@sha256:[0-9a-f]{64}$/.test(value)) add(uses, field, `${value}: a container action must be pinned by digest (docker://image@sha256:...)`);
        return;
      }
      const at = value.lastIndexOf("@");
      const name = at > 0 ? value.slice(0, at) : value;
      const revision = at > 0 ? value.slice(at + 1) : "";
      const line = lineOf(text, uses);
      if (!SHA.test(revision)) {
        add(uses, field, `${value}: pin to a full 40-hex commit SHA with the release in a comment (${name}@<sha> # vX.Y.Z); a tag or branch can be moved to other code`);
        return;
      }
      const pinned = manifest.actions[name.split("/").slice(0, 2).join("/")];
      if (!pinned) {
        add(uses, field, `${name} is not in .github/actions.json: record its release, SHA, evidence and declared inputs there first`);
        return;
      }
      if (pinned.sha !== revision) add(uses, field, `${name}@${revision}: .github/actions.json pins ${pinned.sha} (${pinned.version})`);
      const comment = versionComment(text, line);
      if (comment !== pinned.version) add(uses, field, `${name}: the comment should name the release, "# ${pinned.version}" (found ${comment ? `"# ${comment}"` : "none"})`);
      const withMap = step.get("with", true);
      if (isMap(withMap)) {
        for (const item of withMap.items) {
          const key = String((item.key as { value?: unknown })?.value ?? item.key);
          if (!pinned.inputs.includes(key)) {
            add(item.key as Node, `/jobs/${jobId}/steps/${i}/with/${key}`, `${name} ${pinned.version} declares no input "${key}" (it would be ignored); declared: ${pinned.inputs.join(", ")}`);
          }
        }
      }
    });
  }
  return issues;
}

/** The manifest's own consistency: a SHA per action, a version, evidence and inputs. */
export function manifestIssues(manifest: ActionsManifest): string[] {
  return Object.entries(manifest.actions).flatMap(([name, a]) => [
    ...(SHA.test(a.sha) ? [] : [`.github/actions.json: ${name}: sha "${a.sha}" is not a full 40-hex commit SHA`]),
    ...(/^v\d+\.\d+\.\d+$/.test(a.version) ? [] : [`.github/actions.json: ${name}: version "${a.version}" is not a release (vX.Y.Z)`]),
    ...(a.evidence?.trim() ? [] : [`.github/actions.json: ${name}: no evidence that ${a.sha} is ${a.version}`]),
    ...(a.inputs?.length ? [] : [`.github/actions.json: ${name}: no declared inputs`]),
  ]);
}
