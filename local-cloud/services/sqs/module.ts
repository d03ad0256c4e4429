import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import * as path from 'node:path';
import { resourcesOfType } from '../../assembly/cloud-assembly';
import type { RunningStandIn } from '../../standins/dynamodb-local';
import { startElasticMq } from '../../standins/elasticmq';
import { ACCOUNT_ID, arn, LOCAL_CREDENTIALS, REGION } from '../account';
import type { CloudContext, CloudService, DefinedResource, LaunchContext } from '../service';
import { controlOf } from '../stand-in-control';
import { ensureQueue, queueCreationOrder, type QueueProperties } from './queues';

const QUEUE = 'AWS::SQS::Queue';

/** What the SQS service offers the services after it: pollers, dead letters, failure destinations. */
export interface QueueAccess {
  readonly client: SQSClient;
  /** The URL of the template's queue with this ARN, if there is one. */
  urlOf(queueArn: string): string | undefined;
  /** Sends each body it is given to the queue: where dead letters and failed batches are described. */
  sendsTo(queueUrl: string): (body: string) => Promise<void>;
}

/** SQS on ElasticMQ: the template's queues with their attributes and redrive policies. */
export class SqsService implements CloudService {
  readonly name = 'sqs';
  private standIn?: RunningStandIn;
  private client?: SQSClient;
  private queues?: Record<string, string>;

  async launch({ assembly, config, log, logDir, endpoints }: LaunchContext): Promise<void> {
    if (resourcesOfType(assembly, QUEUE).length === 0) return;
    log('starting ElasticMQ (SQS)');
    this.standIn = await startElasticMq(path.join(config.dataDir, 'sqs'), logDir);
    endpoints.publish('sqs', this.standIn.endpoint);
  }

  readonly resourceTypes = {
    [QUEUE]: ({ resource, physicalName }: DefinedResource, { endpoints }: LaunchContext) => {
      const name = String(resource.Properties?.QueueName ?? physicalName);
      // Functions' SDK sends to the queue URL's host, so the URL names the endpoint functions are given.
      const url = `${endpoints.functionEndpoint('sqs')}/${ACCOUNT_ID}/${name}`;
      return { ref: url, attributes: { Arn: arn('sqs', name), QueueName: name, QueueUrl: url } };
    },
  };

  async start({ assembly, resolver, config, exposed }: CloudContext): Promise<void> {
    if (this.standIn === undefined) return;
    const client = new SQSClient({ endpoint: this.standIn.endpoint, region: REGION, credentials: LOCAL_CREDENTIALS });
    this.client = client;
    const queues = resourcesOfType(assembly, QUEUE).map(([logicalId, resource]) => ({
      logicalId,
      url: resolver.resolveString({ Ref: logicalId }),
      name: resolver.resolveString({ 'Fn::GetAtt': [logicalId, 'QueueName'] }),
      arn: resolver.resolveString({ 'Fn::GetAtt': [logicalId, 'Arn'] }),
      properties: (resolver.resolve(resource.Properties) ?? {}) as QueueProperties,
    }));
    const provision = async () => {
      for (const queue of queueCreationOrder(queues)) {
        await ensureQueue(client, queue.name, queue.properties, config.sqsVisibilityTimeoutCapSeconds);
      }
    };
    await provision();
    this.queues = Object.fromEntries(queues.map((queue) => [queue.logicalId, queue.url]));
    const urlByArn = new Map(queues.map((queue) => [queue.arn, queue.url]));
    exposed.queues = {
      client,
      urlOf: (queueArn) => urlByArn.get(queueArn),
      sendsTo: (queueUrl) => async (body) => {
        await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
      },
    };
    exposed.standIns = { ...exposed.standIns, sqs: controlOf(this.standIn.service, provision) };
  }

  describe(): Record<string, unknown> {
    return this.standIn && this.queues ? { sqs: { endpoint: this.standIn.endpoint, queues: this.queues } } : {};
  }

  async stop(): Promise<void> {
    this.client?.destroy();
    await this.standIn?.service.stop();
  }
}
