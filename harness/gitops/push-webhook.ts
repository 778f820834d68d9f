import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * What a git host does on every push: POST a push event to Argo CD's webhook (`/api/webhook` on its
 * API server, argo-cd docs operator-manual/webhook.md), so Argo CD refreshes every Application that
 * reads the repository at once instead of at its next poll. The test repository is committed to in
 * place, never pushed, so its post-commit hook stands in for the host: every commit the loop makes
 * (an edit, `git revert`, a release) sends the event before `git commit` returns.
 *
 * The event is GitHub's push payload with no list of changed files, which Argo CD reads as "refresh
 * every Application of this repository and branch" (util/webhook/webhook.go affectedRevisionInfo,
 * and util/app/path AppFilesHaveChanged: no changed files means a refresh is required); the
 * refresh it requests resolves the branch anew, past the repo-server's revision cache
 * (controller/appcontroller.go needRefreshAppStatus: a requested refresh is
 * CompareWithLatestForceResolve). No secret is set in argocd-secret, so Argo CD checks no signature.
 *
 * A refused delivery cannot fail the commit (git ignores a post-commit hook's exit status), so the
 * hook writes it to a file `failures()` reads: the loop reports it instead of silently waiting for
 * Argo CD's next poll.
 */
export function installPushWebhook(repo: string, repoUrl: string, argocdServer: string): { failures(): string[] } {
  const failuresFile = join(repo, ".git", "webhook-failures");
  const hook = join(repo, ".git", "hooks", "post-commit");
  const config = JSON.stringify({ url: `https://${argocdServer}/api/webhook`, repoUrl, failuresFile });
  // CommonJS by its extension, whatever package.json says about the repository's own files.
  const program = join(repo, ".git", "hooks", "post-commit.cjs");
  writeFileSync(program, `// Written by harness/gitops/push-webhook.ts: the git host's push webhook to Argo CD.
const { request } = require("node:https");
const { execFileSync } = require("node:child_process");
const { appendFileSync } = require("node:fs");
const { url, repoUrl, failuresFile } = ${config};
const after = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8" }).trim();
const body = JSON.stringify({ ref: "refs/heads/main", after, repository: { html_url: repoUrl, default_branch: "main" } });
const failed = (why) => { appendFileSync(failuresFile, after + ": " + why + "\\n"); process.stderr.write("push webhook: " + why + "\\n"); };
// Argo CD's API server serves TLS with the certificate it made itself at first start.
const req = request(url, { method: "POST", rejectUnauthorized: false, timeout: 10000, headers: { "Content-Type": "application/json", "X-GitHub-Event": "push", "Content-Length": Buffer.byteLength(body) } }, (res) => {
  let text = "";
  res.on("data", (c) => (text += c));
  res.on("end", () => { if (res.statusCode !== 200) failed("HTTP " + res.statusCode + " " + text.trim()); });
});
req.on("timeout", () => req.destroy(new Error("no answer in 10 s")));
req.on("error", (e) => failed(e.message));
req.end(body);
`);
  writeFileSync(hook, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(program)}\n`);
  chmodSync(hook, 0o755);
  return { failures: () => (existsSync(failuresFile) ? readFileSync(failuresFile, "utf8").trim().split("\n").filter(Boolean) : []) };
}
