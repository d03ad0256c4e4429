import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../../../local-cloud/config';
import { FaultRegistry } from '../../../../local-cloud/services/faults/registry';
import { KilledByFault } from '../../../../local-cloud/services/lambda/execution-environment';
import { FunctionPool } from '../../../../local-cloud/services/lambda/function-pool';
import { Meter } from '../../../../local-cloud/services/lambda/metering';

jest.setTimeout(30_000);

/** A function that passes a fault point, waits as long as it is told, and answers with its process id. */
const HANDLER = `
exports.handler = async (event) => {
  globalThis.__localCloudFaultPoint?.('work.done');
  await new Promise((resolve) => setTimeout(resolve, event.waitMs ?? 0));
  return process.pid;
};`;

describe('killing a function\'s execution environment on purpose', () => {
  const faults = new FaultRegistry();
  let pool: FunctionPool;

  beforeAll(() => {
    const assetDirectory = mkdtempSync(path.join(os.tmpdir(), 'fault-kill-asset-'));
    writeFileSync(path.join(assetDirectory, 'index.js'), HANDLER);
    pool = new FunctionPool(
      { logicalId: 'Worker', functionName: 'Messenger-Worker', functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:Messenger-Worker', assetDirectory, handler: 'index.handler', timeoutSeconds: 10, memoryMb: 128, environment: {} },
      { sdkRoot: PROJECT_ROOT, logDir: mkdtempSync(path.join(os.tmpdir(), 'fault-kill-logs-')), runtimeEnvironment: {}, maxConcurrency: 1, region: 'us-east-1', meter: new Meter(), faults },
    );
  });
  afterEach(() => faults.clear());
  afterAll(() => pool.stop());

  it('dies at the armed point as a runtime killed outright, and the next invocation gets a fresh environment', async () => {
    const warm = await pool.invoke({});
    expect(await pool.invoke({})).toBe(warm);

    const armed = faults.armKill({ kind: 'kill', function: 'Worker', point: 'work.done' }, 'Worker');
    const failure = await pool.invoke({}).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(KilledByFault);
    expect(failure).toMatchObject({ errorType: 'Runtime.ExitError', errorMessage: expect.stringMatching(/^RequestId: \S+ Error: Runtime exited with error: signal: killed$/) });

    const fresh = await pool.invoke({});
    expect(fresh).not.toBe(warm);
    expect(faults.snapshot().fired).toEqual([
      { kind: 'kill', faultId: armed.id, function: 'Worker', point: 'work.done', requestId: (failure as KilledByFault).requestId, at: expect.any(String) },
    ]);
  });

  it('dies at a random moment, or before answering if the invocation ends sooner', async () => {
    faults.armKill({ kind: 'kill', function: 'Worker', point: 'random', withinMs: 50 }, 'Worker');
    // Ends long after the moment, and at once (before it).
    for (const waitMs of [1000, 0]) {
      await expect(pool.invoke({ waitMs })).rejects.toMatchObject({ point: 'random', errorType: 'Runtime.ExitError' });
    }
    expect(faults.snapshot().fired.map((fired) => fired.kind === 'kill' && fired.point)).toEqual(['random', 'random']);
  });
});
