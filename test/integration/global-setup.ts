import { startLocalCloud, type LocalCloudProcess } from '../support/local-cloud-process';

declare global {
  // Shared with global-teardown, which Jest runs in the same process.
  var localCloud: LocalCloudProcess | undefined;
}

/** Idle limit of the shared local cloud, shortened so tests can watch it act. */
export const TEST_IDLE_TIMEOUT_SECONDS = 6;

/** One local cloud for every integration test, started as the README's run command starts it. */
export default async function globalSetup(): Promise<void> {
  const cloud = await startLocalCloud({
    LOCAL_IDLE_TIMEOUT_SECONDS: String(TEST_IDLE_TIMEOUT_SECONDS),
    LOCAL_MAX_CONNECTION_SECONDS: '300',
    LOCAL_SQS_VISIBILITY_TIMEOUT_SECONDS: '4',
  });
  globalThis.localCloud = cloud;
  process.env.LOCAL_CLOUD_URL = cloud.baseUrl;
  process.env.LOCAL_CLOUD_WS_URL = cloud.webSocketUrl;
  process.env.LOCAL_CLOUD_IDLE_SECONDS = String(TEST_IDLE_TIMEOUT_SECONDS);
}
