// The latency fixture as its own process (spawned by npm run e2e, one per scenario cluster):
//   node --import tsx harness/e2e/fixture-main.ts <port> <JSON file: one FixtureConfig per imitated component> [<port file>]
// The configuration holds the cluster's admin token, so it comes in a 0600 file, not on the command line.
// Port 0: the kernel picks one as the server binds, and the port file receives it (a port chosen
// earlier and bound later can be taken meanwhile by any connection's ephemeral port).
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { FixtureServer, type FixtureConfig } from "./fixture.ts";

const [port, configFile, portFile] = process.argv.slice(2);
const configs = JSON.parse(readFileSync(configFile!, "utf8")) as FixtureConfig[];
const fixture = new FixtureServer(configs);
const bound = await fixture.start(Number(port));
if (portFile) {
  writeFileSync(`${portFile}.tmp`, String(bound));
  renameSync(`${portFile}.tmp`, portFile);
}
console.log(`latency fixture for ${configs.map((c) => `${c.namespace}/${c.metric}`).join(", ")} on 127.0.0.1:${bound}`);
process.on("SIGTERM", () => void fixture.stop().then(() => process.exit(0)));
