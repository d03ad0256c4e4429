import { lambdaWithoutRuntime } from '../lambda-without-runtime';
import { rateSeconds, ScheduleRunner } from '../../../../local-cloud/services/events/schedules';
import { LambdaService } from '../../../../local-cloud/services/lambda/lambda-service';

describe('schedule expressions', () => {
  it.each([
    ['rate(1 minute)', 60],
    ['rate(5 minutes)', 300],
    ['rate(2 hours)', 7200],
    ['rate(1 day)', 86400],
  ])('reads %s as %i seconds', (expression, seconds) => {
    expect(rateSeconds(expression)).toBe(seconds);
  });

  it('refuses cron expressions rather than guess at them', () => {
    expect(() => rateSeconds('cron(0 12 * * ? *)')).toThrow(/not supported locally/);
  });
});

describe('scheduled rules invoking their targets', () => {
  const RULE_ARN = 'arn:aws:events:us-east-1:000000000000:rule/Messenger-Sweep';
  const lambda = lambdaWithoutRuntime('schedules-');
  lambda.register({
    logicalId: 'Sweeper',
    functionName: 'Messenger-Sweeper',
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:Messenger-Sweeper',
    assetDirectory: '/nonexistent',
    handler: 'index.handler',
    timeoutSeconds: 3,
    memoryMb: 128,
    environment: {},
  });

  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());
  afterAll(() => lambda.stop());

  it('hand each event to Lambda asynchronously as the rule, and count what Lambda refuses as failed invocations', async () => {
    const invokeAsync = jest.spyOn(lambda, 'invokeAsync');
    const logs: string[] = [];
    const runner = new ScheduleRunner(
      [{ name: 'Messenger-Sweep', arn: RULE_ARN, scheduleExpression: 'rate(1 minute)', targets: [{ functionRef: 'Sweeper' }] }],
      lambda,
      { region: 'us-east-1', accountId: '000000000000' },
      (message) => logs.push(message),
    );
    runner.start();
    await jest.advanceTimersByTimeAsync(120_000);
    runner.stop();

    expect(invokeAsync).toHaveBeenCalledTimes(2);
    expect(invokeAsync.mock.calls[0][2]).toEqual({ kind: 'service', principal: 'events.amazonaws.com', sourceArn: RULE_ARN, sourceAccount: '000000000000' });
    // The function has no permission for the rule: Lambda refuses, EventBridge counts it.
    expect(runner.snapshot()).toEqual({ 'Messenger-Sweep': { invocations: 2, failedInvocations: 2 } });
    expect(logs[0]).toMatch(/not authorized to perform lambda:InvokeFunction/);
  });

  it('skip a tick while Lambda is still busy with the previous event of the target', async () => {
    let finish!: () => void;
    const processed = new Promise<void>((resolve) => (finish = resolve));
    const busyLambda = { invokeAsync: jest.fn(async () => ({ requestId: 'r', processed })) } as unknown as LambdaService;
    const runner = new ScheduleRunner(
      [{ name: 'Messenger-Sweep', arn: RULE_ARN, scheduleExpression: 'rate(1 minute)', targets: [{ functionRef: 'Sweeper' }] }],
      busyLambda,
      { region: 'us-east-1', accountId: '000000000000', periodSecondsOverride: 2 },
      () => undefined,
    );
    runner.start();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(busyLambda.invokeAsync).toHaveBeenCalledTimes(1);
    finish();
    await jest.advanceTimersByTimeAsync(2_000);
    runner.stop();
    expect(busyLambda.invokeAsync).toHaveBeenCalledTimes(2);
    expect(runner.snapshot()).toEqual({ 'Messenger-Sweep': { invocations: 2, failedInvocations: 0 } });
  });
});
