import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LambdaService } from '../../../local-cloud/services/lambda/lambda-service';
import { Meter } from '../../../local-cloud/services/lambda/metering';

/**
 * The local Lambda service with no SDK to hand its functions and one environment each: for tests
 * of what happens around an invocation (permissions, retries, subscriptions, schedules), whose
 * functions are never started or are replaced by a stub.
 */
export function lambdaWithoutRuntime(logDirPrefix: string, log: (message: string) => void = () => undefined): LambdaService {
  return new LambdaService({
    sdkRoot: '/nonexistent',
    logDir: mkdtempSync(path.join(os.tmpdir(), logDirPrefix)),
    runtimeEnvironment: {},
    maxConcurrency: 1,
    region: 'us-east-1',
    meter: new Meter(),
    log,
  });
}
