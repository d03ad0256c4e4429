import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { realpathSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { localCloud } from '../support/local-cloud-env';
import { freePort, runCommand } from '../../local-cloud/process';

jest.setTimeout(60_000);

async function failure(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = runCommand(env);
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, output };
}

describe('the run command', () => {
  it('exits non-zero, saying so, when its port is taken', async () => {
    const port = new URL(localCloud().baseUrl).port;
    const { code, output } = await failure({ PORT: port });
    expect(code).toBe(1);
    expect(output).toContain(`port ${port} of 127.0.0.1 is already taken`);
  });

  it('exits non-zero, naming the variable, when a setting is invalid', async () => {
    const { code, output } = await failure({ PORT: 'eighty', LOCAL_IDLE_TIMEOUT_SECONDS: '0' });
    expect(code).toBe(1);
    expect(output).toMatch(/PORT/);
    expect(output).toMatch(/LOCAL_IDLE_TIMEOUT_SECONDS/);
  });
});

describe('the run command without Java', () => {
  let binDir: string;
  beforeAll(async () => {
    // A PATH with what synthesizing needs (node, npx, sh, and bash, through which the CDK runs the
    // functions' bundling hooks) but no java: the stand-ins cannot start.
    binDir = await mkdtemp(path.join(os.tmpdir(), 'no-java-'));
    await symlink(process.execPath, path.join(binDir, 'node'));
    for (const tool of ['npx', 'sh', 'bash']) {
      await symlink(realpathSync(execFileSync('sh', ['-c', `command -v ${tool}`]).toString().trim()), path.join(binDir, tool));
    }
  });
  afterAll(() => rm(binDir, { recursive: true, force: true }));

  it('exits non-zero, naming the stand-ins and the missing Java', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'no-java-data-'));
    const { code, output } = await failure({ PORT: String(await freePort()), LOCAL_DATA_DIR: dataDir, PATH: binDir });
    expect(code).toBe(1);
    expect(output).toMatch(/cannot start/);
    expect(output).toMatch(/dynamodb: cannot run java/);
    expect(output).toMatch(/cassandra: cannot run java/);
    await rm(dataDir, { recursive: true, force: true });
  }, 300_000);
});
