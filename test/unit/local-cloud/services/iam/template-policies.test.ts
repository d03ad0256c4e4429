/** The enforcer reads the messenger's real template: what each function's role allows, and nothing more. */
import { IamEnforcer } from '../../../../../local-cloud/services/iam/enforcer';
import { missingEventSourceGrants } from '../../../../../local-cloud/services/iam/event-sources';
import { functionPrincipals, OPERATOR_ACCESS_KEY_ID } from '../../../../../local-cloud/services/iam/principals';
import { ACCOUNT, API_ID, logicalIdOf, messengerResources, PUSH_APPLICATIONS, REGION, STACK, templateView } from './stack-template';

const resources = messengerResources();
const template = templateView(resources);
const enforcer = IamEnforcer.fromTemplate(template, { region: REGION, account: ACCOUNT, apiId: API_ID });
const fn = (prefix: string) => enforcer.principalFor(`LOCAL${logicalIdOf(resources, 'AWS::Lambda::Function', prefix)}`)!;
const tableArn = (prefix: string) => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${STACK}-${logicalIdOf(resources, 'AWS::DynamoDB::Table', prefix)}`;
const queueArn = (prefix: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${STACK}-${logicalIdOf(resources, 'AWS::SQS::Queue', prefix)}`;
const allowed = (principal: ReturnType<typeof fn>, action: string, resource: string) => enforcer.decide(principal, action, resource).allowed;

describe('IAM from the messenger template', () => {
  it('gives every function its own identity, named as Lambda names its role session', () => {
    const principals = functionPrincipals(template, ACCOUNT);
    expect(principals.length).toBe(Object.values(resources).filter((resource) => resource.Type === 'AWS::Lambda::Function').length);
    expect(new Set(principals.map((principal) => principal.accessKeyId)).size).toBe(principals.length);
    for (const principal of principals) expect(principal.accessKeyId).toMatch(/^[A-Za-z0-9]+$/);
    const chat = fn('ChatActions');
    expect(chat.sessionArn).toMatch(new RegExp(`^arn:aws:sts::${ACCOUNT}:assumed-role/${STACK}-ChatActionsRole\\w+/${STACK}-ChatActions\\w+$`));
    expect(enforcer.credentialsFor(chat.functionLogicalId)).toEqual({ AWS_ACCESS_KEY_ID: chat.accessKeyId, AWS_SECRET_ACCESS_KEY: 'local' });
  });

  it('lets the chat function write its tables and query their indexes, not tables it was not granted', () => {
    const chat = fn('ChatActions');
    expect(allowed(chat, 'dynamodb:PutItem', tableArn('ChatThreads'))).toBe(true);
    expect(allowed(chat, 'dynamodb:ConditionCheckItem', tableArn('ChatThreads'))).toBe(true);
    expect(allowed(chat, 'dynamodb:ConditionCheckItem', tableArn('ChatSendRecords'))).toBe(false);
    expect(allowed(chat, 'dynamodb:Query', `${tableArn('ChatUserThreads')}/index/byRecentActivity`)).toBe(true);
    expect(allowed(chat, 'dynamodb:Query', `${tableArn('ChatThreads')}/index/byRecentActivity`)).toBe(false);
    expect(allowed(chat, 'dynamodb:PutItem', tableArn('PushDevices'))).toBe(false);
    expect(allowed(chat, 'dynamodb:Scan', tableArn('ChatThreads'))).toBe(false);
  });

  it('scopes the management API to the stage and the methods granted, any connection', () => {
    const chat = fn('ChatActions');
    const connection = (method: string, stage = 'prod') => `arn:aws:execute-api:${REGION}:${ACCOUNT}:${API_ID}/${stage}/${method}/@connections/abc=`;
    expect(allowed(chat, 'execute-api:ManageConnections', connection('POST'))).toBe(true);
    expect(allowed(chat, 'execute-api:ManageConnections', connection('GET'))).toBe(true);
    // Every function behind a frame route may close a connection that keeps flooding (lambdas/domain/flood-guard.ts).
    expect(allowed(chat, 'execute-api:ManageConnections', connection('DELETE'))).toBe(true);
    expect(allowed(chat, 'execute-api:ManageConnections', connection('PATCH'))).toBe(false);
    expect(allowed(chat, 'execute-api:ManageConnections', connection('POST', 'dev'))).toBe(false);
    expect(allowed(fn('Disconnect'), 'execute-api:ManageConnections', connection('POST'))).toBe(false);
  });

  it('lets the relay (not the chat function) send to the message queue, both publish to the push topic, and no more', () => {
    const [chat, relay] = [fn('ChatActions'), fn('RelayFunction')];
    expect(allowed(relay, 'sqs:SendMessage', queueArn('MessagePipelineQueue'))).toBe(true);
    expect(allowed(chat, 'sqs:SendMessage', queueArn('MessagePipelineQueue'))).toBe(false);
    expect(allowed(relay, 'sqs:ReceiveMessage', queueArn('MessagePipelineQueue'))).toBe(false);
    expect(allowed(relay, 'sqs:SendMessage', queueArn('MessagePipelineDeadLetters'))).toBe(false);
    // The push dead-letter queue's policy lets SNS, not functions, send to it.
    expect(allowed(relay, 'sqs:SendMessage', queueArn('PushDeadLetters'))).toBe(false);
    const topic = `arn:aws:sns:${REGION}:${ACCOUNT}:${STACK}-${logicalIdOf(resources, 'AWS::SNS::Topic', 'PushTopic')}`;
    expect(allowed(chat, 'sns:Publish', topic)).toBe(true);
    expect(allowed(relay, 'sns:Publish', topic)).toBe(true);
  });

  it('decides raw requests end to end: the caller by its key, the resource by the request', () => {
    const request = (accessKeyId: string) => ({
      method: 'POST',
      path: '/prod/%40connections/abc%3D',
      headers: { authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20261130/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=00` },
      body: Buffer.from('hello'),
    });
    expect(enforcer.check('execute-api', request(fn('ChatActions').accessKeyId))).toMatchObject({ allowed: true });
    const denied = enforcer.check('execute-api', request(fn('Disconnect').accessKeyId));
    expect(denied).toMatchObject({ allowed: false, response: { status: 403 } });
    expect(denied.allowed || denied.reason).toBe(
      `User: ${fn('Disconnect').sessionArn} is not authorized to perform: execute-api:ManageConnections on resource: ` +
        `arn:aws:execute-api:${REGION}:${ACCOUNT}:${API_ID}/prod/POST/@connections/abc= because no identity-based policy allows the execute-api:ManageConnections action`,
    );
    expect(enforcer.check('execute-api', request('local'))).toMatchObject({ allowed: false, reason: 'unknown or missing access key' });
  });

  it('knows the local operator as an administrator, and as no function', () => {
    const operator = enforcer.principalFor(OPERATOR_ACCESS_KEY_ID)!;
    expect(operator.sessionArn).toBe(`arn:aws:iam::${ACCOUNT}:user/local-operator`);
    expect(allowed(operator, 'execute-api:ManageConnections', `arn:aws:execute-api:${REGION}:${ACCOUNT}:${API_ID}/prod/DELETE/@connections/abc=`)).toBe(true);
    expect(allowed(operator, 'dynamodb:DeleteTable', tableArn('ChatThreads'))).toBe(true);
    expect(() => enforcer.credentialsFor('')).toThrow(/not a function of the template/);
    expect(enforcer.principalForFunction('')).toBeUndefined();
  });

  it('lets the push-devices function manage endpoints of its applications only', () => {
    const devices = fn('PushDevices');
    expect(allowed(devices, 'sns:CreatePlatformEndpoint', PUSH_APPLICATIONS.fcm)).toBe(true);
    expect(allowed(devices, 'sns:SetEndpointAttributes', `arn:aws:sns:${REGION}:${ACCOUNT}:endpoint/GCM/messenger-local/5f1c`)).toBe(true);
    expect(allowed(devices, 'sns:DeleteEndpoint', `arn:aws:sns:${REGION}:${ACCOUNT}:endpoint/GCM/other-app/5f1c`)).toBe(false);
    expect(allowed(devices, 'sns:Publish', `arn:aws:sns:${REGION}:${ACCOUNT}:endpoint/GCM/messenger-local/5f1c`)).toBe(false);
    expect(allowed(fn('PushSend'), 'sns:Publish', `arn:aws:sns:${REGION}:${ACCOUNT}:endpoint/GCM/messenger-local/5f1c`)).toBe(true);
  });

  it('grants Keyspaces by keyspace and table: persistence modifies, reads select', () => {
    const table = `arn:aws:cassandra:${REGION}:${ACCOUNT}:/keyspace/messenger/table/messages`;
    expect(allowed(fn('MessagePipelinePersist'), 'cassandra:Modify', table)).toBe(true);
    expect(allowed(fn('GetMessages'), 'cassandra:Select', table)).toBe(true);
    expect(allowed(fn('GetMessages'), 'cassandra:Modify', table)).toBe(false);
  });

  it("lets each function write its own log group's streams, and denies what no policy grants", () => {
    const logStream = (prefix: string) => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${STACK}-${logicalIdOf(resources, 'AWS::Logs::LogGroup', prefix)}:log-stream:y`;
    expect(allowed(fn('UnknownAction'), 'logs:PutLogEvents', logStream('UnknownActionLogs'))).toBe(true);
    expect(allowed(fn('UnknownAction'), 'logs:PutLogEvents', logStream('ChatActionsLogs'))).toBe(false);
    expect(allowed(fn('UnknownAction'), 'dynamodb:GetItem', tableArn('ChatThreads'))).toBe(false);
  });

  it("checks that each event source mapping's role can read its source and send its failures", () => {
    for (const [logicalId, resource] of Object.entries(resources).filter(([, candidate]) => candidate.Type === 'AWS::Lambda::EventSourceMapping')) {
      const properties = template.resolve(resource.Properties) as { FunctionName: string; EventSourceArn: string; DestinationConfig?: { OnFailure?: { Destination?: string } } };
      const mapping = { functionRef: properties.FunctionName, eventSourceArn: properties.EventSourceArn, onFailureArn: properties.DestinationConfig?.OnFailure?.Destination };
      expect([logicalId, missingEventSourceGrants(enforcer, mapping)]).toEqual([logicalId, []]);
    }
    const persist = fn('MessagePipelinePersist');
    expect(missingEventSourceGrants(enforcer, { functionRef: persist.functionName, eventSourceArn: `${tableArn('ChatThreads')}/stream/local`, onFailureArn: queueArn('PresenceDeadLetters') })).toEqual([
      `the execution role of ${persist.functionName} does not allow dynamodb:DescribeStream on ${tableArn('ChatThreads')}/stream/local`,
      `the execution role of ${persist.functionName} does not allow dynamodb:GetRecords on ${tableArn('ChatThreads')}/stream/local`,
      `the execution role of ${persist.functionName} does not allow dynamodb:GetShardIterator on ${tableArn('ChatThreads')}/stream/local`,
      `the execution role of ${persist.functionName} does not allow dynamodb:ListStreams on ${tableArn('ChatThreads')}/stream/local`,
      `the execution role of ${persist.functionName} does not allow sqs:SendMessage on ${queueArn('PresenceDeadLetters')}`,
    ]);
  });

  it('stops at start on a managed policy whose document it does not have, or a condition it cannot evaluate', () => {
    const role = logicalIdOf(resources, 'AWS::IAM::Role', 'ConnectRole');
    const withManaged = structuredClone(resources);
    withManaged[role].Properties!.ManagedPolicyArns = ['arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess'];
    expect(() => IamEnforcer.fromTemplate(templateView(withManaged), { region: REGION, account: ACCOUNT })).toThrow(/AmazonDynamoDBFullAccess.*aws-managed-policies\.json/);

    const withCondition = structuredClone(resources);
    const policy = logicalIdOf(resources, 'AWS::IAM::Policy', 'ConnectRoleDefaultPolicy');
    const statements = (withCondition[policy].Properties!.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement;
    statements[0].Condition = { StringEquals: { 'aws:PrincipalTag/team': 'chat' } };
    expect(() => IamEnforcer.fromTemplate(templateView(withCondition), { region: REGION, account: ACCOUNT })).toThrow(
      new RegExp(`IAM policy ${policy}: condition key aws:PrincipalTag/team`),
    );
  });
});
