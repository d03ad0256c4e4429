import { startLocalCloud, type LocalCloudProcess } from '../../local-cloud/process';

/**
 * Starts a local cloud for this test file alone (before its tests, with the given settings of
 * the run command) and stops it after them. The helpers of `local-cloud-env.ts` talk to it, so
 * the file may stop, restart or break it without touching any other test.
 */
export function ownCloudForThisFile(settings: Record<string, string> = {}): () => LocalCloudProcess {
  let cloud: LocalCloudProcess | undefined;
  beforeAll(async () => {
    cloud = await startLocalCloud(settings);
    // Jest gives each test file its own copy of process.env, so this points only this file's helpers.
    process.env.LOCAL_CLOUD_URL = cloud.baseUrl;
    process.env.LOCAL_CLOUD_WS_URL = cloud.webSocketUrl;
    process.env.LOCAL_CLOUD_DATA_DIR = cloud.dataDir;
  }, 300_000);
  afterAll(() => cloud?.stop(), 60_000);
  return () => {
    if (cloud === undefined) throw new Error('the cloud starts in beforeAll; use it inside a test');
    return cloud;
  };
}
