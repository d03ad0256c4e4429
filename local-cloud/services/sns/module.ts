import * as path from 'node:path';
import { PUSH_APPLICATIONS_CONTEXT } from '../../../lib/app-context';
import { resourcesOfType } from '../../assembly/cloud-assembly';
import { json, USER_RULE, userParameter } from '../../http';
import { ACCOUNT_ID, arn } from '../account';
import { InvocationRefused, type LambdaService } from '../lambda/lambda-service';
import { serviceInvoker } from '../lambda/resource-policy';
import type { CloudContext, CloudService, DefinedResource, HttpRoute, LaunchContext } from '../service';
import { EndpointRefused, LocalSns, type LambdaSubscriptionTarget } from './sns-server';

const TOPIC = 'AWS::SNS::Topic';
const SUBSCRIPTION = 'AWS::SNS::Subscription';

/** The SNS platform applications the local stand-in for APNs and FCM answers for. */
const LOCAL_PUSH_APPLICATIONS = {
  apns: arn('sns', 'app/APNS/messenger-local'),
  fcm: arn('sns', 'app/GCM/messenger-local'),
};

/**
 * How SNS hands a topic's message to a subscribed function: Lambda's asynchronous invocation, as
 * the topic under `sns.amazonaws.com`. Lambda's refusal (no such function, no permission for the
 * topic) is a client-side error SNS does not retry.
 */
export function lambdaHandOver(lambda: LambdaService, functionRef: string, topicArn: string): (event: unknown) => Promise<unknown> {
  return (event) =>
    lambda.invokeAsync(functionRef, event, serviceInvoker('sns.amazonaws.com', topicArn, ACCOUNT_ID)).catch((error: Error) => {
      throw error instanceof InvocationRefused ? new EndpointRefused(error.message) : error;
    });
}

/**
 * SNS: the stand-in server (launched early, so that functions are given its endpoint), the
 * template's topics with their Lambda subscriptions and redrive policies, mobile push through
 * the local platform applications, and `/dev/push` to read what a user's devices received.
 */
export class SnsService implements CloudService {
  readonly name = 'sns';
  private sns?: LocalSns;
  private topics?: Record<string, string>;

  async synthContext(): Promise<Record<string, string>> {
    return { [PUSH_APPLICATIONS_CONTEXT.apns]: LOCAL_PUSH_APPLICATIONS.apns, [PUSH_APPLICATIONS_CONTEXT.fcm]: LOCAL_PUSH_APPLICATIONS.fcm };
  }

  async launch({ assembly, config, log, endpoints }: LaunchContext): Promise<void> {
    if (resourcesOfType(assembly, TOPIC).length === 0) return;
    this.sns = await LocalSns.start({ dataDir: path.join(config.dataDir, 'sns'), log });
    endpoints.publish('sns', this.sns.endpoint);
  }

  readonly resourceTypes = {
    [TOPIC]: ({ resource, physicalName }: DefinedResource) => {
      const name = String(resource.Properties?.TopicName ?? physicalName);
      return { ref: arn('sns', name), attributes: { TopicArn: arn('sns', name), TopicName: name } };
    },
    [SUBSCRIPTION]: ({ logicalId, physicalName }: DefinedResource) => ({ ref: `${arn('sns', physicalName)}:${logicalId}`, attributes: {} }),
  };

  async start({ assembly, resolver, exposed, log }: CloudContext): Promise<void> {
    if (this.sns === undefined) return;
    const subscriptions: LambdaSubscriptionTarget[] = [];
    for (const [logicalId, resource] of resourcesOfType(assembly, SUBSCRIPTION)) {
      const properties = resolver.resolve(resource.Properties) as {
        Protocol: string;
        Endpoint: string;
        TopicArn: string;
        RedrivePolicy?: { deadLetterTargetArn: string };
      };
      // An operator's address for the alarm topic (-c messenger:alarmEmail): there is no mail to send it to here.
      if (properties.Protocol === 'email') {
        log(`subscription ${logicalId}: email to ${properties.Endpoint} is not sent locally`);
        continue;
      }
      if (properties.Protocol !== 'lambda') throw new Error(`subscription ${logicalId} uses ${properties.Protocol}; only lambda subscriptions run locally`);
      const lambda = exposed.lambda;
      if (lambda === undefined) throw new Error(`subscription ${logicalId} delivers to a function, and no functions run`);
      const deadLetterUrl = properties.RedrivePolicy && exposed.queues?.urlOf(properties.RedrivePolicy.deadLetterTargetArn);
      if (properties.RedrivePolicy && deadLetterUrl === undefined) {
        throw new Error(`subscription ${logicalId} redrives to ${properties.RedrivePolicy.deadLetterTargetArn}, which is not a queue of the template`);
      }
      subscriptions.push({
        subscriptionArn: resolver.resolveString({ Ref: logicalId }),
        topicArn: properties.TopicArn,
        handOver: lambdaHandOver(lambda, properties.Endpoint, properties.TopicArn),
        deadLetter: deadLetterUrl === undefined ? undefined : exposed.queues!.sendsTo(deadLetterUrl),
      });
    }
    const topics = resourcesOfType(assembly, TOPIC).map(([logicalId]) => [logicalId, resolver.resolveString({ Ref: logicalId })] as const);
    this.sns.configure(
      topics.map(([, topicArn]) => topicArn),
      subscriptions,
    );
    this.topics = Object.fromEntries(topics);
    const sns = this.sns;
    exposed.sns = { onTopicActivity: (observer) => sns.onTopicActivity(observer) };
  }

  readonly routes: readonly HttpRoute[] = [
    {
      path: '/dev/push',
      handle: (_request, response, url) => {
        const user = userParameter(url);
        if (user === undefined) return json(response, 400, { message: `${USER_RULE}, e.g. /dev/push?user=bob` });
        const notifications = (this.sns?.notificationsFor(user) ?? []).map(({ userId: _user, ...notification }) => notification);
        return json(response, 200, { notifications });
      },
    },
  ];

  describe(): Record<string, unknown> {
    if (this.sns === undefined || this.topics === undefined) return {};
    return { sns: { endpoint: this.sns.endpoint, topics: this.topics, platformApplications: LOCAL_PUSH_APPLICATIONS } };
  }

  async stop(): Promise<void> {
    await this.sns?.stop();
  }
}
