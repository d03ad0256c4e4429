import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { ApiGatewayConnectionNotifier } from '../adapters/apigateway-connection-notifier';
import { CONNECTION_LIST_KEY, DynamoDbConnectionRegistry } from '../adapters/dynamodb-connection-registry';
import { DynamoDbPresenceStatuses, DynamoDbPresenceSubscriptions } from '../adapters/dynamodb-presence';
import { DynamoDbSharedThreads } from '../adapters/dynamodb-shared-threads';
import { DynamoDbUserPairs } from '../adapters/dynamodb-user-pairs';
import { DynamoDbUserSettings } from '../adapters/dynamodb-user-settings';
import { publishPresenceChanges, type ConnectionChange } from '../domain/presence';
import * as z from '../domain/schema';
import { documentClient } from '../shared/clients/dynamodb';
import { managementApiClient } from '../shared/clients/management-api';
import { chatTablesEnvironment, chatTablesOf } from '../shared/chat-tables';
import { env, loadConfig } from '../shared/config';
import { readStreamRecords, retryFrom, streamAttribute } from '../shared/dynamodb-stream';
import { instrumented, logger, metrics } from '../shared/observability';

const config = loadConfig({
  CONNECTIONS_TABLE: env.name(),
  PRESENCE_TABLE: env.name(),
  PRESENCE_SUBSCRIPTIONS_TABLE: env.name(),
  USER_SETTINGS_TABLE: env.name(),
  ...chatTablesEnvironment,
});
const ports = {
  connections: new DynamoDbConnectionRegistry(documentClient, config.CONNECTIONS_TABLE),
  statuses: new DynamoDbPresenceStatuses(documentClient, config.PRESENCE_TABLE),
  subscriptions: new DynamoDbPresenceSubscriptions(documentClient, config.PRESENCE_SUBSCRIPTIONS_TABLE),
  notifier: new ApiGatewayConnectionNotifier(managementApiClient),
  sharedThreads: new DynamoDbSharedThreads(documentClient, chatTablesOf(config)),
  settings: new DynamoDbUserSettings(documentClient, config.USER_SETTINGS_TABLE),
  blocks: new DynamoDbUserPairs(documentClient, chatTablesOf(config)),
};

/** A connection record as the stream carries it (see `lambdas/adapters/dynamodb-connection-registry.ts`). */
const connectionImage = z.object({
  userId: streamAttribute.string(),
  connectionId: streamAttribute.string(),
  lastActiveAt: streamAttribute.number(),
  expiresAt: streamAttribute.number(),
});
/** A user's connection list, which sits beside their records: its creation (their first connection ever) changes nobody's status. */
const connectionListImage = z.object({ userId: streamAttribute.string(), connectionId: z.object({ S: z.literal(CONNECTION_LIST_KEY) }) });
const streamRecord = z.object({
  eventName: z.enum(['INSERT', 'MODIFY', 'REMOVE']),
  dynamodb: z.object({
    SequenceNumber: z.string().check(z.minLength(1)),
    NewImage: z.optional(z.union([connectionListImage, connectionImage])),
    OldImage: z.optional(z.union([connectionListImage, connectionImage])),
  }),
});

function changeOf(record: z.infer<typeof streamRecord>, now: number): ConnectionChange | undefined {
  const image = record.eventName === 'INSERT' ? record.dynamodb.NewImage : record.eventName === 'REMOVE' ? record.dynamodb.OldImage : undefined;
  if (image === undefined || !('expiresAt' in image)) return undefined;
  return {
    kind: record.eventName === 'INSERT' ? 'opened' : 'closed',
    userId: image.userId.S,
    connectionId: image.connectionId.S,
    // The record's own ApproximateCreationDateTime may be rounded down to the minute; the stream's lag is well under a second.
    at: now,
    lastActiveAt: image.lastActiveAt,
    expiresAt: image.expiresAt,
  };
}

/**
 * Reads the connection registry's stream (connections opening and closing, however they close)
 * and pushes each user's online/offline change to the subscribers who may see it (and ends the
 * subscriptions of those who may no longer see the user: a block, or no shared thread under the
 * `threads` audience). A user whose change could not
 * be worked out or did not reach every subscriber fails their records, so that Lambda retries from
 * the first of them and the change goes out again; a record that can never be read is logged and
 * skipped, since retrying it would hold up the whole shard.
 */
export const handler = instrumented(async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const now = Date.now();
  const changes = readStreamRecords(event, streamRecord, { metric: 'UnreadableConnectionChanges', what: 'connection change' }).flatMap(
    ({ record, sequenceNumber }) => {
      const change = changeOf(record, now);
      return change ? [{ change, sequenceNumber }] : [];
    },
  );

  const report = await publishPresenceChanges({ changes: changes.map(({ change }) => change), now, ...ports });
  for (const { userId, error } of report.failures) logger.error('presence change not published; to be retried', { userId, error: error as Error });
  if (report.failedPosts.length > 0) logger.warn('presence frames not delivered', { count: report.failedPosts.length, firstError: report.failedPosts[0] as Error });
  // Counts of zero are left out: each metric is bytes of the invocation's log line (docs/operations.md, "Custom metrics").
  if (report.published.length > 0) metrics.addMetric('PresenceChanges', MetricUnit.Count, report.published.length);
  if (report.delivered > 0) metrics.addMetric('PresenceFramesDelivered', MetricUnit.Count, report.delivered);
  if (report.failedPosts.length > 0) metrics.addMetric('PresenceFramesFailed', MetricUnit.Count, report.failedPosts.length);
  if (report.failures.length > 0) metrics.addMetric('PresenceChangesFailed', MetricUnit.Count, report.failures.length);

  const failedUsers = new Set(report.failures.map(({ userId }) => userId));
  return retryFrom(changes, ({ change }) => failedUsers.has(change.userId));
});
