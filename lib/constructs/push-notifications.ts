import { Duration } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Alias } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { acknowledgeWildcardResource } from '../nag-acknowledgements';
import { DeadLetterQueue } from './dead-letter-queue';
import { MessengerFunction } from './messenger-function';
import { MessengerTable } from './messenger-table';
import type { UserSettings } from './user-settings';

/** Lambda's retries of a push request the send function failed on (its most, and default). */
const PUSH_RETRY_ATTEMPTS = 2;
/** The retry function's longest run; a failed delivery is tried again six times this later (the queue's visibility timeout). */
const RETRY_FUNCTION_TIMEOUT = Duration.seconds(10);
/** Tries of one failed delivery from the retry queue before it goes to the dead-letter queue. */
const RETRY_RECEIVES = 5;

/** The SNS platform applications that reach the push services; CloudFormation cannot create them. */
export interface PushPlatformApplications {
  /** ARN of the SNS platform application for APNs (or APNs sandbox). */
  readonly apns?: string;
  /** ARN of the SNS platform application for FCM. */
  readonly fcm?: string;
}

export interface PushNotificationsProps {
  readonly platformApplications?: PushPlatformApplications;
  /** Whose push previews setting decides what a notification shows. */
  readonly settings: UserSettings;
}

/**
 * Push notifications: an encrypted SNS topic that the sending side publishes one request to per
 * message (for all its offline recipients), the function subscribed to it that sends to each
 * recipient's devices through SNS mobile push, each device on its own, the queue where a device's
 * failed delivery waits for its own retry (and the function that retries it), and the registry of
 * those devices.
 */
export class PushNotifications extends Construct {
  public readonly topic: Topic;
  public readonly devicesTable: Table;
  public readonly sendFunction: MessengerFunction;
  /** One message per failed delivery (one device), retried on its own by the retry function. */
  public readonly retryQueue: Queue;
  public readonly retryFunction: MessengerFunction;
  /**
   * Push requests that failed: those the send function failed on after Lambda's retries (its
   * on-failure destination), those SNS could not hand to Lambda at all (the subscription's), and
   * single deliveries that failed every retry (the retry queue's).
   */
  public readonly deadLetterQueue: Queue;
  /** In alarm while any push request waits in the dead-letter queue. */
  public readonly deadLetterAlarm: Alarm;
  public readonly platformApplications: PushPlatformApplications;

  constructor(scope: Construct, id: string, props: PushNotificationsProps) {
    super(scope, id);
    this.platformApplications = props.platformApplications ?? {};

    this.topic = new Topic(this, 'Topic', {
      masterKey: Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
      enforceSSL: true,
    });

    this.devicesTable = new MessengerTable(this, 'Devices', { partitionKey: 'userId', sortKey: 'deviceKey' });

    const deadLetters = new DeadLetterQueue(this, 'DeadLetters', {
      alarmDescription:
        'Push requests failed after retries and wait in the dead-letter queue (the send function failed on them, or SNS could not invoke it); fix the cause, then republish them.',
    });
    this.deadLetterQueue = deadLetters.queue;
    this.deadLetterAlarm = deadLetters.alarm;

    this.retryQueue = new Queue(this, 'RetryQueue', {
      visibilityTimeout: Duration.seconds(RETRY_FUNCTION_TIMEOUT.toSeconds() * 6),
      retentionPeriod: Duration.hours(1),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: RETRY_RECEIVES },
    });

    this.sendFunction = new MessengerFunction(this, 'Send', {
      handler: 'send-push',
      timeout: Duration.seconds(30),
      environment: { PUSH_DEVICES_TABLE: this.devicesTable.tableName, PUSH_RETRY_QUEUE_URL: this.retryQueue.queueUrl, ...props.settings.environment },
    });
    props.settings.grantRead(this.sendFunction);
    this.retryQueue.grantSendMessages(this.sendFunction);
    // SNS invokes Lambda asynchronously: Lambda accepts the event, so the subscription's dead-letter
    // queue only gets what SNS could not hand over. What the function fails on, Lambda retries and
    // then sends to the function's own on-failure destination.
    this.topic.addSubscription(new LambdaSubscription(this.sendFunction, { deadLetterQueue: this.deadLetterQueue }));
    this.sendFunction.configureAsyncInvoke({ onFailure: new SqsDestination(this.deadLetterQueue), retryAttempts: PUSH_RETRY_ATTEMPTS });
    this.devicesTable.grant(this.sendFunction, 'dynamodb:Query', 'dynamodb:DeleteItem');
    this.grantPublishToDevices(this.sendFunction);

    this.retryFunction = new MessengerFunction(this, 'Retry', {
      handler: 'retry-push',
      timeout: RETRY_FUNCTION_TIMEOUT,
      environment: { PUSH_DEVICES_TABLE: this.devicesTable.tableName, ...props.settings.environment },
    });
    this.retryFunction.addEventSource(new SqsEventSource(this.retryQueue, { batchSize: 10, reportBatchItemFailures: true }));
    // It reads the device's record and its user's previews again: either may have changed since the failure.
    this.devicesTable.grant(this.retryFunction, 'dynamodb:GetItem', 'dynamodb:DeleteItem');
    props.settings.grantRead(this.retryFunction);
    this.grantPublishToDevices(this.retryFunction);
  }

  /** The ARNs of the platform applications that are configured. */
  private get applicationArns(): string[] {
    return [this.platformApplications.apns, this.platformApplications.fcm].filter((arn): arn is string => arn !== undefined);
  }

  /**
   * Lets the grantee publish to device endpoints of the configured platform applications. SNS
   * names an application's endpoints `…:endpoint/<platform>/<app>/<id>` after its `…:app/<platform>/<app>`.
   */
  private grantPublishToDevices(grantee: IGrantable): Grant | undefined {
    if (this.endpointArns.length === 0) return undefined;
    return Grant.addToPrincipal({ grantee, actions: ['sns:Publish'], resourceArns: this.endpointArnsFor(grantee) });
  }

  /** Every device endpoint of the configured applications, acknowledged as the wildcard it is for the grantee. */
  private endpointArnsFor(grantee: IGrantable): string[] {
    for (const arn of this.endpointArns) {
      acknowledgeWildcardResource(grantee, arn, 'Device endpoints are created at run time, one per registered device; the grant covers the endpoints of one configured platform application.');
    }
    return this.endpointArns;
  }

  private get endpointArns(): string[] {
    return this.applicationArns.map((arn) => `${arn.replace(':app/', ':endpoint/')}/*`);
  }

  /** Environment a function needs to register devices. */
  public get registrationEnvironment(): Record<string, string> {
    return {
      PUSH_DEVICES_TABLE: this.devicesTable.tableName,
      ...(this.platformApplications.apns ? { APNS_PLATFORM_APPLICATION_ARN: this.platformApplications.apns } : {}),
      ...(this.platformApplications.fcm ? { FCM_PLATFORM_APPLICATION_ARN: this.platformApplications.fcm } : {}),
    };
  }

  /** Lets the grantee publish push requests for offline recipients. */
  public grantRequestPush(grantee: IGrantable): Grant {
    return this.topic.grantPublish(grantee);
  }

  /**
   * Lets the grantee register and unregister devices: platform endpoints and their records, and
   * the user's devices read (a Query) to evict the oldest past the cap.
   */
  public grantRegisterDevices(grantee: IGrantable): Grant {
    if (this.applicationArns.length > 0) {
      Grant.addToPrincipal({ grantee, actions: ['sns:CreatePlatformEndpoint'], resourceArns: this.applicationArns });
      Grant.addToPrincipal({
        grantee,
        actions: ['sns:DeleteEndpoint', 'sns:GetEndpointAttributes', 'sns:SetEndpointAttributes'],
        resourceArns: this.endpointArnsFor(grantee),
      });
    }
    return this.devicesTable.grant(grantee, 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Query');
  }
}
