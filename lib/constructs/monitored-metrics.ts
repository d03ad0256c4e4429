import { Duration } from 'aws-cdk-lib';
import { ComparisonOperator, MathExpression, Metric, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { CustomMetric, CustomThreshold, MetricWithAlarmSupport } from 'cdk-monitoring-constructs';
import { METRICS_NAMESPACE, SERVICE_NAME } from './messenger-function';

/*
 * The metrics the monitoring reads that cdk-monitoring-constructs has no factory for, or computes
 * in a way that would miss what this stack needs (each says which and why), and the thresholds
 * they are alarmed at through its custom monitoring.
 */

/** The period alarms and charts use unless they say otherwise. */
export const PERIOD = Duration.minutes(5);

/**
 * The functions' own metrics (Powertools EMF, namespace `Messenger`), by name. Every name here is
 * emitted by a handler (test/unit/monitoring-metric-names.test.ts checks) and documented in
 * docs/operations.md.
 */
export const CUSTOM_METRICS = {
  messagesSent: 'MessagesSent',
  framesDelivered: 'FramesDelivered',
  ackLatency: 'AckLatency',
  fanOutSize: 'FanOutSize',
  deliveriesGone: 'DeliveriesGone',
  deliveriesFailed: 'DeliveriesFailed',
  connectionsOpened: 'ConnectionsOpened',
  connectionsClosed: 'ConnectionsClosed',
  pushRequestsNotPublished: 'PushRequestsNotPublished',
  pushNotificationsSent: 'PushNotificationsSent',
  pushSendFailures: 'PushSendFailures',
  messagesPersisted: 'MessagesPersisted',
  persistFailures: 'PersistFailures',
  presenceFramesFailed: 'PresenceFramesFailed',
  presenceChangesFailed: 'PresenceChangesFailed',
} as const;

/**
 * A custom metric of the functions. Powertools adds the service name to every metric as the
 * dimension `service`, so that is the one dimension to read them by.
 */
export function customMetric(name: string, statistic = 'Sum', label?: string): Metric {
  return new Metric({ namespace: METRICS_NAMESPACE, metricName: name, dimensionsMap: { service: SERVICE_NAME }, statistic, period: PERIOD, label: label ?? name });
}

/**
 * Errors as a percentage of invocations. The library's "fault rate" is errors per second, which
 * says nothing about how much of the traffic fails; with no invocations there is no datapoint.
 */
export function errorPercentage(fn: IFunction, label: string): MathExpression {
  // Ids of their own, since one chart draws every function's.
  const id = idOf(label);
  return new MathExpression({
    expression: `100 * FILL(errors_${id}, 0) / invocations_${id}`,
    usingMetrics: {
      [`errors_${id}`]: fn.metricErrors({ statistic: 'Sum', period: PERIOD }),
      [`invocations_${id}`]: fn.metricInvocations({ statistic: 'Sum', period: PERIOD }),
    },
    label,
    period: PERIOD,
  });
}

/**
 * The DynamoDB operations the functions call (lambdas/adapters/dynamodb-*.ts) and the stream reads.
 * The library's system-error sum leaves out TransactWriteItems, which every send commits with.
 */
const DYNAMODB_OPERATIONS = ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems', 'GetRecords'];

/**
 * DynamoDB system errors (HTTP 500s) of a table, summed over its operations. Each term is filled
 * with zero: CloudWatch emits SystemErrors only where errors happened, and a sum with a term
 * missing would be missing too (the library's sum has that gap).
 */
export function dynamoSystemErrors(table: ITable, label: string): MathExpression {
  const usingMetrics: Record<string, IMetric> = {};
  for (const operation of DYNAMODB_OPERATIONS) {
    usingMetrics[`${operation.toLowerCase()}_${idOf(label)}`] = table.metric('SystemErrors', { dimensionsMap: { TableName: table.tableName, Operation: operation }, statistic: 'Sum', period: PERIOD });
  }
  return new MathExpression({
    expression: Object.keys(usingMetrics).map((id) => `FILL(${id}, 0)`).join(' + '),
    usingMetrics,
    label,
    period: PERIOD,
  });
}

/** A metric id (a lower-case letter, then letters, digits and underscores) made from a name. */
function idOf(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

/** A metric of a WebSocket API's stage (AWS/ApiGateway, dimensions ApiId and Stage); the library monitors REST and HTTP APIs only. */
export function webSocketMetric(apiId: string, stage: string, metricName: string, statistic = 'Sum'): Metric {
  // A chart of two statistics of one metric (IntegrationLatency p50 and p99) tells them apart by label.
  const label = statistic === 'Sum' ? metricName : `${metricName} ${statistic}`;
  return new Metric({ namespace: 'AWS/ApiGateway', metricName, dimensionsMap: { ApiId: apiId, Stage: stage }, statistic, period: PERIOD, label });
}

/** A metric of a Keyspaces table (AWS/Cassandra); the library has no Keyspaces monitor. */
export function keyspacesMetric(keyspace: string, table: string, metricName: string, statistic = 'Sum', operation?: string): Metric {
  return new Metric({
    namespace: 'AWS/Cassandra',
    metricName,
    dimensionsMap: { Keyspace: keyspace, TableName: table, ...(operation ? { Operation: operation } : {}) },
    statistic,
    period: PERIOD,
    label: operation ? `${metricName} ${operation}` : metricName,
  });
}

/** Alarm and OK notifications, for every alarm: the runbook (docs/operations.md) says what each means. */
export const RUNBOOK = 'docs/operations.md, section Runbook';

/** A threshold that notifies once one five-minute period breaches it, and counts no data as fine. */
export function above(threshold: number, what: string, extra: Partial<CustomThreshold> = {}): Record<string, CustomThreshold> {
  return {
    Critical: {
      threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingDataOverride: TreatMissingData.NOT_BREACHING,
      alarmDescriptionOverride: `${what} Runbook: ${RUNBOOK}.`,
      ...extra,
    },
  };
}

/** A metric the library's custom monitoring charts and alarms on. */
export function withAlarm(metric: MetricWithAlarmSupport, alarmFriendlyName: string, addAlarm: Record<string, CustomThreshold>): CustomMetric {
  return { metric, alarmFriendlyName, addAlarm };
}
