import { startLocalCloud, type LocalCloudProcess } from '../../local-cloud/process';

declare global {
  // Shared with global-teardown, which Jest runs in the same process.
  var localCloud: LocalCloudProcess | undefined;
}

/** Idle limit of the shared local cloud, shortened so tests can watch it act. */
export const TEST_IDLE_TIMEOUT_SECONDS = 6;
/** Scheduled rules (the minutely sweep of stale connections) run this often instead. */
export const TEST_SCHEDULE_SECONDS = 2;
/**
 * DynamoDB's TTL stand-in sweeps this seldom, so that a stale connection showing offline within
 * seconds proves the stack's own sweep, not the stand-in's TTL, did it.
 */
export const TEST_TTL_SWEEP_SECONDS = 20;
/** Lambda's asynchronous retries wait this long instead of 1 and 2 minutes. */
export const TEST_ASYNC_RETRY_DELAY_SECONDS = 1;

/** One local cloud for every integration test, started as the README's run command starts it. */
export default async function globalSetup(): Promise<void> {
  const cloud = await startLocalCloud({
    LOCAL_IDLE_TIMEOUT_SECONDS: String(TEST_IDLE_TIMEOUT_SECONDS),
    LOCAL_MAX_CONNECTION_SECONDS: '300',
    LOCAL_SQS_VISIBILITY_TIMEOUT_SECONDS: '4',
    LOCAL_SCHEDULE_SECONDS: String(TEST_SCHEDULE_SECONDS),
    LOCAL_TTL_SWEEP_SECONDS: String(TEST_TTL_SWEEP_SECONDS),
    LOCAL_ASYNC_RETRY_DELAY_SECONDS: String(TEST_ASYNC_RETRY_DELAY_SECONDS),
  });
  globalThis.localCloud = cloud;
  process.env.LOCAL_CLOUD_URL = cloud.baseUrl;
  process.env.LOCAL_CLOUD_WS_URL = cloud.webSocketUrl;
  process.env.LOCAL_CLOUD_IDLE_SECONDS = String(TEST_IDLE_TIMEOUT_SECONDS);
  process.env.LOCAL_CLOUD_SCHEDULE_SECONDS = String(TEST_SCHEDULE_SECONDS);
}
