/**
 * The messenger's own synthesized template, resolved with the local cloud's intrinsic resolver,
 * so that the IAM tests decide against the policies CDK really grants. Physical names follow the
 * local cloud's (`<stack>-<logical id>`).
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { MessengerStack } from '../../../../../lib/messenger-stack';
import { IntrinsicResolver } from '../../../../../local-cloud/assembly/intrinsics';
import type { TemplateView } from '../../../../../local-cloud/services/iam/principals';

export const REGION = 'us-east-1';
export const ACCOUNT = '000000000000';
export const API_ID = 'local';
export const STACK = 'Messenger';
export const PUSH_APPLICATIONS = {
  apns: `arn:aws:sns:${REGION}:${ACCOUNT}:app/APNS/messenger-local`,
  fcm: `arn:aws:sns:${REGION}:${ACCOUNT}:app/GCM/messenger-local`,
};

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** The template's resources with their logical ids, straight from CDK (bundling skipped). */
export function messengerResources(): Resources {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new MessengerStack(app, STACK, { pushPlatformApplications: PUSH_APPLICATIONS });
  return Template.fromStack(stack).toJSON().Resources as Resources;
}

/** A template view over resources, with each resource's `Ref` and ARN as the local cloud defines them. */
export function templateView(resources: Resources): TemplateView {
  const resolver = new IntrinsicResolver({ region: REGION, accountId: ACCOUNT, partition: 'aws', urlSuffix: 'amazonaws.com', stackName: STACK });
  const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
  for (const [logicalId, resource] of Object.entries(resources)) {
    const name = `${STACK}-${logicalId}`;
    const byType: Record<string, { ref: string; attributes: Record<string, string> }> = {
      'AWS::DynamoDB::Table': { ref: name, attributes: { Arn: arn('dynamodb', `table/${name}`), StreamArn: arn('dynamodb', `table/${name}/stream/local`) } },
      'AWS::IAM::Role': { ref: name, attributes: { Arn: `arn:aws:iam::${ACCOUNT}:role/${name}` } },
      'AWS::Lambda::Function': { ref: name, attributes: { Arn: arn('lambda', `function:${name}`) } },
      'AWS::SQS::Queue': { ref: `http://127.0.0.1:9324/${ACCOUNT}/${name}`, attributes: { Arn: arn('sqs', name), QueueName: name } },
      'AWS::SNS::Topic': { ref: arn('sns', name), attributes: { TopicArn: arn('sns', name) } },
      'AWS::ApiGatewayV2::Api': { ref: API_ID, attributes: { ApiEndpoint: 'ws://127.0.0.1:8080' } },
      'AWS::Cassandra::Table': { ref: `messenger|messages`, attributes: {} },
      'AWS::Logs::LogGroup': { ref: name, attributes: { Arn: arn('logs', `log-group:${name}:*`) } },
    };
    resolver.define(logicalId, byType[resource.Type] ?? { ref: name, attributes: { Arn: arn('other', name) } });
  }
  return { resources: new Map(Object.entries(resources)), resolve: (value) => resolver.resolve(value) };
}

/** The logical id of the one resource of a type whose id starts with a prefix. */
export function logicalIdOf(resources: Resources, type: string, prefix: string): string {
  const ids = Object.keys(resources).filter((id) => resources[id].Type === type && id.startsWith(prefix));
  if (ids.length !== 1) throw new Error(`expected one ${type} named ${prefix}*, found ${ids.join(', ') || 'none'}`);
  return ids[0];
}
