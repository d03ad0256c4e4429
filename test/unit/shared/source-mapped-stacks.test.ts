import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';

const run = promisify(execFile);
const MODULE = path.join(__dirname, '..', '..', '..', 'lambdas', 'shared', 'source-mapped-stacks.ts');

/** A handler-like entry: installs the mapping as observability.ts does, then prints the stack of an error thrown on line 5. */
const FIXTURE = `import { mapStacksToSource } from ${JSON.stringify(MODULE)};
const mapping = mapStacksToSource(__filename);

function fail(): never {
  throw new Error('thrown on line 5');
}

try {
  fail();
} catch (error) {
  process.stdout.write(String((error as Error).stack));
}
// Whether this module formats stacks itself, for the test with Node.js's own mapping on.
process.stdout.write(\`\ntook stacks over: \${mapping}\`);
`;

describe('mapStacksToSource', () => {
  let folder: string;
  let bundle: string;
  beforeAll(async () => {
    folder = await mkdtemp(path.join(os.tmpdir(), 'source-mapped-stacks-'));
    await writeFile(path.join(folder, 'fixture.ts'), FIXTURE);
    bundle = path.join(folder, 'out', 'index.js');
    // As the functions are bundled (lib/constructs/messenger-function.ts): minified, a map of positions only.
    await build({ entryPoints: [path.join(folder, 'fixture.ts')], outfile: bundle, bundle: true, minify: true, sourcemap: true, sourcesContent: false, platform: 'node', format: 'cjs', logLevel: 'silent' });
  });
  afterAll(() => rm(folder, { recursive: true, force: true }));

  /** Runs the bundle in its own Node.js process, so that its Error.prepareStackTrace stays there. */
  async function stackOf(nodeOptions = ''): Promise<string> {
    return (await run(process.execPath, [bundle], { env: { PATH: process.env.PATH, NODE_OPTIONS: nodeOptions } })).stdout;
  }

  it('prints stack frames at their TypeScript source line, read from the map beside the bundle', async () => {
    const stack = await stackOf();
    expect(stack).toMatch(/^Error: thrown on line 5\n/);
    expect(stack).toContain(`${path.join(folder, 'fixture.ts')}:5:`);
    expect(stack).not.toContain(`${bundle}:`);
    expect(stack).toContain('took stacks over: true');
  });

  it('leaves the mapping to Node.js when --enable-source-maps is set', async () => {
    const stack = await stackOf('--enable-source-maps');
    expect(stack).toContain(`${path.join(folder, 'fixture.ts')}:5:`);
    expect(stack).toContain('took stacks over: false');
  });

  it('leaves stacks alone when the bundle has no map', async () => {
    await rm(`${bundle}.map`);
    const stack = await stackOf();
    expect(stack).toMatch(/^Error: thrown on line 5\n/);
    expect(stack).toContain(`${bundle}:`);
  });
});
