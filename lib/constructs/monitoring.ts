import { Stack } from 'aws-cdk-lib';
import { TreatMissingData, type Alarm, type AlarmBase, type Dashboard } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Key } from 'aws-cdk-lib/aws-kms';
import { CfnEventSourceMapping, type IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic, Subscription, Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { DefaultDashboardFactory, MonitoringFacade, notifySns } from 'cdk-monitoring-constructs';
import { Construct, type IConstruct } from 'constructs';
import { AlarmTopic } from './alarm-topic';
import { DeadLetterQueue } from './dead-letter-queue';
import type { HistoryStore } from './history-store';
import { MessengerFunction } from './messenger-function';
import { above, CUSTOM_METRICS, customMetric, dynamoSystemErrors, errorPercentage, keyspacesMetric, PERIOD, RUNBOOK, webSocketMetric, withAlarm } from './monitored-metrics';
import type { WebSocketGateway } from './websocket-gateway';

export interface MonitoringProps {
  /** The queue between the send and history: its oldest message's age is the history lag. */
  readonly messageQueue: IQueue;
  /** The push topic, whose failed notifications are alarmed on. */
  readonly pushTopic: ITopic;
  /** The WebSocket API whose stage's errors are alarmed on and whose traffic is charted. */
  readonly gateway: WebSocketGateway;
  /** The Keyspaces history, charted. */
  readonly history: HistoryStore;
  /**
   * An address the alarm topic emails; it must confirm the subscription first.
   * @default no subscription: subscribe to the topic yourself
   */
  readonly alarmEmail?: string;
  /**
   * The history lag, in seconds, past which its alarm fires. SQS leaves a message received three
   * times out of the queue's age, so a lag longer than two visibility timeouts cannot be seen.
   * @default 300
   */
  readonly historyLagAlarmSeconds?: number;
}

/** The history lag that alarms by default: five minutes. */
const DEFAULT_HISTORY_LAG_SECONDS = 300;

/** A construct's path under its stack without separators, as alarm names carry it (`PushSend`). */
function nameOf(construct: IConstruct): string {
  const scopes = construct.node.scopes;
  return scopes.slice(scopes.indexOf(Stack.of(construct)) + 1).map((scope) => scope.node.id).join('');
}

/**
 * What operators watch: an alarm topic (encrypted with a key CloudWatch may use) that every alarm
 * notifies on ALARM and on OK, optionally emailing an address, and one CloudWatch dashboard.
 *
 * Every function, DynamoDB table, dead-letter queue and stream mapping of the stack is found in
 * the stack when this is created (so create it last): one added later is watched without a change
 * here. cdk-monitoring-constructs makes the Lambda, SQS, SNS and DynamoDB alarms and charts; the
 * metrics it lacks or computes otherwise are in monitored-metrics.ts, alarmed through its custom
 * monitoring so that every alarm is named, notifies and is charted the same way.
 */
export class Monitoring extends Construct {
  /** Where every alarm notifies, on ALARM and on OK. */
  public readonly alarmTopic: Topic;
  /** Encrypts the alarm topic; its policy lets CloudWatch alarms of this account use it. */
  public readonly alarmTopicKey: Key;
  /** The email subscription, when an address was given. */
  public readonly emailSubscription?: Subscription;
  /** Makes the alarms and the dashboard. */
  public readonly facade: MonitoringFacade;
  /** The dashboard: traffic, latency, errors, queues, streams, tables, Keyspaces, push. */
  public readonly dashboard: Dashboard;
  /** Every alarm that notifies the topic: those made here and the dead-letter queues' own. */
  public readonly alarms: AlarmBase[];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const alarmNamePrefix = stack.stackName;
    const alarmTopic = new AlarmTopic(this, 'AlarmTopic', { alarmNamePrefix, email: props.alarmEmail });
    this.alarmTopic = alarmTopic.topic;
    this.alarmTopicKey = alarmTopic.key;
    this.emailSubscription = alarmTopic.emailSubscription;

    const dashboards = new DefaultDashboardFactory(this, 'Dashboards', {
      dashboardNamePrefix: alarmNamePrefix,
      createDashboard: true,
      createSummaryDashboard: false,
      createAlarmDashboard: false,
    });
    this.facade = new MonitoringFacade(this, 'Facade', {
      alarmFactoryDefaults: {
        alarmNamePrefix,
        actionsEnabled: true,
        action: notifySns(this.alarmTopic, this.alarmTopic),
        datapointsToAlarm: 1,
        evaluationPeriods: 1,
      },
      metricFactoryDefaults: { period: PERIOD },
      dashboardFactory: dashboards,
    });

    const found = stack.node.findAll();
    const functions = found.filter((construct): construct is MessengerFunction => construct instanceof MessengerFunction);
    const tables = found.filter((construct): construct is Table => construct instanceof Table);
    const deadLetterQueues = found.filter((construct): construct is DeadLetterQueue => construct instanceof DeadLetterQueue);
    const streamReaders = new Set(found.filter(isStreamMapping).map((mapping) => functions.find((fn) => mapping.node.scopes.includes(fn))));

    this.watchTraffic(props);
    this.watchFunctions(functions, streamReaders);
    this.watchQueues(props.messageQueue, deadLetterQueues, props.historyLagAlarmSeconds ?? DEFAULT_HISTORY_LAG_SECONDS);
    this.watchTables(tables);
    this.watchHistory(props.history);
    this.watchPush(props.pushTopic);

    // The dead-letter queues come with their alarm; it notifies here rather than being made twice.
    const action = new SnsAction(this.alarmTopic);
    const deadLetterAlarms: Alarm[] = deadLetterQueues.map((deadLetters) => deadLetters.alarm);
    for (const alarm of deadLetterAlarms) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
    this.alarms = [...this.facade.createdAlarms().map((created) => created.alarm), ...deadLetterAlarms];
    this.dashboard = dashboards.dashboard!;
  }

  /** Connections, frames in and out, acks' latency, and the stage's errors. */
  private watchTraffic({ gateway }: MonitoringProps): void {
    const api = (name: string, statistic?: string) => webSocketMetric(gateway.api.apiId, gateway.stage.stageName, name, statistic);
    const custom = (name: string, statistic?: string, label?: string) => customMetric(name, statistic, label);
    this.facade.addLargeHeader('Messenger');
    this.facade.monitorCustom({
      alarmFriendlyName: 'Traffic',
      humanReadableName: 'Traffic',
      metricGroups: [
        { title: 'Connections', metrics: [api('ConnectCount'), custom(CUSTOM_METRICS.connectionsOpened), custom(CUSTOM_METRICS.connectionsClosed)] },
        { title: 'Messages in and out', metrics: [api('MessageCount'), custom(CUSTOM_METRICS.messagesSent), custom(CUSTOM_METRICS.framesDelivered), custom(CUSTOM_METRICS.pushNotificationsSent)] },
        { title: 'Fan-out (connections per message)', metrics: [custom(CUSTOM_METRICS.fanOutSize, 'Average', 'average'), custom(CUSTOM_METRICS.fanOutSize, 'Maximum', 'max')] },
      ],
    });
    this.facade.monitorCustom({
      alarmFriendlyName: 'Latency',
      humanReadableName: 'Latency',
      metricGroups: [
        { title: 'Send to ack (ms)', metrics: [custom(CUSTOM_METRICS.ackLatency, 'p50', 'p50'), custom(CUSTOM_METRICS.ackLatency, 'p99', 'p99')] },
        { title: 'Gateway integration latency (ms)', metrics: [api('IntegrationLatency', 'p50'), api('IntegrationLatency', 'p99')] },
      ],
    });
    this.facade.monitorCustom({
      alarmFriendlyName: 'Gateway',
      humanReadableName: 'WebSocket API errors',
      metricGroups: [
        {
          title: 'Integration and execution errors',
          metrics: [
            withAlarm(api('IntegrationError'), 'IntegrationErrors', above(5, 'More than 5 frames in 5 minutes got an error from their function (a function failed or timed out).')),
            withAlarm(api('ExecutionError'), 'ExecutionErrors', above(0, 'API Gateway failed to run an integration (a function it could not invoke, or a timeout at 29 s).')),
          ],
        },
        {
          title: 'Client errors',
          metrics: [withAlarm(api('ClientError'), 'ClientErrors', above(100, 'More than 100 requests in 5 minutes refused as client errors (handshakes refused, throttled or oversized frames): a broken client release, or abuse.'))],
        },
      ],
    });
    this.facade.monitorCustom({
      alarmFriendlyName: 'Delivery',
      humanReadableName: 'Delivery and presence',
      metricGroups: [
        {
          title: 'Frames not delivered',
          metrics: [
            withAlarm(customMetric(CUSTOM_METRICS.deliveriesFailed), 'DeliveriesFailed', above(10, 'More than 10 message frames in 5 minutes could not be posted for a reason other than a closed connection.')),
            withAlarm(customMetric(CUSTOM_METRICS.deliveriesGone), 'DeliveriesGone', above(500, 'More than 500 message frames in 5 minutes found their connection gone (410): connections are dropping without $disconnect.')),
          ],
        },
        {
          title: 'Presence not published',
          metrics: [
            withAlarm(customMetric(CUSTOM_METRICS.presenceFramesFailed), 'PresenceFramesFailed', above(10, 'More than 10 presence frames in 5 minutes could not be posted to subscribers.')),
            withAlarm(customMetric(CUSTOM_METRICS.presenceChangesFailed), 'PresenceChangesFailed', above(0, 'A user\'s presence change could not be worked out or recorded; it is retried from the stream.')),
          ],
        },
      ],
    });
  }

  /** Each function: errors as a share of invocations, throttles, p99 duration near its timeout, and a stream reader's iterator age. */
  private watchFunctions(functions: MessengerFunction[], streamReaders: Set<IFunction | undefined>): void {
    this.facade.addLargeHeader('Functions');
    this.facade.monitorCustom({
      alarmFriendlyName: 'Functions',
      humanReadableName: 'Function errors',
      metricGroups: [
        {
          title: 'Errors (% of invocations)',
          metrics: functions.map((fn) =>
            withAlarm(errorPercentage(fn, nameOf(fn)), `${nameOf(fn)}-ErrorRate`, above(5, `More than 5% of the invocations of ${nameOf(fn)} failed in 5 minutes.`)),
          ),
        },
      ],
    });
    for (const fn of functions) {
      const readsStream = streamReaders.has(fn);
      this.facade.monitorLambdaFunction({
        lambdaFunction: fn,
        alarmFriendlyName: nameOf(fn),
        humanReadableName: nameOf(fn),
        isIterator: readsStream,
        addThrottlesCountAlarm: { Critical: { maxErrorCount: 0, alarmDescriptionOverride: `Invocations of ${nameOf(fn)} were throttled. Runbook: ${RUNBOOK}.` } },
        addLatencyP99Alarm: {
          Critical: {
            maxLatencyPercentageOfTimeout: 80,
            datapointsToAlarm: 3,
            evaluationPeriods: 3,
            alarmDescriptionOverride: `The p99 duration of ${nameOf(fn)} stayed above 80% of its timeout for 15 minutes. Runbook: ${RUNBOOK}.`,
          },
        },
        ...(readsStream
          ? { addMaxIteratorAgeAlarm: { Critical: { maxAgeInMillis: 60_000, treatMissingDataOverride: TreatMissingData.NOT_BREACHING, alarmDescriptionOverride: `${nameOf(fn)} is more than a minute behind its DynamoDB stream. Runbook: ${RUNBOOK}.` } } }
          : {}),
      });
    }
  }

  /** The message queue's depth and age (the history lag), and every dead-letter queue (whose alarms they bring). */
  private watchQueues(messageQueue: IQueue, deadLetterQueues: DeadLetterQueue[], historyLagSeconds: number): void {
    this.facade.addLargeHeader('Queues');
    this.facade.monitorSqsQueue({
      queue: messageQueue,
      alarmFriendlyName: 'MessageQueue',
      humanReadableName: 'Messages to history',
      addQueueMaxMessageAgeAlarm: {
        Critical: {
          maxAgeInSeconds: historyLagSeconds,
          treatMissingDataOverride: TreatMissingData.NOT_BREACHING,
          alarmDescriptionOverride: `A message has waited more than ${historyLagSeconds} seconds to reach history (history lag). Runbook: ${RUNBOOK}.`,
        },
      },
    });
    for (const deadLetters of deadLetterQueues) {
      this.facade.monitorSqsQueue({ queue: deadLetters.queue, alarmFriendlyName: nameOf(deadLetters), humanReadableName: `Dead letters: ${nameOf(deadLetters)}` });
    }
  }

  /** Each table: read and write throttles, system errors and consumed capacity. */
  private watchTables(tables: Table[]): void {
    this.facade.addLargeHeader('DynamoDB');
    this.facade.monitorCustom({
      alarmFriendlyName: 'Tables',
      humanReadableName: 'DynamoDB system errors',
      metricGroups: [
        {
          title: 'System errors',
          metrics: tables.map((table) =>
            withAlarm(dynamoSystemErrors(table, nameOf(table)), `${nameOf(table)}-SystemErrors`, above(0, `DynamoDB answered requests to ${nameOf(table)} with internal errors.`)),
          ),
        },
      ],
    });
    for (const table of tables) {
      const throttled = { Critical: { maxThrottledEventsThreshold: 0, alarmDescriptionOverride: `Requests to ${nameOf(table)} were throttled. Runbook: ${RUNBOOK}.` } };
      this.facade.monitorDynamoTable({
        table,
        alarmFriendlyName: nameOf(table),
        humanReadableName: nameOf(table),
        addReadThrottledEventsCountAlarm: throttled,
        addWriteThrottledEventsCountAlarm: throttled,
      });
    }
  }

  /** Keyspaces (AWS/Cassandra), charted only: its failures show as the history lag and the persist function's errors. */
  private watchHistory(history: HistoryStore): void {
    const metric = (name: string, statistic?: string, operation?: string) => keyspacesMetric(history.keyspaceName, history.messagesTableName, name, statistic, operation);
    this.facade.addLargeHeader('Keyspaces');
    this.facade.monitorCustom({
      alarmFriendlyName: 'History',
      humanReadableName: `Keyspaces ${history.keyspaceName}.${history.messagesTableName}`,
      metricGroups: [
        { title: 'Consumed capacity', metrics: [metric('ConsumedWriteCapacityUnits'), metric('ConsumedReadCapacityUnits')] },
        { title: 'Latency (ms)', metrics: [metric('SuccessfulRequestLatency', 'p99', 'INSERT'), metric('SuccessfulRequestLatency', 'p99', 'SELECT')] },
        { title: 'Errors and throttles', metrics: [metric('SystemErrors'), metric('UserErrors'), metric('WriteThrottleEvents'), metric('ReadThrottleEvents')] },
        { title: 'History writes', metrics: [customMetric(CUSTOM_METRICS.messagesPersisted), customMetric(CUSTOM_METRICS.persistFailures)] },
      ],
    });
  }

  /** The push topic's failed notifications, and the push the functions sent and failed to send. */
  private watchPush(pushTopic: ITopic): void {
    this.facade.addLargeHeader('Push');
    this.facade.monitorSnsTopic({
      topic: pushTopic,
      alarmFriendlyName: 'PushTopic',
      humanReadableName: 'Push requests',
      addMessageNotificationsFailedAlarm: {
        Critical: { maxNotificationsFailedCount: 0, treatMissingDataOverride: TreatMissingData.NOT_BREACHING, alarmDescriptionOverride: `SNS could not hand push requests to the send function. Runbook: ${RUNBOOK}.` },
      },
    });
    this.facade.monitorCustom({
      alarmFriendlyName: 'Push',
      humanReadableName: 'Push notifications',
      metricGroups: [
        {
          title: 'Push sent and failed',
          metrics: [
            customMetric(CUSTOM_METRICS.pushNotificationsSent),
            withAlarm(customMetric(CUSTOM_METRICS.pushSendFailures), 'PushSendFailures', above(5, 'The send function failed on more than 5 push requests in 5 minutes (each is retried, then dead-lettered).')),
            withAlarm(customMetric(CUSTOM_METRICS.pushRequestsNotPublished), 'PushRequestsNotPublished', above(0, 'The chat function could not publish push requests: offline members missed notifications.')),
          ],
        },
      ],
    });
  }
}

/** A mapping that feeds a function from a DynamoDB stream (its source is a table's `StreamArn`). */
function isStreamMapping(construct: IConstruct): construct is CfnEventSourceMapping {
  if (!(construct instanceof CfnEventSourceMapping)) return false;
  const source = Stack.of(construct).resolve(construct.eventSourceArn) as { 'Fn::GetAtt'?: [string, string] };
  return source['Fn::GetAtt']?.[1] === 'StreamArn';
}

