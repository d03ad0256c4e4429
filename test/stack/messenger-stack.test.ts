import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { MessengerStack, type MessengerStackProps } from '../../lib/messenger-stack';
import { idleTimeoutFromContext, pushApplicationsFromContext, TOKEN_ISSUER_CONTEXT, tokenIssuerFromContext } from '../../lib/app-context';

/** A fresh stack per test, with construct paths in its metadata; bundling is skipped, since these tests read the template only. */
function synth(props: MessengerStackProps = {}): Template {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], 'aws:cdk:enable-path-metadata': true } });
  return Template.fromStack(new MessengerStack(app, 'Test', props));
}

describe('WebSocket API', () => {
  it('selects routes on the frame action', () => {
    synth().hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: '$request.body.action',
    });
  });

  it('guards $connect with a REQUEST authorizer reading the token query parameter', () => {
    const template = synth();
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      IdentitySource: ['route.request.querystring.token'],
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: '$connect',
      AuthorizationType: 'CUSTOM',
      AuthorizerId: Match.anyValue(),
    });
  });

  it.each(['$default', 'ping'])('routes %s with a route response, so replies need no PostToConnection', (routeKey) => {
    const template = synth();
    const routes = template.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: routeKey } });
    const [routeId] = Object.keys(routes);
    template.hasResourceProperties('AWS::ApiGatewayV2::RouteResponse', {
      RouteId: { Ref: routeId },
      RouteResponseKey: '$default',
    });
  });

  it('deploys a throttled stage and outputs its URL', () => {
    const template = synth();
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: 'prod',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingBurstLimit: Match.anyValue(), ThrottlingRateLimit: Match.anyValue() },
    });
    template.hasOutput('*', { Value: Match.objectLike({ 'Fn::Join': Match.anyValue() }) });
  });
});

describe('identity', () => {
  it('creates a user pool and points the authorizer at its issuer and client', () => {
    const template = synth();
    template.resourceCountIs('AWS::Cognito::UserPool', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          TOKEN_ISSUER_URL: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('^https://cognito-idp\\.')])] },
          TOKEN_AUDIENCE: { Ref: Match.stringLikeRegexp('UserPool.*Client') },
        }),
      },
    });
  });

  it('accepts an external issuer instead of the user pool', () => {
    synth({
      externalTokenIssuer: { issuerUrl: 'http://127.0.0.1:8080/dev', jwksUri: 'http://127.0.0.1:8080/dev/jwks.json', audience: 'local' },
    }).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          TOKEN_ISSUER_URL: 'http://127.0.0.1:8080/dev',
          TOKEN_JWKS_URI: 'http://127.0.0.1:8080/dev/jwks.json',
          TOKEN_AUDIENCE: 'local',
        }),
      },
    });
  });

  it('outputs the user pool and its client', () => {
    const outputs = synth().toJSON().Outputs as Record<string, { Value: { Ref: string } }>;
    const refs = Object.values(outputs).map((output) => JSON.stringify(output.Value));
    expect(refs.some((ref) => /UserPool[0-9A-F]+"/.test(ref))).toBe(true);
    expect(refs.some((ref) => /Client/.test(ref))).toBe(true);
  });
});

describe('connection registry', () => {
  it('is an on-demand table keyed by user then connection, encrypted, recoverable, with TTL', () => {
    synth().hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'userId', KeyType: 'HASH' },
        { AttributeName: 'connectionId', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('passes the idle timeout to the functions that refresh connections', () => {
    synth({ idleTimeoutSeconds: 30 }).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ IDLE_TIMEOUT_SECONDS: '30' }) },
    });
  });
});

describe('functions', () => {
  it('run Node.js 22 on arm64 with source maps, JSON logs and tracing', () => {
    const template = synth();
    const functions = template.findResources('AWS::Lambda::Function');
    expect(Object.keys(functions).length).toBeGreaterThanOrEqual(5);
    for (const fn of Object.values(functions)) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.any(String) } },
        TracingConfig: { Mode: 'Active' },
        Environment: { Variables: expect.objectContaining({ NODE_OPTIONS: '--enable-source-maps' }) },
      });
    }
  });

  it('log to groups with bounded retention', () => {
    const template = synth();
    const groups = template.findResources('AWS::Logs::LogGroup');
    expect(Object.keys(groups).length).toBe(Object.keys(template.findResources('AWS::Lambda::Function')).length);
    for (const group of Object.values(groups)) expect(group.Properties.RetentionInDays).toEqual(expect.any(Number));
  });
});

describe('least privilege', () => {
  it('grants nothing on every resource, except X-Ray writes and listing streams, which have no resource ARNs', () => {
    const policies = synth().findResources('AWS::IAM::Policy');
    for (const policy of Object.values(policies)) {
      for (const statement of policy.Properties.PolicyDocument.Statement) {
        const actions = [statement.Action].flat() as string[];
        expect(actions).not.toContain('*');
        if (statement.Resource === '*') expect(actions.every((action) => action.startsWith('xray:') || action === 'dynamodb:ListStreams')).toBe(true);
      }
    }
  });

  it('lets $connect write connections and nothing else on the table', () => {
    const template = synth();
    const [connectPolicy] = Object.values(
      template.findResources('AWS::IAM::Policy', {
        Metadata: Match.objectLike({ 'aws:cdk:path': Match.stringLikeRegexp('/Connect/ServiceRole/') }),
      }),
    );
    const dataStatements = connectPolicy.Properties.PolicyDocument.Statement.filter(
      (statement: { Action: string | string[] }) => ![statement.Action].flat().every((action) => action.startsWith('xray:')),
    );
    expect(dataStatements).toHaveLength(1);
    expect([dataStatements[0].Action].flat().sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect(JSON.stringify(dataStatements[0].Resource)).toMatch(/^\[?\{"Fn::GetAtt":\["ConnectionsTable[0-9A-F]+","Arn"\]\}\]?$/);
  });
});

describe('app context', () => {
  function contextNode(context: Record<string, unknown>) {
    return new App({ context }).node;
  }

  it('reads an external token issuer only when all three keys are given', () => {
    expect(tokenIssuerFromContext(contextNode({}))).toBeUndefined();
    expect(() => tokenIssuerFromContext(contextNode({ [TOKEN_ISSUER_CONTEXT.issuerUrl]: 'http://x' }))).toThrow(/all of/);
    expect(
      tokenIssuerFromContext(
        contextNode({
          [TOKEN_ISSUER_CONTEXT.issuerUrl]: 'http://127.0.0.1/dev',
          [TOKEN_ISSUER_CONTEXT.jwksUri]: 'http://127.0.0.1/dev/jwks.json',
          [TOKEN_ISSUER_CONTEXT.audience]: 'local',
        }),
      ),
    ).toEqual({ issuerUrl: 'http://127.0.0.1/dev', jwksUri: 'http://127.0.0.1/dev/jwks.json', audience: 'local' });
  });

  it('rejects an issuer that is not a URL', () => {
    expect(() =>
      tokenIssuerFromContext(
        contextNode({
          [TOKEN_ISSUER_CONTEXT.issuerUrl]: 'issuer',
          [TOKEN_ISSUER_CONTEXT.jwksUri]: 'http://127.0.0.1/dev/jwks.json',
          [TOKEN_ISSUER_CONTEXT.audience]: 'local',
        }),
      ),
    ).toThrow(/http\(s\) URL/);
  });

  it('validates the idle timeout', () => {
    expect(idleTimeoutFromContext(contextNode({ 'messenger:idleTimeoutSeconds': '45' }))).toBe(45);
    expect(() => idleTimeoutFromContext(contextNode({ 'messenger:idleTimeoutSeconds': '0' }))).toThrow(/1 to 600/);
    expect(() => idleTimeoutFromContext(contextNode({ 'messenger:idleTimeoutSeconds': 'soon' }))).toThrow(/1 to 600/);
  });
});

describe('history', () => {
  it('is a Keyspaces table partitioned by thread and bucket, clustered by seq, on demand, recoverable', () => {
    const template = synth();
    template.hasResourceProperties('AWS::Cassandra::Keyspace', {
      KeyspaceName: 'messenger',
      ReplicationSpecification: { ReplicationStrategy: 'SINGLE_REGION' },
    });
    template.hasResourceProperties('AWS::Cassandra::Table', {
      KeyspaceName: 'messenger',
      TableName: 'messages',
      PartitionKeyColumns: [
        { ColumnName: 'thread_id', ColumnType: 'text' },
        { ColumnName: 'bucket', ColumnType: 'int' },
      ],
      ClusteringKeyColumns: [{ Column: { ColumnName: 'seq', ColumnType: 'bigint' }, OrderBy: 'ASC' }],
      BillingMode: { Mode: 'ON_DEMAND' },
      PointInTimeRecoveryEnabled: true,
      EncryptionSpecification: { EncryptionType: 'AWS_OWNED_KMS_KEY' },
    });
  });

  it('creates the table after its keyspace and keeps both on stack deletion', () => {
    const template = synth();
    const [keyspaceId] = Object.keys(template.findResources('AWS::Cassandra::Keyspace'));
    template.hasResource('AWS::Cassandra::Table', { DependsOn: [keyspaceId], DeletionPolicy: 'Retain' });
    template.hasResource('AWS::Cassandra::Keyspace', { DeletionPolicy: 'Retain' });
  });
});

describe('message pipeline', () => {
  it('feeds an encrypted queue with a dead-letter queue to the persistence function, reporting partial failures', () => {
    const template = synth();
    const queues = template.findResources('AWS::SQS::Queue', { Properties: { RedrivePolicy: Match.anyValue() } });
    const [[queueId, queue]] = Object.entries(queues);
    expect(queue.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      RedrivePolicy: { maxReceiveCount: 5, deadLetterTargetArn: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('keeps messages invisible long enough for the function to finish', () => {
    const template = synth();
    const [queue] = Object.values(template.findResources('AWS::SQS::Queue', { Properties: { RedrivePolicy: Match.anyValue() } }));
    const [persist] = Object.values(
      template.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: Match.objectLike({ MESSAGES_TABLE: 'messages' }) } } }),
    );
    expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * persist.Properties.Timeout);
  });

  it('alarms while messages wait in the dead-letter queue', () => {
    synth().hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
    });
  });

  it('lets the persistence function modify only the messages table, and read the system tables to connect', () => {
    const template = synth();
    const [policy] = Object.values(
      template.findResources('AWS::IAM::Policy', { Metadata: Match.objectLike({ 'aws:cdk:path': Match.stringLikeRegexp('/Persist/ServiceRole/') }) }),
    );
    const cassandraStatements = policy.Properties.PolicyDocument.Statement.filter((statement: { Action: string | string[] }) =>
      [statement.Action].flat().some((action) => action.startsWith('cassandra:')),
    );
    const rendered = JSON.stringify(cassandraStatements);
    expect(rendered).toContain('cassandra:Modify');
    expect(rendered).toContain(':/keyspace/messenger/table/messages');
    expect(rendered).toContain(':/keyspace/system*');
    for (const statement of cassandraStatements) {
      if ([statement.Action].flat().includes('cassandra:Modify')) expect(JSON.stringify(statement.Resource)).not.toContain('system');
    }
  });
});

describe('push notifications', () => {
  const applications = {
    apns: 'arn:aws:sns:us-east-1:123456789012:app/APNS/messenger',
    fcm: 'arn:aws:sns:us-east-1:123456789012:app/GCM/messenger',
  };

  it('has an encrypted topic with the send function subscribed, failures going to a dead-letter queue', () => {
    const template = synth({ pushPlatformApplications: applications });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    const [topicId] = Object.keys(template.findResources('AWS::SNS::Topic'));
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: { Ref: topicId },
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('PushDeadLetters'), 'Arn'] } },
    });
  });

  it('keeps devices in an encrypted, recoverable table keyed by user', () => {
    synth().hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'userId', KeyType: 'HASH' },
        { AttributeName: 'deviceKey', KeyType: 'RANGE' },
      ],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  it('lets the send function publish only to endpoints of the configured platform applications', () => {
    const template = synth({ pushPlatformApplications: applications });
    const [policy] = Object.values(
      template.findResources('AWS::IAM::Policy', { Metadata: Match.objectLike({ 'aws:cdk:path': Match.stringLikeRegexp('/Push/Send/ServiceRole/') }) }),
    );
    const publish = policy.Properties.PolicyDocument.Statement.find((statement: { Action: string | string[] }) =>
      [statement.Action].flat().includes('sns:Publish'),
    );
    expect([publish.Resource].flat().sort()).toEqual([
      'arn:aws:sns:us-east-1:123456789012:endpoint/APNS/messenger/*',
      'arn:aws:sns:us-east-1:123456789012:endpoint/GCM/messenger/*',
    ]);
  });

  it('grants no publishing to devices when no platform application is configured', () => {
    const policies = synth().findResources('AWS::IAM::Policy', {
      Metadata: Match.objectLike({ 'aws:cdk:path': Match.stringLikeRegexp('/Push/Send/ServiceRole/') }),
    });
    expect(JSON.stringify(policies)).not.toContain('sns:Publish');
  });

  it('reads platform application ARNs from context, checking each names its platform', () => {
    const node = (context: Record<string, unknown>) => new App({ context }).node;
    expect(pushApplicationsFromContext(node({}))).toEqual({});
    expect(
      pushApplicationsFromContext(node({ 'messenger:apnsPlatformApplicationArn': applications.apns, 'messenger:fcmPlatformApplicationArn': applications.fcm })),
    ).toEqual(applications);
    expect(() => pushApplicationsFromContext(node({ 'messenger:apnsPlatformApplicationArn': applications.fcm }))).toThrow(/another platform/);
    expect(() => pushApplicationsFromContext(node({ 'messenger:fcmPlatformApplicationArn': 'arn:aws:sns:x' }))).toThrow(/platform application ARN/);
  });
});

describe('chat', () => {
  it('routes every chat action of the protocol, with a route response for direct replies', () => {
    const template = synth();
    for (const routeKey of ['sendMessage', 'ack', 'createGroup', 'addMembers', 'removeMember', 'listThreads', 'getMessages']) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: routeKey, Target: Match.anyValue() });
    }
  });

  it('reads history only in the getMessages function, which may read threads but not write them', () => {
    const template = synth();
    const actionsOf = (functionPath: string) => dataStatementsOf(template, functionPath).flatMap((statement) => [statement.Action].flat());
    expect(actionsOf('GetMessages')).toEqual(expect.arrayContaining(['cassandra:Select', 'dynamodb:GetItem', 'dynamodb:Query']));
    expect(actionsOf('GetMessages')).not.toContain('dynamodb:TransactWriteItems');
    expect(actionsOf('ChatActions')).not.toContain('cassandra:Select');
    const chatFunction = Object.values(template.findResources('AWS::Lambda::Function')).find((fn) =>
      String(fn.Metadata?.['aws:cdk:path']).includes('/ChatActions/'),
    );
    expect(Object.keys(chatFunction!.Properties.Environment.Variables)).not.toContain('HISTORY_KEYSPACE');
  });

  it('keeps threads, user threads and send records in on-demand, recoverable, encrypted tables, staged items and records expiring', () => {
    const template = synth();
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'threadId', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'sendKey', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('orders each user’s threads by activity in an index of the user threads table', () => {
    synth().hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'userId', KeyType: 'HASH' },
        { AttributeName: 'threadId', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: 'byActivity',
          KeySchema: [
            { AttributeName: 'userId', KeyType: 'HASH' },
            { AttributeName: 'lastActivity', KeyType: 'RANGE' },
          ],
        }),
      ],
    });
  });

  it('lets the chat function post only to the stage’s connections', () => {
    const template = synth();
    const [policy] = Object.values(
      template.findResources('AWS::IAM::Policy', { Metadata: Match.objectLike({ 'aws:cdk:path': Match.stringLikeRegexp('/ChatActions/ServiceRole/') }) }),
    );
    const manage = policy.Properties.PolicyDocument.Statement.find((statement: { Action: string | string[] }) =>
      [statement.Action].flat().includes('execute-api:ManageConnections'),
    );
    expect(JSON.stringify(manage.Resource)).toMatch(/\/prod\/\*\/@connections\/\*/);
  });
});

describe('typing and push registration', () => {
  it('routes typing to the presence function and push registration to its own', () => {
    const template = synth();
    for (const routeKey of ['typing', 'registerPush', 'unregisterPush']) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: routeKey });
    }
  });

  it('lets the registration function create endpoints only in the configured platform applications', () => {
    const template = synth({
      pushPlatformApplications: { fcm: 'arn:aws:sns:us-east-1:123456789012:app/GCM/messenger' },
    });
    const [policy] = Object.values(
      template.findResources('AWS::IAM::Policy', { Metadata: Match.objectLike({ 'aws:cdk:path': Match.stringLikeRegexp('/PushDevices/ServiceRole/') }) }),
    );
    const create = policy.Properties.PolicyDocument.Statement.find((statement: { Action: string | string[] }) =>
      [statement.Action].flat().includes('sns:CreatePlatformEndpoint'),
    );
    expect(create.Resource).toBe('arn:aws:sns:us-east-1:123456789012:app/GCM/messenger');
  });
});

/** The statements of the policy of the function whose construct path contains `functionPath`, X-Ray's left out. */
function dataStatementsOf(template: Template, functionPath: string): Array<{ Action: string | string[]; Resource: unknown }> {
  const [policy] = Object.values(
    template.findResources('AWS::IAM::Policy', {
      Metadata: Match.objectLike({ 'aws:cdk:path': Match.stringLikeRegexp(`/${functionPath}/ServiceRole/`) }),
    }),
  );
  return policy.Properties.PolicyDocument.Statement.filter(
    (statement: { Action: string | string[] }) => ![statement.Action].flat().every((action) => action.startsWith('xray:')),
  );
}

describe('presence', () => {
  it('streams connection changes (old and new images) and indexes connections by expiry for the sweep', () => {
    synth().hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'userId', KeyType: 'HASH' },
        { AttributeName: 'connectionId', KeyType: 'RANGE' },
      ],
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byExpiry',
          KeySchema: [
            { AttributeName: 'expiryShard', KeyType: 'HASH' },
            { AttributeName: 'expiresAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    });
  });

  it('sweeps stale connections every minute, with the sweeper allowed only to find and delete connections', () => {
    const template = synth();
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('StaleConnectionSweeper'), 'Arn'] } })],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [Match.stringLikeRegexp('StaleConnectionSweeper'), 'Arn'] },
    });
    const statements = dataStatementsOf(template, 'StaleConnectionSweeper');
    expect(statements).toHaveLength(1);
    expect([statements[0].Action].flat().sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:Query']);
  });

  it('feeds openings and closings (not refreshes) to the changes function, failures to an alarmed dead-letter queue', () => {
    const template = synth();
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ConnectionsTable'), 'StreamArn'] },
      FunctionName: { Ref: Match.stringLikeRegexp('PresenceChangesFunction') },
      StartingPosition: 'LATEST',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 10,
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT', 'REMOVE'] }) }] },
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('PresenceDeadLetters'), 'Arn'] } } },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('PresenceDeadLetters'), 'QueueName'] } }],
      Threshold: 0,
    });
  });

  it('keeps statuses in a recoverable table and subscriptions, expiring, under the watched user with an index by subscriber', () => {
    const template = synth();
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        KeySchema: [{ AttributeName: 'userId', KeyType: 'HASH' }],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      }),
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'watchedUserId', KeyType: 'HASH' },
        { AttributeName: 'connectionId', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      GlobalSecondaryIndexes: [Match.objectLike({ IndexName: 'bySubscriber', KeySchema: [{ AttributeName: 'connectionId', KeyType: 'HASH' }] })],
    });
  });

  it('routes subscribePresence to the presence actions, which may only write subscriptions and read statuses beyond their own grants', () => {
    const template = synth();
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'subscribePresence' });
    const actions = dataStatementsOf(template, 'PresenceActions').flatMap((statement) => [statement.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:BatchWriteItem', 'dynamodb:BatchGetItem']));
    expect(actions).not.toContain('dynamodb:Scan');
  });

  it('lets the changes function read the stream, find connections, flip statuses and post to connections, without Scan', () => {
    const statements = dataStatementsOf(synth(), 'Presence/ChangesFunction');
    const actions = statements.flatMap((statement) => [statement.Action].flat());
    expect(actions).toEqual(
      expect.arrayContaining(['dynamodb:GetRecords', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem', 'execute-api:ManageConnections']),
    );
    expect(actions).not.toContain('dynamodb:Scan');
    expect(actions).not.toContain('dynamodb:PutItem');
  });
});

describe('thread activity', () => {
  it("moves members' thread rows from the threads table's stream, newly staged messages only", () => {
    const template = synth();
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'threadId', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ChatThreads'), 'StreamArn'] },
      FunctionName: { Ref: Match.stringLikeRegexp('ChatActivity') },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT'], dynamodb: { Keys: { sk: { S: [{ prefix: 'msg#' }] } } } }) }] },
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('ChatActivityDeadLetters'), 'Arn'] } } },
    });
  });

  it('leaves the persistence function with history writes only', () => {
    const actions = dataStatementsOf(synth(), 'MessagePipeline/Persist').flatMap((statement) => [statement.Action].flat());
    expect(actions.filter((action) => action.startsWith('dynamodb:'))).toEqual([]);
    expect(actions).toContain('cassandra:Modify');
  });
});
