import * as esbuild from 'esbuild';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';

/** The web messenger's folder. */
export const WEB_ROOT = __dirname;

/** A file of a built page: where it is served and what it holds. */
export interface WebAsset {
  readonly urlPath: string;
  readonly contents: Uint8Array;
}

/** A page the local cloud serves to browsers: the web messenger, the dashboard. */
export interface BrowserPage {
  /** The page's folder, holding its `index.html`, its script and its `tsconfig.json`. */
  readonly root: string;
  /** The script to bundle, relative to `root`, and its bundle's name (`<name>.js`, `<name>.css`). */
  readonly entry: { readonly name: string; readonly file: string };
  /** Where the page is served: `index.html` and the bundles under it (`''` for the site's root). */
  readonly urlRoot: string;
  /** The esbuild options only this page needs. */
  readonly options?: Pick<esbuild.BuildOptions, 'jsx' | 'jsxImportSource' | 'alias'>;
}

/**
 * Builds a page: its script with what it imports (stylesheets included), bundled and minified by
 * esbuild for browsers, beside its `index.html`. Returns the files instead of writing them, so that
 * several local clouds started from one checkout never write over each other's.
 */
export async function buildBrowserPage(page: BrowserPage): Promise<WebAsset[]> {
  const result = await esbuild.build({
    absWorkingDir: page.root,
    entryPoints: { [page.entry.name]: path.join(page.root, page.entry.file) },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    sourcemap: 'linked',
    tsconfig: path.join(page.root, 'tsconfig.json'),
    outdir: page.urlRoot === '' ? '/' : page.urlRoot,
    write: false,
    logLevel: 'silent',
    ...page.options,
  });
  const built = result.outputFiles.map((file) => ({ urlPath: file.path, contents: file.contents }));
  return [{ urlPath: `${page.urlRoot}/index.html`, contents: await readFile(path.join(page.root, 'index.html')) }, ...built];
}

/**
 * Builds the web messenger: `src/main.tsx` with the client SDK (from its source, so no SDK build
 * comes first), Preact and the stylesheet it imports, served at the site's root.
 */
export function buildWebApp(): Promise<WebAsset[]> {
  return buildBrowserPage({
    root: WEB_ROOT,
    entry: { name: 'app', file: path.join('src', 'main.tsx') },
    urlRoot: '',
    options: {
      jsx: 'automatic',
      jsxImportSource: 'preact',
      alias: { '@messenger/client': path.join(WEB_ROOT, '..', 'client', 'src', 'index.ts') },
    },
  });
}
