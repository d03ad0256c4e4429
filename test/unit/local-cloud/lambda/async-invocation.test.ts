import {
  AsyncInvoker,
  DEFAULT_ASYNC_SETTINGS,
  invocationRecord,
  type AsyncInvocationSettings,
  type AsyncTarget,
} from '../../../../local-cloud/services/lambda/async-invocation';
import { FunctionError } from '../../../../local-cloud/services/lambda/execution-environment';
import { fixture, shapeOf } from '../fixtures';

const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:Messenger-PushSend';

/** A queue that records what it was sent. */
function recordingQueue() {
  const sent: Array<{ body: string; attributes?: Readonly<Record<string, string>> }> = [];
  return { sent, send: async (body: string, attributes?: Readonly<Record<string, string>>) => void sent.push({ body, attributes }) };
}

/** A function that fails `failures` times, then returns `{ ok: true }`; each attempt is timed. */
function flakyFunction(failures: number) {
  const attempts: number[] = [];
  const run = async (_arn: string, _event: unknown) => {
    attempts.push(Date.now());
    if (attempts.length <= failures) throw new FunctionError('Messenger-PushSend', 'Error', `attempt ${attempts.length} failed`);
    return { ok: true };
  };
  return { attempts, run };
}

function targetWith(settings: Partial<AsyncInvocationSettings>): AsyncTarget {
  return { functionName: 'Messenger-PushSend', functionArn: FUNCTION_ARN, settings: { ...DEFAULT_ASYNC_SETTINGS, ...settings } };
}

describe("Lambda's asynchronous invocation", () => {
  const logs: string[] = [];
  const log = (message: string) => void logs.push(message);
  let invoker: AsyncInvoker | undefined;

  beforeEach(() => {
    jest.useFakeTimers({ now: Date.UTC(2026, 10, 30, 7, 0, 0) });
    logs.length = 0;
  });

  afterEach(async () => {
    await invoker?.stop();
    invoker = undefined;
    jest.useRealTimers();
  });

  /** Lets every retry that is due run, up to `ms` of fake time. */
  const advance = (ms: number) => jest.advanceTimersByTimeAsync(ms);

  it('retries a failing function after 1 and then 2 minutes, then sends the documented record to the on-failure destination', async () => {
    const { attempts, run } = flakyFunction(Infinity);
    const destination = recordingQueue();
    invoker = new AsyncInvoker({ run, log });
    const event = { Records: [{ Sns: { Message: '{"recipients":[]}' } }] };
    const { requestId } = invoker.enqueue(targetWith({ onFailure: destination.send }), event);

    await advance(0);
    expect(attempts).toHaveLength(1);
    await advance(59_999);
    expect(attempts).toHaveLength(1);
    await advance(1);
    expect(attempts).toHaveLength(2);
    await advance(119_999);
    expect(attempts).toHaveLength(2);
    await advance(1);
    expect(attempts).toHaveLength(3);
    expect(destination.sent).toHaveLength(1);

    const record = JSON.parse(destination.sent[0].body);
    expect(shapeOf({ ...record, requestPayload: {}, responsePayload: {} })).toEqual(
      shapeOf({ ...fixture<Record<string, unknown>>('async-invocation-record-failure'), requestPayload: {}, responsePayload: {} }),
    );
    expect(record).toEqual({
      version: '1.0',
      timestamp: new Date(Date.now()).toISOString(),
      requestContext: { requestId, functionArn: `${FUNCTION_ARN}:$LATEST`, condition: 'RetriesExhausted', approximateInvokeCount: 3 },
      requestPayload: event,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: 'Error', errorMessage: 'attempt 3 failed' },
    });
    expect(invoker.snapshot()['Messenger-PushSend']).toEqual({ queued: 1, succeeded: 0, retries: 2, retained: 1, dropped: 0, deliveryFailures: 0 });
  });

  it('takes MaximumRetryAttempts from the event invoke config: 0 sends the record after the first failure', async () => {
    const { attempts, run } = flakyFunction(Infinity);
    const destination = recordingQueue();
    invoker = new AsyncInvoker({ run, log });
    invoker.enqueue(targetWith({ maximumRetryAttempts: 0, onFailure: destination.send }), {});
    await advance(600_000);
    expect(attempts).toHaveLength(1);
    expect(JSON.parse(destination.sent[0].body).requestContext).toMatchObject({ condition: 'RetriesExhausted', approximateInvokeCount: 1 });
  });

  it('gives up on an event older than MaximumEventAgeInSeconds when its retry comes due, as EventAgeExceeded', async () => {
    const { attempts, run } = flakyFunction(Infinity);
    const destination = recordingQueue();
    invoker = new AsyncInvoker({ run, log });
    invoker.enqueue(targetWith({ maximumEventAgeSeconds: 90, onFailure: destination.send }), {});
    await advance(600_000);
    // Attempt 1 at 0 s, attempt 2 at 60 s, the third would be at 180 s: past the 90 s age.
    expect(attempts).toHaveLength(2);
    expect(JSON.parse(destination.sent[0].body).requestContext).toMatchObject({ condition: 'EventAgeExceeded', approximateInvokeCount: 2 });
  });

  it('sends the event itself, with the request id and error as attributes, to the dead-letter queue', async () => {
    const { run } = flakyFunction(Infinity);
    const deadLetter = recordingQueue();
    invoker = new AsyncInvoker({ run, log, retryDelaySecondsOverride: 1 });
    const { requestId } = invoker.enqueue(targetWith({ deadLetter: deadLetter.send }), { marker: 'm' });
    await advance(2_000);
    expect(deadLetter.sent).toEqual([{ body: '{"marker":"m"}', attributes: { RequestID: requestId, ErrorCode: '200', ErrorMessage: 'attempt 3 failed' } }]);
  });

  it('waits the shortened delay when the setting gives one', async () => {
    const { attempts, run } = flakyFunction(Infinity);
    invoker = new AsyncInvoker({ run, log, retryDelaySecondsOverride: 1 });
    invoker.enqueue(targetWith({}), {});
    await advance(999);
    expect(attempts).toHaveLength(1);
    await advance(1);
    expect(attempts).toHaveLength(2);
  });

  it('drops an event that failed for good with nowhere to go, and counts and logs it', async () => {
    const { run } = flakyFunction(Infinity);
    invoker = new AsyncInvoker({ run, log, retryDelaySecondsOverride: 0 });
    invoker.enqueue(targetWith({}), {});
    await advance(10);
    expect(invoker.snapshot()['Messenger-PushSend']).toMatchObject({ queued: 1, retained: 0, dropped: 1 });
    expect(logs.some((line) => line.includes('dropped (RetriesExhausted after 3 attempts)'))).toBe(true);
  });

  it('sends a Success record to the on-success destination once a retry succeeds, and nothing on failure', async () => {
    const { run } = flakyFunction(1);
    const success = recordingQueue();
    const failure = recordingQueue();
    invoker = new AsyncInvoker({ run, log, retryDelaySecondsOverride: 1 });
    invoker.enqueue(targetWith({ onSuccess: success.send, onFailure: failure.send }), { n: 1 });
    await advance(5_000);
    expect(failure.sent).toEqual([]);
    const record = JSON.parse(success.sent[0].body);
    expect(record.requestContext).toMatchObject({ condition: 'Success', approximateInvokeCount: 2 });
    expect(record.responseContext).toEqual({ statusCode: 200, executedVersion: '$LATEST' });
    expect(record.responsePayload).toEqual({ ok: true });
  });

  it('counts a destination that would not take the record', async () => {
    const { run } = flakyFunction(Infinity);
    invoker = new AsyncInvoker({ run, log, retryDelaySecondsOverride: 0 });
    invoker.enqueue(targetWith({ onFailure: async () => Promise.reject(new Error('queue gone')) }), {});
    await advance(10);
    expect(invoker.snapshot()['Messenger-PushSend']).toMatchObject({ retained: 1, deliveryFailures: 1 });
  });

  it('writes the record of a failure as AWS documents it', () => {
    const documented = fixture('async-invocation-record-failure');
    const record = invocationRecord({
      requestId: documented.requestContext.requestId,
      functionArn: documented.requestContext.functionArn.replace(/:\$LATEST$/, ''),
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
      requestPayload: documented.requestPayload,
      outcome: { error: new FunctionError('my-function', 'Runtime.ExitError', documented.responsePayload.errorMessage) },
      now: new Date(documented.timestamp),
    });
    expect(record).toEqual({ ...documented, responsePayload: { errorType: 'Runtime.ExitError', ...documented.responsePayload } });
  });
});
