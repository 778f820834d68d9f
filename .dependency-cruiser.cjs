// The layering of the repository, checked by dependency-cruiser in npm test (npm run layers).
// Rooms, bottom to top; a room imports only from rooms below it and from its own:
//   generators/  pure: inputs to objects, no I/O
//   lib/         shared helpers on objects and files: reading inputs and the rendered tree, the render as a function, tools/versions.json typed
//   checks/      read the rendered tree and judge it
//   toolchain/   builds and caches the external programs (Go, PyPI) and reads upstream sources from the Go module cache
//   harness/     runs programs: API servers, clusters, Argo CD, Prometheus, kubeconform
//   scripts/     the user's commands (npm run ...), with their own helpers in scripts/lib/
// test/ stands on all of them. tools/versions.json is data every room may read.
// Docs: README "Layout", docs/render.md. Rule options: github.com/sverweij/dependency-cruiser doc/rules-reference.md.
const ROOMS = ["generators", "lib", "checks", "toolchain", "harness", "scripts"];

const above = (i) => [...ROOMS.slice(i + 1), "test"];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...ROOMS.map((room, i) => ({
      name: `${room}-imports-downward`,
      severity: "error",
      comment: `${room}/ may import only from ${ROOMS.slice(0, i).map((r) => `${r}/`).join(", ") || "nothing of ours but itself"} and tools/versions.json (.dependency-cruiser.cjs): move what both need into the lowest room that uses it`,
      from: { path: `^${room}/` },
      to: { path: `^(${above(i).join("|")})/` },
    })),
    {
      name: "no-circular",
      severity: "error",
      comment: "two files, or a ring of files, import each other: move what they share into a file both import",
      from: {},
      to: { circular: true },
    },
    {
      name: "no-unresolvable",
      severity: "error",
      comment: "an import that resolves to no file or package",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^node_modules/" },
    // Type-only imports count: a type that points up the layering is still a back-edge.
    tsPreCompilationDeps: true,
    // TypeScript 7 has no JavaScript compiler API for dependency-cruiser 17 to parse with; swc parses TypeScript as written.
    parser: "swc",
    // Resolve packages through their "exports" maps (tsx/esm/api), as Node does.
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"], extensions: [".ts", ".mjs", ".js", ".cjs", ".json"] },
  },
};
