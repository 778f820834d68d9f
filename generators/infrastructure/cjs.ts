import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/**
 * A CommonJS module of cdktn or of a provider binding (`@cdktn/provider-<cloud>/lib/<resource>/index.js`),
 * loaded with `require` rather than `import`, source maps off while it loads. `cdktn.ts` and each
 * cloud's `resources.ts` load what the stage modules use; nothing else in the generators loads
 * these packages (a type import loads nothing).
 *
 * Why: the render runs under `node --import tsx`. An `import` of a CommonJS file goes through tsx's
 * loader thread, which reads and lexes the whole file, then through Node's scan for its export names
 * (following every re-export of a package index), which reads and lexes it again; a `require` does
 * neither. And tsx turns source maps on, so Node decodes the inline source map of each file it loads:
 * most of a binding's bytes (s3-bucket's index.js is 575 kB, 403 kB of it the map of TypeScript
 * sources the package does not ship). The 75 binding modules the stages use are 14 MB: with them
 * imported, the stage modules took 0.51 s to load, required 0.20 s (docs/speed.md). A stack trace
 * through these files shows the JavaScript the packages ship.
 */
export function requireCjs<M>(id: string): M {
  const maps = process.sourceMapsEnabled;
  process.setSourceMapsEnabled(false);
  try {
    return require(id) as M;
  } finally {
    process.setSourceMapsEnabled(maps);
  }
}
