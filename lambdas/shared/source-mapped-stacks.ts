import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import * as path from 'node:path';

/**
 * Makes stack traces name the TypeScript source (`lambdas/handlers/chat.ts:41:9`) rather than the
 * minified bundle (`index.js:2:81234`), reading the bundle's source map only when a stack is first
 * printed, not when the function loads.
 *
 * Node.js's `--enable-source-maps` reads and parses the map as the bundle loads: 6 to 12 ms of CPU
 * on every cold start, measured beside the same bundles without it (docs/benchmark.md, cold start),
 * for traces that few execution environments ever print. `process.setSourceMapsEnabled(true)`
 * cannot be called on the first error instead: it maps only the modules loaded after it. So this
 * formats stacks itself (`Error.prepareStackTrace`, which V8 calls on a stack's first read) with
 * Node's own `SourceMap` (the `source-map-support` package does the same, but bundles a source-map
 * parser of its own into every function, where Node's is built in).
 *
 * Only from a bundle with its map beside it, and only if Node.js is not mapping stacks already
 * (`NODE_OPTIONS=--enable-source-maps` set by hand still wins): run from source, as in tests,
 * stacks stay as they are. Returns whether it took stacks over.
 */
export function mapStacksToSource(bundleFile: string): boolean {
  const mapFile = `${bundleFile}.map`;
  if (process.sourceMapsEnabled || !existsSync(mapFile)) return false;
  let sourceMap: SourceMap | null | undefined;
  const loadedMap = (): SourceMap | null => {
    if (sourceMap === undefined) {
      try {
        sourceMap = new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')));
      } catch {
        sourceMap = null;
      }
    }
    return sourceMap;
  };
  const bundleFolder = path.dirname(bundleFile);

  /** One frame as V8 prints it, with the bundle's position replaced by the source's. */
  const frame = (site: NodeJS.CallSite): string => {
    const printed = String(site);
    const [line, column] = [site.getLineNumber(), site.getColumnNumber()];
    if (site.getFileName() !== bundleFile || line === null || column === null) return printed;
    const entry = loadedMap()?.findEntry(line - 1, column - 1);
    if (!entry || !('originalSource' in entry)) return printed;
    const source = `${path.resolve(bundleFolder, entry.originalSource)}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
    return printed.replace(`${bundleFile}:${line}:${column}`, source);
  };

  Error.prepareStackTrace = (error, callSites) => {
    const header = error instanceof Error ? Error.prototype.toString.call(error) : String(error);
    return header + callSites.map((site) => `\n    at ${frame(site)}`).join('');
  };
  return true;
}
