import * as esbuild from 'esbuild';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';

/** The web messenger's folder. */
export const WEB_ROOT = __dirname;

/** A file of the built web app: where it is served and what it holds. */
export interface WebAsset {
  readonly urlPath: string;
  readonly contents: Uint8Array;
}

/**
 * Builds the web messenger: `src/main.tsx` with the client SDK (from its source, so no SDK build
 * comes first), Preact and the stylesheet it imports, bundled and minified by esbuild, beside
 * `index.html`. Returns the files instead of writing them, so that several local clouds started
 * from one checkout never write over each other's.
 */
export async function buildWebApp(): Promise<WebAsset[]> {
  const result = await esbuild.build({
    absWorkingDir: WEB_ROOT,
    entryPoints: { app: path.join(WEB_ROOT, 'src', 'main.tsx') },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    sourcemap: 'linked',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    alias: { '@messenger/client': path.join(WEB_ROOT, '..', 'client', 'src', 'index.ts') },
    tsconfig: path.join(WEB_ROOT, 'tsconfig.json'),
    outdir: '/',
    write: false,
    logLevel: 'silent',
  });
  const built = result.outputFiles.map((file) => ({ urlPath: file.path, contents: file.contents }));
  return [{ urlPath: '/index.html', contents: await readFile(path.join(WEB_ROOT, 'index.html')) }, ...built];
}
