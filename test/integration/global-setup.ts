import { BUDGETS } from '../../lambdas/domain/budget';
import { startLocalCloud, type LocalCloudProcess } from '../../local-cloud/process';

declare global {
  // Shared with global-teardown, which Jest runs in the same process.
  var localCloud: LocalCloudProcess | undefined;
}

/**
 * One local cloud for every integration test, started as the README's run command starts it,
 * with the gateway's limits left as API Gateway's (tests that watch them shortened run in a cloud
 * of their own, see test/disruptive). Failed queue messages come back after 4 s instead of the
 * template's visibility timeout, and Lambda's asynchronous retries after 1 s, so that retries and
 * dead-lettering show within a test. Users may create the deployment's number of groups an hour
 * (the tests read it from lambdas/domain/budget.ts), not the local cloud's higher default.
 */
/** Lambda's asynchronous retries wait this long instead of 1 and 2 minutes. */
export const TEST_ASYNC_RETRY_DELAY_SECONDS = 1;

export default async function globalSetup(): Promise<void> {
  const cloud = await startLocalCloud({
    LOCAL_SQS_VISIBILITY_TIMEOUT_SECONDS: '4',
    LOCAL_ASYNC_RETRY_DELAY_SECONDS: String(TEST_ASYNC_RETRY_DELAY_SECONDS),
    LOCAL_GROUPS_CREATED_PER_HOUR: String(BUDGETS.groupsCreated.burst),
  });
  globalThis.localCloud = cloud;
  process.env.LOCAL_CLOUD_URL = cloud.baseUrl;
  process.env.LOCAL_CLOUD_WS_URL = cloud.webSocketUrl;
  process.env.LOCAL_CLOUD_DATA_DIR = cloud.dataDir;
}
