import { Client } from '../../../lambdas/shared/cassandra-driver';
import { StatementMeter } from '../../../lambdas/shared/statement-meter';

type Hooked = typeof globalThis & { __localCloudMeterCall?: (call: unknown) => void };

afterEach(() => delete (globalThis as Hooked).__localCloudMeterCall);

describe("the Keyspaces requests' meter", () => {
  it('is a request tracker the driver takes', () => {
    expect(() => new Client({ contactPoints: ['127.0.0.1:1'], localDataCenter: 'datacenter1', requestTracker: new StatementMeter() })).not.toThrow();
  });

  it('reports each request to the local runtime’s hook with its timing, and its error', () => {
    const calls: unknown[] = [];
    (globalThis as Hooked).__localCloudMeterCall = (call) => calls.push(call);
    const meter = new StatementMeter();
    const host = {} as never;
    meter.onSuccess(host, 'INSERT INTO messages ...', [], {} as never, 10, 20, [0, 5_000_000]);
    meter.onError(host, [{ query: 'INSERT ...' }], null, {} as never, 10, Object.assign(new Error('down'), { name: 'NoHostAvailableError' }), [1, 0]);
    const [success, failure] = calls as Array<{ service: string; operation: string; start: number; end: number; error?: string }>;
    expect(success).toMatchObject({ service: 'Keyspaces', operation: 'Execute' });
    expect(success.end - success.start).toBe(5);
    expect(success.error).toBeUndefined();
    expect(failure).toMatchObject({ service: 'Keyspaces', operation: 'Batch', error: 'NoHostAvailableError' });
    expect(failure.end - failure.start).toBe(1000);
  });

  it('does nothing where no runtime installed the hook, as on AWS', () => {
    expect(() => new StatementMeter().onSuccess({} as never, 'SELECT 1', [], {} as never, 1, 1, [0, 1])).not.toThrow();
  });
});
