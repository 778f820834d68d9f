// npm run versions: prints the Versions tables from tools/versions.json (paste them into
// docs/versions.md after a version move; test/versions.test.ts fails until it holds them).
import { main } from "./lib/run.ts";
import { modelsTable, versionsTable } from "./lib/versions-table.ts";

await main(async () => {
  console.log(versionsTable());
  console.log();
  console.log(modelsTable());
});
