import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../../../local-cloud/config';
import { putInvocationMetrics } from '../../../../local-cloud/services/cloudwatch/lambda-feeds';
import { MetricStore } from '../../../../local-cloud/services/cloudwatch/metric-store';
import { FunctionOutput } from '../../../../local-cloud/services/lambda/function-output';
import { FunctionPool } from '../../../../local-cloud/services/lambda/function-pool';
import { Meter } from '../../../../local-cloud/services/lambda/metering';

jest.setTimeout(30_000);

/** Writes an EMF line as Powertools does, then waits as long as it is told. */
const HANDLER = `
exports.handler = async (event) => {
  console.log(JSON.stringify({ _aws: { Timestamp: Date.now(), CloudWatchMetrics: [{ Namespace: 'Messenger', Dimensions: [['service']], Metrics: [{ Name: 'Worked' }] }] }, service: 'messenger', Worked: 1 }));
  await new Promise((resolve) => setTimeout(resolve, event.waitMs ?? 0));
  return 'done';
};`;

describe('what the functions feed CloudWatch', () => {
  const meter = new Meter();
  const output = new FunctionOutput();
  const store = new MetricStore();
  const lines: string[] = [];
  let pool: FunctionPool;

  beforeAll(() => {
    const assetDirectory = mkdtempSync(path.join(os.tmpdir(), 'cloudwatch-feed-asset-'));
    writeFileSync(path.join(assetDirectory, 'index.js'), HANDLER);
    meter.observe((record) => putInvocationMetrics(store, record));
    output.subscribe((functionName, line) => lines.push(`${functionName}: ${line}`));
    pool = new FunctionPool(
      { logicalId: 'Worker', functionName: 'Messenger-Worker', functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:Messenger-Worker', assetDirectory, handler: 'index.handler', timeoutSeconds: 1, memoryMb: 128, environment: {} },
      { sdkRoot: PROJECT_ROOT, logDir: mkdtempSync(path.join(os.tmpdir(), 'cloudwatch-feed-logs-')), runtimeEnvironment: {}, maxConcurrency: 1, region: 'us-east-1', meter, output },
    );
  });
  afterAll(() => pool.stop());

  it('counts an invocation that succeeded and one that timed out, which Lambda counts as an error, and hears the EMF lines', async () => {
    await pool.invoke({});
    await expect(pool.invoke({ waitMs: 5000 })).rejects.toMatchObject({ errorType: 'Sandbox.Timedout' });
    const metric = (metricName: string) => store.summaries('AWS/Lambda').find((summary) => summary.metricName === metricName && summary.dimensions.FunctionName === 'Messenger-Worker');
    expect(metric('Invocations')).toMatchObject({ datapoints: 2, sum: 2 });
    expect(metric('Errors')).toMatchObject({ datapoints: 2, sum: 1 });
    expect(metric('Duration')!.sum).toBeGreaterThanOrEqual(1000);
    expect(lines.filter((line) => line.startsWith('Messenger-Worker: {"_aws"'))).toHaveLength(2);
  });
});
