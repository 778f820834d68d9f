// The latency fixture as its own process (spawned by npm run e2e, one per scenario cluster):
//   node --import tsx harness/e2e/fixture-main.ts <port> <JSON file: one FixtureConfig per imitated component>
// The configuration holds the cluster's admin token, so it comes in a 0600 file, not on the command line.
import { readFileSync } from "node:fs";
import { FixtureServer, type FixtureConfig } from "./fixture.ts";

const [port, configFile] = process.argv.slice(2);
const configs = JSON.parse(readFileSync(configFile!, "utf8")) as FixtureConfig[];
const fixture = new FixtureServer(configs);
await fixture.start(Number(port));
console.log(`latency fixture for ${configs.map((c) => `${c.namespace}/${c.metric}`).join(", ")} on 127.0.0.1:${port}`);
process.on("SIGTERM", () => void fixture.stop().then(() => process.exit(0)));
