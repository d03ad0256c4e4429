import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../../../local-cloud/config';
import { putConcurrency } from '../../../../local-cloud/services/cloudwatch/lambda-concurrency';
import { MetricStore } from '../../../../local-cloud/services/cloudwatch/metric-store';
import { ConcurrencyEvents } from '../../../../local-cloud/services/lambda/concurrency';
import { FunctionPool } from '../../../../local-cloud/services/lambda/function-pool';
import { Meter } from '../../../../local-cloud/services/lambda/metering';

jest.setTimeout(30_000);

const HANDLER = 'exports.handler = async (event) => { await new Promise((resolve) => setTimeout(resolve, event.waitMs)); return "done"; };';

describe('AWS/Lambda ConcurrentExecutions, from the function pool', () => {
  const store = new MetricStore();
  const concurrency = new ConcurrencyEvents();
  let pool: FunctionPool;

  beforeAll(() => {
    const assetDirectory = mkdtempSync(path.join(os.tmpdir(), 'concurrency-asset-'));
    writeFileSync(path.join(assetDirectory, 'index.js'), HANDLER);
    concurrency.observe((change) => putConcurrency(store, change));
    pool = new FunctionPool(
      { logicalId: 'Worker', functionName: 'Messenger-Worker', functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:Messenger-Worker', assetDirectory, handler: 'index.handler', timeoutSeconds: 5, memoryMb: 128, environment: {} },
      { sdkRoot: PROJECT_ROOT, logDir: mkdtempSync(path.join(os.tmpdir(), 'concurrency-logs-')), runtimeEnvironment: {}, maxConcurrency: 2, region: 'us-east-1', meter: new Meter(), concurrency },
    );
  });
  afterAll(() => pool.stop());

  it('peaks at the invocations running at once, never past the pool`s environments, and ends at zero', async () => {
    await Promise.all([pool.invoke({ waitMs: 500 }), pool.invoke({ waitMs: 500 }), pool.invoke({ waitMs: 500 })]);
    const identity = { namespace: 'AWS/Lambda', metricName: 'ConcurrentExecutions', dimensions: { FunctionName: 'Messenger-Worker' } };
    const end = Date.now() + 1;
    const [maximum] = store.periods(identity, 'Maximum', 60_000, end, 1);
    const [minimum] = store.periods(identity, 'Minimum', 60_000, end, 1);
    expect(maximum.value).toBe(2);
    expect(minimum.value).toBe(0);
    // 1, 2, then the third takes the first environment freed: 1, 2, 1, 0.
    expect(store.summaries('AWS/Lambda')[0]).toMatchObject({ datapoints: 6, sum: 1 + 2 + 1 + 2 + 1 + 0 });
  });
});
