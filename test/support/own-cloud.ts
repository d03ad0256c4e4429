import { startLocalCloud, type LocalCloudProcess } from '../../local-cloud/process';

/** The run command's defaults, which a test's own cloud keeps unless it says otherwise. */
const DEFAULT_IDLE_TIMEOUT_SECONDS = '600';

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
    process.env.LOCAL_CLOUD_IDLE_SECONDS = settings.LOCAL_IDLE_TIMEOUT_SECONDS ?? DEFAULT_IDLE_TIMEOUT_SECONDS;
    process.env.LOCAL_CLOUD_SCHEDULE_SECONDS = settings.LOCAL_SCHEDULE_SECONDS ?? '60';
  }, 300_000);
  afterAll(() => cloud?.stop(), 60_000);
  return () => {
    if (cloud === undefined) throw new Error('the cloud starts in beforeAll; use it inside a test');
    return cloud;
  };
}
