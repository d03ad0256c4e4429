import type { TemplateResource } from '../../../local-cloud/assembly/cloud-assembly';
import { localCloudConfigFromEnv } from '../../../local-cloud/config';
import { ServiceEndpoints } from '../../../local-cloud/services/endpoints';
import { cloudServices } from '../../../local-cloud/services/index';
import type { LaunchContext, ResourceDefinition } from '../../../local-cloud/services/service';

// jose, which signs the local tokens, is an ES module Jest cannot load; the issuer's URL is all these values need.
jest.mock('../../../local-cloud/services/identity/local-identity', () => ({
  LOCAL_AUDIENCE: 'messenger-local',
  LocalIdentity: { open: async (_dataDir: string, issuerUrl: string) => ({ issuerUrl, jwksUri: `${issuerUrl}/jwks.json` }) },
}));

describe('the Ref and Fn::GetAtt values the service modules give the template`s resources', () => {
  let definitions: Map<string, ResourceDefinition>;
  let context: LaunchContext;

  beforeAll(async () => {
    const dataDir = '/nonexistent';
    const config = localCloudConfigFromEnv({ LOCAL_DATA_DIR: dataDir });
    const setup = { config, log: () => undefined, baseUrl: 'http://127.0.0.1:8080', logDir: dataDir };
    const services = cloudServices();
    for (const service of services) await service.synthContext?.(setup);
    definitions = new Map();
    for (const service of services) {
      for (const [type, definition] of Object.entries(service.resourceTypes ?? {})) {
        expect(definitions.has(type)).toBe(false);
        definitions.set(type, definition);
      }
    }
    const endpoints = new ServiceEndpoints();
    endpoints.publish('sqs', 'http://127.0.0.1:9324');
    // Queue URLs name the IAM proxy functions call, since their SDK sends to the queue URL's host.
    endpoints.guard('sqs', 'http://127.0.0.1:9400');
    context = { ...setup, assembly: { stackName: 'Messenger', resources: new Map(), assetDirectory: () => '' }, endpoints };
  });

  const define = (type: string, logicalId: string, properties: Record<string, unknown> = {}) => {
    const resource: TemplateResource = { Type: type, Properties: properties };
    return definitions.get(type)!({ logicalId, resource, physicalName: `Messenger-${logicalId}` }, context);
  };

  it.each([
    ['AWS::DynamoDB::Table', 'T', {}, { ref: 'Messenger-T', attributes: { Arn: 'arn:aws:dynamodb:us-east-1:000000000000:table/Messenger-T', StreamArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/Messenger-T/stream/local' } }],
    ['AWS::SQS::Queue', 'Q', {}, { ref: 'http://127.0.0.1:9400/000000000000/Messenger-Q', attributes: { Arn: 'arn:aws:sqs:us-east-1:000000000000:Messenger-Q', QueueName: 'Messenger-Q', QueueUrl: 'http://127.0.0.1:9400/000000000000/Messenger-Q' } }],
    ['AWS::SQS::Queue', 'Q', { QueueName: 'named' }, { ref: 'http://127.0.0.1:9400/000000000000/named', attributes: { Arn: 'arn:aws:sqs:us-east-1:000000000000:named', QueueName: 'named', QueueUrl: 'http://127.0.0.1:9400/000000000000/named' } }],
    ['AWS::SNS::Topic', 'P', {}, { ref: 'arn:aws:sns:us-east-1:000000000000:Messenger-P', attributes: { TopicArn: 'arn:aws:sns:us-east-1:000000000000:Messenger-P', TopicName: 'Messenger-P' } }],
    ['AWS::SNS::Subscription', 'S', {}, { ref: 'arn:aws:sns:us-east-1:000000000000:Messenger-S:S', attributes: {} }],
    ['AWS::Lambda::Function', 'F', {}, { ref: 'Messenger-F', attributes: { Arn: 'arn:aws:lambda:us-east-1:000000000000:function:Messenger-F' } }],
    ['AWS::Logs::LogGroup', 'L', {}, { ref: 'Messenger-L', attributes: { Arn: 'arn:aws:logs:us-east-1:000000000000:log-group:Messenger-L:*' } }],
    ['AWS::Events::Rule', 'R', {}, { ref: 'Messenger-R', attributes: { Arn: 'arn:aws:events:us-east-1:000000000000:rule/Messenger-R' } }],
    ['AWS::IAM::Role', 'Role', {}, { ref: 'Messenger-Role', attributes: { Arn: 'arn:aws:iam::000000000000:role/Messenger-Role' } }],
    ['AWS::ApiGatewayV2::Api', 'A', {}, { ref: 'local', attributes: { ApiEndpoint: 'ws://127.0.0.1:8080', ApiId: 'local' } }],
    ['AWS::ApiGatewayV2::Stage', 'St', { StageName: 'prod' }, { ref: 'prod', attributes: {} }],
    ['AWS::Cassandra::Keyspace', 'K', { KeyspaceName: 'messenger' }, { ref: 'messenger', attributes: {} }],
    ['AWS::Cassandra::Table', 'CT', { KeyspaceName: 'messenger', TableName: 'messages' }, { ref: 'messenger|messages', attributes: {} }],
    ['AWS::Cognito::UserPoolClient', 'C', {}, { ref: 'messenger-local', attributes: { ClientId: 'messenger-local' } }],
    ['AWS::Cognito::UserPool', 'U', {}, { ref: 'us-east-1_local', attributes: { Arn: 'arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_local', ProviderURL: 'http://127.0.0.1:8080/dev' } }],
  ])('%s %s %j', (type, logicalId, properties, expected) => {
    expect(define(type, logicalId, properties)).toEqual(expected);
  });
});
