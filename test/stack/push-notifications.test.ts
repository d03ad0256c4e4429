import { Match, Template } from 'aws-cdk-lib/assertions';
import { PushNotifications, type PushPlatformApplications } from '../../lib/constructs/push-notifications';
import { UserSettings } from '../../lib/constructs/user-settings';
import { actions, functionBaseline, grantee, logicalIdOf, permissionsOf, resource, testStack } from './template';

const applications = {
  apns: 'arn:aws:sns:us-east-1:123456789012:app/APNS/messenger',
  fcm: 'arn:aws:sns:us-east-1:123456789012:app/GCM/messenger',
};
const endpoints = {
  apns: '"arn:aws:sns:us-east-1:123456789012:endpoint/APNS/messenger/*"',
  fcm: '"arn:aws:sns:us-east-1:123456789012:endpoint/GCM/messenger/*"',
};

function synthPush(platformApplications?: PushPlatformApplications) {
  const stack = testStack();
  const settings = new UserSettings(stack, 'Settings');
  const push = new PushNotifications(stack, 'Push', { platformApplications, settings });
  return { stack, push, settings, get template() { return Template.fromStack(stack); } };
}

describe('PushNotifications', () => {
  it('has a topic encrypted with the SNS key, refusing plain HTTP, with the send function subscribed and undeliverable requests dead-lettered', () => {
    const { stack, push, template } = synthPush();
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::Join': ['', Match.arrayWith([':alias/aws/sns'])] },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: [Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })] },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: { Ref: logicalIdOf(stack, push.topic) },
      Endpoint: { 'Fn::GetAtt': [logicalIdOf(stack, push.sendFunction), 'Arn'] },
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [logicalIdOf(stack, push.deadLetterQueue), 'Arn'] } },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalIdOf(stack, push.deadLetterQueue), 'QueueName'] } }],
    });
  });

  it('sends a request the function failed on, after two retries by Lambda, to the dead-letter queue', () => {
    const { stack, push, template } = synthPush();
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalIdOf(stack, push.sendFunction) },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalIdOf(stack, push.deadLetterQueue), 'Arn'] } } },
    });
  });

  it('keeps devices in an encrypted, recoverable table keyed by user and device', () => {
    const { stack, push, template } = synthPush();
    expect(template.toJSON().Resources[logicalIdOf(stack, push.devicesTable)]).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: {
        KeySchema: [
          { AttributeName: 'userId', KeyType: 'HASH' },
          { AttributeName: 'deviceKey', KeyType: 'RANGE' },
        ],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      },
    });
  });

  it('lets the send function find and forget devices, read previews settings, queue failed deliveries and publish only to endpoints of the configured applications', () => {
    const { stack, push, settings } = synthPush(applications);
    expect(permissionsOf(stack, push.sendFunction.role!)).toEqual({
      ...functionBaseline(stack, push.sendFunction),
      [resource(stack, push.devicesTable.tableArn)]: actions('dynamodb:Query', 'dynamodb:DeleteItem'),
      [resource(stack, push.deadLetterQueue.queueArn)]: actions('sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'),
      [resource(stack, push.retryQueue.queueArn)]: actions('sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'),
      [resource(stack, settings.table.tableArn)]: actions('dynamodb:BatchGetItem'),
      [endpoints.apns]: actions('sns:Publish'),
      [endpoints.fcm]: actions('sns:Publish'),
    });
  });

  it('lets the retry function read its queue, read a device and its user\'s previews setting again, forget devices and publish only to endpoints of the configured applications', () => {
    const { stack, push, template, settings } = synthPush(applications);
    expect(permissionsOf(stack, push.retryFunction.role!)).toEqual({
      ...functionBaseline(stack, push.retryFunction),
      [resource(stack, push.devicesTable.tableArn)]: actions('dynamodb:GetItem', 'dynamodb:DeleteItem'),
      [resource(stack, settings.table.tableArn)]: actions('dynamodb:BatchGetItem'),
      [resource(stack, push.retryQueue.queueArn)]: actions('sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'),
      [endpoints.apns]: actions('sns:Publish'),
      [endpoints.fcm]: actions('sns:Publish'),
    });
    // A failed delivery is retried after 60 s, five times at most, then dead-lettered; the retry function reports each on its own.
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 60,
      KmsMasterKeyId: Match.absent(),
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [logicalIdOf(stack, push.deadLetterQueue), 'Arn'] }, maxReceiveCount: 5 },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(stack, push.retryQueue), 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('grants no publishing to devices when no platform application is configured', () => {
    const { stack, push, settings } = synthPush();
    expect(permissionsOf(stack, push.sendFunction.role!)).toEqual({
      ...functionBaseline(stack, push.sendFunction),
      [resource(stack, push.devicesTable.tableArn)]: actions('dynamodb:Query', 'dynamodb:DeleteItem'),
      [resource(stack, push.deadLetterQueue.queueArn)]: actions('sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'),
      [resource(stack, push.retryQueue.queueArn)]: actions('sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'),
      [resource(stack, settings.table.tableArn)]: actions('dynamodb:BatchGetItem'),
    });
  });

  it('grantRequestPush allows publishing to the topic only', () => {
    const { stack, push } = synthPush();
    const role = grantee(stack);
    push.grantRequestPush(role);
    expect(permissionsOf(stack, role)).toEqual({ [resource(stack, push.topic.topicArn)]: actions('sns:Publish') });
  });

  it('grantRegisterDevices allows endpoints in the configured applications and device records, and nothing else', () => {
    const { stack, push } = synthPush({ fcm: applications.fcm });
    const role = grantee(stack);
    push.grantRegisterDevices(role);
    expect(permissionsOf(stack, role)).toEqual({
      [JSON.stringify(applications.fcm)]: actions('sns:CreatePlatformEndpoint'),
      [endpoints.fcm]: actions('sns:DeleteEndpoint', 'sns:GetEndpointAttributes', 'sns:SetEndpointAttributes'),
      [resource(stack, push.devicesTable.tableArn)]: actions('dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Query'),
    });
  });

  it('grantRegisterDevices allows device records only when no application is configured', () => {
    const { stack, push } = synthPush();
    const role = grantee(stack);
    push.grantRegisterDevices(role);
    expect(permissionsOf(stack, role)).toEqual({ [resource(stack, push.devicesTable.tableArn)]: actions('dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Query') });
  });

  it('tells the registration function the table and only the configured applications', () => {
    const { stack, push } = synthPush({ apns: applications.apns });
    expect(stack.resolve(push.registrationEnvironment)).toEqual({
      PUSH_DEVICES_TABLE: { Ref: logicalIdOf(stack, push.devicesTable) },
      APNS_PLATFORM_APPLICATION_ARN: applications.apns,
    });
  });
});
