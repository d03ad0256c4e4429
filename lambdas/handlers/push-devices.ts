import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDbDeviceRecords } from '../adapters/dynamodb-device-records';
import { SnsPlatformEndpoints } from '../adapters/sns-platform-endpoints';
import { registerPushFrame, unregisterPushFrame } from '../../protocol/client-frames';
import { registerPushDevice, unregisterPushDevice } from '../domain/push-registration';
import * as z from '../domain/schema';
import { ACTION_UNITS } from '../domain/budget';
import { actionBudgetEnvironment } from '../shared/action-budget';
import { frameBudgetsOf } from '../shared/frame-budgets';
import { documentClient } from '../shared/clients/dynamodb';
import { snsClient } from '../shared/clients/sns';
import { env, loadConfig } from '../shared/config';
import { instrumented, metrics } from '../shared/observability';
import { action, actionRouter } from '../shared/websocket';

const applicationArn = z.optional(z.string().check(z.regex(/^arn:aws[\w-]*:sns:[\w-]+:\d{12}:app\/(APNS|APNS_SANDBOX|GCM)\/[\w.-]+$/, 'must be an SNS platform application ARN')));
const config = loadConfig({
  ...actionBudgetEnvironment,
  PUSH_DEVICES_TABLE: env.name(),
  APNS_PLATFORM_APPLICATION_ARN: applicationArn,
  FCM_PLATFORM_APPLICATION_ARN: applicationArn,
});

const ports = {
  endpoints: new SnsPlatformEndpoints(snsClient, { apns: config.APNS_PLATFORM_APPLICATION_ARN, fcm: config.FCM_PLATFORM_APPLICATION_ARN }),
  records: new DynamoDbDeviceRecords(documentClient, config.PUSH_DEVICES_TABLE),
};

/** Registering and unregistering devices for push notifications. */
export const handler = instrumented(
  actionRouter(
    {
      registerPush: action(
        registerPushFrame,
        async (frame, caller) => {
          await registerPushDevice({ userId: caller.userId, platform: frame.platform, token: frame.token, now: Date.now(), ...ports });
          metrics.addMetric('PushDevicesRegistered', MetricUnit.Count, 1);
          return { type: 'pushRegistered' };
        },
        ACTION_UNITS.registerPush,
      ),
      unregisterPush: action(
        unregisterPushFrame,
        async (frame, caller) => {
          await unregisterPushDevice({ userId: caller.userId, platform: frame.platform, token: frame.token, ...ports });
          return { type: 'pushUnregistered' };
        },
        ACTION_UNITS.unregisterPush,
      ),
    },
    frameBudgetsOf(config),
  ),
);
