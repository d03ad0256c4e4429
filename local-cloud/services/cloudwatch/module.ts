import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { resourcesOfType } from '../../assembly/cloud-assembly';
import { json } from '../../http';
import { HISTORY_LAG_ALARM_CONTEXT } from '../../../lib/app-context';
import { arn, LOCAL_CREDENTIALS, REGION } from '../account';
import type { WebAsset } from '../../../web/build';
import type { CloudContext, CloudService, DefinedResource, HttpRoute, SetupContext } from '../service';
import { alarmDefinitionOf, type AlarmProperties } from './alarm-definitions';
import { AlarmEvaluator } from './alarm-evaluator';
import { putGatewayTraffic } from './api-gateway-feed';
import { buildDashboardPage, dashboardRoutes, templateDashboards, type LocalDashboard } from './dashboard/local-dashboard';
import { putDynamoDbCalls } from './dynamodb-feed';
import { putIteratorAge } from './iterator-age';
import { putKeyspacesRequest } from './keyspaces-feed';
import { putConcurrency } from './lambda-concurrency';
import { feedFromFunctions, type EmfCounts } from './lambda-feeds';
import { MetricStore } from './metric-store';
import { putTopicActivity } from './sns-feed';
import { QueueMessageAges } from './sqs-message-ages';
import { putFunctionSqsCall, putPollerSqsCounts } from './sqs-counts';
import { SqsSampler } from './sqs-sampler';

const ALARM = 'AWS::CloudWatch::Alarm';
/** CloudWatch evaluates alarms once a minute; here every few seconds, and every second when periods are shortened. */
const TICK_MS = 5000;
const SHORT_TICK_MS = 1000;
/** SQS reports its queue metrics once a minute. */
const SQS_SAMPLE_MS = 60_000;

/**
 * CloudWatch: a metric store fed by what the local cloud sees (the functions' invocations, their
 * DynamoDB calls and EMF log lines; what Lambda's pollers receive and hand over; samples of the
 * queues; the WebSocket API's traffic; what SNS publishes and delivers), the template's alarms
 * evaluated against it, their state changes published to their actions' SNS topics,
 * `GET /dev/alarms` to read states and notifications, and `GET /dev/metrics[?namespace=…]` to list
 * the metrics it holds. `LOCAL_ALARM_PERIOD_SECONDS` shortens every alarm's period for tests,
 * `LOCAL_HISTORY_LAG_ALARM_SECONDS` sets the history-lag alarm's threshold.
 * An alarm it cannot evaluate as CloudWatch would stops the local cloud at start, naming it.
 */
export class CloudWatchService implements CloudService {
  readonly name = 'cloudwatch';
  private evaluator?: AlarmEvaluator;
  private sampler?: SqsSampler;
  private emf?: EmfCounts;
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private sns?: SNSClient;
  private sqs?: SQSClient;
  private periodSecondsOverride?: number;
  private store?: MetricStore;
  private dashboardPage: WebAsset[] = [];
  private dashboard?: LocalDashboard;

  readonly resourceTypes = {
    [ALARM]: ({ resource, physicalName }: DefinedResource) => {
      const name = typeof resource.Properties?.AlarmName === 'string' ? resource.Properties.AlarmName : physicalName;
      return { ref: name, attributes: { Arn: arn('cloudwatch', `alarm:${name}`) } };
    },
  };

  /** `LOCAL_HISTORY_LAG_ALARM_SECONDS`, when set, becomes the history-lag alarm's threshold. */
  async synthContext({ config }: SetupContext): Promise<Record<string, string>> {
    return config.historyLagAlarmSeconds === undefined ? {} : { [HISTORY_LAG_ALARM_CONTEXT]: String(config.historyLagAlarmSeconds) };
  }

  /** Builds the page of the template's dashboard (`GET /dev/dashboard`, see `dashboard/`) while the stand-ins start. */
  async launch(): Promise<void> {
    this.dashboardPage = await buildDashboardPage();
  }

  async start({ assembly, resolver, endpoints, exposed, config, log }: CloudContext): Promise<void> {
    const store = new MetricStore();
    this.store = store;
    this.dashboard = { dashboards: templateDashboards(assembly, resolver), page: new Map(this.dashboardPage.map((asset) => [asset.urlPath, asset])), store };
    this.periodSecondsOverride = config.alarmPeriodSeconds;
    if (exposed.lambda) {
      this.emf = feedFromFunctions(exposed.lambda, store, log);
      exposed.lambda.onPollerEvent((event) => putIteratorAge(store, event));
      exposed.lambda.onPollerEvent((event) => putPollerSqsCounts(store, event));
      exposed.lambda.onInvocation((record) => putDynamoDbCalls(store, record));
      exposed.lambda.onConcurrency((change) => putConcurrency(store, change));
    }
    const gateway = exposed.gateway;
    gateway?.traffic.observe((event) => putGatewayTraffic(store, gateway, event));
    exposed.sns?.onTopicActivity((activity) => putTopicActivity(store, activity));
    exposed.iam?.onKeyspacesRequest((outcome) => putKeyspacesRequest(store, outcome));
    exposed.iam?.onProxiedCall((call) => putFunctionSqsCall(store, call));

    const sqsEndpoint = endpoints.standIn('sqs');
    const queues = resourcesOfType(assembly, 'AWS::SQS::Queue').map(([logicalId]) => ({
      name: resolver.resolveString({ 'Fn::GetAtt': [logicalId, 'QueueName'] }),
      url: resolver.resolveString({ Ref: logicalId }),
    }));
    if (sqsEndpoint !== undefined && queues.length > 0) {
      this.sqs = new SQSClient({ endpoint: sqsEndpoint, region: REGION, credentials: LOCAL_CREDENTIALS });
      const ages = new QueueMessageAges();
      exposed.lambda?.onPollerEvent((event) => ages.observe(event));
      this.sampler = new SqsSampler(this.sqs, queues, store, ages, log);
      this.sampler.start(config.alarmPeriodSeconds === undefined ? SQS_SAMPLE_MS : (config.alarmPeriodSeconds * 1000) / 2);
    }

    const alarms = resourcesOfType(assembly, ALARM).map(([logicalId, resource]) =>
      alarmDefinitionOf(
        logicalId,
        resolver.resolveString({ Ref: logicalId }),
        resolver.resolveString({ 'Fn::GetAtt': [logicalId, 'Arn'] }),
        resolver.resolve(resource.Properties) as AlarmProperties,
      ),
    );
    if (alarms.length === 0) return;
    const snsEndpoint = endpoints.standIn('sns');
    if (snsEndpoint === undefined) throw new Error('the template has alarms, and no SNS to notify');
    const sns = new SNSClient({ endpoint: snsEndpoint, region: REGION, credentials: LOCAL_CREDENTIALS });
    this.sns = sns;
    this.evaluator = new AlarmEvaluator(alarms, {
      store,
      region: REGION,
      periodSecondsOverride: config.alarmPeriodSeconds,
      log,
      publish: async (topicArn, subject, message) => (await sns.send(new PublishCommand({ TopicArn: topicArn, Subject: subject, Message: message }))).MessageId!,
    });
    const evaluator = this.evaluator;
    this.timer = setInterval(
      () => {
        if (this.ticking === undefined) this.ticking = evaluator.tick().finally(() => (this.ticking = undefined));
      },
      config.alarmPeriodSeconds === undefined ? TICK_MS : SHORT_TICK_MS,
    );
  }

  readonly routes: readonly HttpRoute[] = [
    ...dashboardRoutes(() => this.dashboard),
    {
      path: '/dev/metrics',
      handle: (_request, response, url) => json(response, 200, { metrics: this.store?.summaries(url.searchParams.get('namespace') ?? undefined) ?? [] }),
    },
    {
      path: '/dev/alarms',
      handle: (_request, response) =>
        json(response, 200, {
          periodSecondsOverride: this.periodSecondsOverride ?? null,
          alarms: this.evaluator?.snapshot() ?? {},
          emf: this.emf ?? null,
        }),
    },
  ];

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.ticking;
    await this.sampler?.stop();
    this.sns?.destroy();
    this.sqs?.destroy();
  }
}
