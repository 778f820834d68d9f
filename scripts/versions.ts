// npm run versions: prints the README's Versions tables from tools/versions.json (paste them into
// README.md after a version move; test/versions.test.ts fails until the README holds them).
import { main } from "./lib/run.ts";
import { modelsTable, versionsTable } from "./lib/versions-table.ts";

await main(async () => {
  console.log(versionsTable());
  console.log();
  console.log(modelsTable());
});
