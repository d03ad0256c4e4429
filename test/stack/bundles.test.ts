import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { build, type Metafile } from 'esbuild';
import { BUNDLING, DRIVER_PARTS_LEFT_OUT } from '../../lib/constructs/messenger-function';

const ROOT = path.join(__dirname, '..', '..');
const HANDLERS = path.join(ROOT, 'lambdas', 'handlers');
const STAND_INS = path.join(ROOT, 'lambdas', 'shared', 'cassandra-driver-stand-ins');
/** The benchmark's target for every deployed `index.js` (bench/report.ts): cold starts grow with what Node.js parses. */
const MAX_BUNDLE_BYTES = 400 * 1024;

interface Bundle {
  readonly handler: string;
  readonly bytes: number;
  /** How many times the bundle requires each relative path at run time (what it leaves out of itself). */
  readonly relativeRequires: ReadonlyMap<string, number>;
  /** The same, counting only the requires made by cassandra-driver's own `lib/*.js`. */
  readonly driverRequires: ReadonlyMap<string, number>;
}

function countOf(paths: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const each of paths) counts.set(each, (counts.get(each) ?? 0) + 1);
  return counts;
}

/**
 * Each handler bundled by esbuild with the functions' own options (`BUNDLING`), as CDK bundles it,
 * without synthesizing the stack: a few seconds for all of them.
 */
async function bundleAll(): Promise<Bundle[]> {
  return Promise.all(
    readdirSync(HANDLERS)
      .filter((file) => file.endsWith('.ts'))
      .map(async (file) => {
        const result = await build({
          entryPoints: [path.join(HANDLERS, file)],
          outfile: path.join(ROOT, 'bundles-test', 'index.js'),
          write: false,
          absWorkingDir: ROOT,
          bundle: true,
          platform: 'node',
          minify: BUNDLING.minify,
          sourcemap: BUNDLING.sourceMap,
          target: BUNDLING.target,
          format: 'cjs',
          external: [...BUNDLING.externalModules!],
          metafile: true,
          logLevel: 'silent',
        });
        const code = result.outputFiles.find((output) => output.path.endsWith('index.js'))!;
        return {
          handler: file,
          bytes: code.contents.byteLength,
          relativeRequires: countOf([...code.text.matchAll(/require\("(\.[^"]*)"\)/g)].map((match) => match[1])),
          driverRequires: countOf(driverRequires(result.metafile)),
        };
      }),
  );
}

/** The relative paths that the driver's top-level `lib/*.js` files require and the bundle leaves external. */
function driverRequires(metafile: Metafile): string[] {
  return Object.entries(metafile.inputs)
    .filter(([importer]) => /node_modules\/cassandra-driver\/lib\/[\w-]+\.js$/.test(importer))
    .flatMap(([, input]) => input.imports.filter((imported) => imported.external && imported.kind === 'require-call' && imported.path.startsWith('.')))
    .map((imported) => imported.path);
}

describe('function bundles', () => {
  let bundles: Bundle[];
  beforeAll(async () => {
    bundles = await bundleAll();
  }, 60_000);

  it('are each at most 400 KB', () => {
    expect(bundles.length).toBeGreaterThan(10);
    const over = bundles.filter((bundle) => bundle.bytes > MAX_BUNDLE_BYTES).map((bundle) => `${bundle.handler}: ${Math.round(bundle.bytes / 1024)} KB`);
    expect(over).toEqual([]);
  });

  it('leave out only the parts of cassandra-driver that have a stand-in, and only where the driver requires them', () => {
    // Whoever else required one of these paths (our code, or another of the driver's folders) would
    // be left out too and get a stand-in at run time: each require must be the driver's.
    for (const bundle of bundles) expect({ [bundle.handler]: bundle.relativeRequires }).toEqual({ [bundle.handler]: bundle.driverRequires });
    const leftOut = new Set(bundles.flatMap((bundle) => [...bundle.relativeRequires.keys()]));
    // The functions that talk to Keyspaces leave out every listed part (a part no longer required would be a stale entry).
    expect(leftOut).toEqual(new Set(DRIVER_PARTS_LEFT_OUT));
    for (const part of DRIVER_PARTS_LEFT_OUT) {
      expect([`${part}.js`, `${part}/index.js`].some((file) => existsSync(path.join(STAND_INS, file)))).toBe(true);
    }
  });
});
