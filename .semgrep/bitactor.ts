// The examples `semgrep --test .semgrep/` checks .semgrep/bitactor.yaml against: each `ruleid:` line
// must be flagged by that rule, each `ok:` line must not. Never imported or run.
import { execFileSync, execSync, spawnSync, exec } from "node:child_process";
import * as cp from "node:child_process";

declare const region: { region: string; cloud: string };
declare const env: { environment: string };
declare const version: string;
declare const file: string;

// ruleid: bitactor-shell-injection
execSync(`kubectl --context ${region.region} get rollouts`);
// ruleid: bitactor-shell-injection
cp.execSync(`git show ${version}:environments/waves.yaml`, { encoding: "utf8" });
// ruleid: bitactor-shell-injection
exec("tofu plan -var=environment=" + env.environment, () => undefined);
// ruleid: bitactor-shell-injection
spawnSync("velero", ["restore", "create", file], { shell: true });
// ok: bitactor-shell-injection
execFileSync("kubectl", ["--context", region.region, "get", "rollouts"]);
// ok: bitactor-shell-injection
spawnSync("git", ["show", `${version}:environments/waves.yaml`], { encoding: "utf8" });
// ok: bitactor-shell-injection
execSync("git rev-parse HEAD");


