import { once } from 'node:events';
import { localCloud } from '../support/local-cloud-env';
import { runCommand } from '../support/local-cloud-process';

jest.setTimeout(30_000);

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
    expect(output).toContain(`port ${port} is already taken`);
  });

  it('exits non-zero, naming the variable, when a setting is invalid', async () => {
    const { code, output } = await failure({ PORT: 'eighty', LOCAL_IDLE_TIMEOUT_SECONDS: '0' });
    expect(code).toBe(1);
    expect(output).toMatch(/PORT/);
    expect(output).toMatch(/LOCAL_IDLE_TIMEOUT_SECONDS/);
  });
});
