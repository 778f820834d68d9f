// A worker thread starts without its parent's loaders (Node 20): load the TypeScript worker through tsx.
import { tsImport } from "tsx/esm/api";

await tsImport("./contract-worker.ts", import.meta.url);
