import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic, type Subscription } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface AlarmTopicProps {
  /** The start of the names of the alarms that may publish: `<prefix>-…`. */
  readonly alarmNamePrefix: string;
  /**
   * An address the topic emails; it must confirm the subscription first.
   * @default no subscription
   */
  readonly email?: string;
}

/**
 * Where alarms notify: an SNS topic that takes TLS only, encrypted with a customer managed key.
 * An AWS managed key would not do: CloudWatch must be allowed to use the key, and only a customer
 * managed key's policy can say so. Key and topic let CloudWatch in for this stack's alarms only.
 */
export class AlarmTopic extends Construct {
  public readonly topic: Topic;
  /** Encrypts the topic, rotated yearly. */
  public readonly key: Key;
  /** The email subscription, when an address was given. */
  public readonly emailSubscription?: Subscription;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // The named alarms start with the prefix, and CloudFormation names unnamed ones `<stack>-…`.
    const alarmArns = stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: `${props.alarmNamePrefix}-*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const fromOurAlarms = { StringEquals: { 'aws:SourceAccount': stack.account }, ArnLike: { 'aws:SourceArn': alarmArns } };
    const cloudWatch = new ServicePrincipal('cloudwatch.amazonaws.com');

    this.key = new Key(this, 'Key', {
      description: 'Encrypts the alarm topic; CloudWatch alarms of this stack may use it to publish.',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.key.addToResourcePolicy(
      new PolicyStatement({ principals: [cloudWatch], actions: ['kms:Decrypt', 'kms:GenerateDataKey*'], resources: ['*'], conditions: fromOurAlarms }),
    );
    this.topic = new Topic(this, 'Topic', { displayName: `${props.alarmNamePrefix} alarms`, masterKey: this.key, enforceSSL: true });
    // A topic policy replaces SNS's default one (enforceSSL writes one), so CloudWatch's publishing is allowed here.
    this.topic.addToResourcePolicy(
      new PolicyStatement({ principals: [cloudWatch], actions: ['sns:Publish'], resources: [this.topic.topicArn], conditions: fromOurAlarms }),
    );
    if (props.email !== undefined) this.emailSubscription = this.topic.addSubscription(new EmailSubscription(props.email));
  }
}
