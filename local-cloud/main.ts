import { localCloudConfigFromEnv } from './config';
import { LocalCloud } from './local-cloud';

/**
 * The README's run command: starts the messenger on this machine and runs until Ctrl-C.
 * Settings: PORT, LOCAL_DATA_DIR, LOCAL_IDLE_TIMEOUT_SECONDS, LOCAL_MAX_CONNECTION_SECONDS,
 * LOCAL_SQS_VISIBILITY_TIMEOUT_SECONDS (see config.ts).
 */
async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const log = (message: string) => console.log(`[local-cloud] ${message}`);
  const config = localCloudConfigFromEnv();
  const started = Date.now();
  const cloud = await LocalCloud.start(config, log);
  log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  log(`web:        ${cloud.baseUrl}/`);
  log(`WebSocket:  ${cloud.webSocketUrl}?token=<jwt>`);
  log(`token:      ${cloud.baseUrl}/dev/token?user=alice`);
  log(`health:     ${cloud.baseUrl}/dev/health`);
  log(`stand-ins:  ${cloud.baseUrl}/dev/stand-ins`);
  log(`data, logs: ${config.dataDir}`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    await cloud.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: Error) => {
  console.error(`[local-cloud] cannot start: ${error.message}`);
  process.exit(1);
});
