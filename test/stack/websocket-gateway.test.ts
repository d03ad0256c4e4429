import { Match, Template } from 'aws-cdk-lib/assertions';
import { WebSocketGateway } from '../../lib/constructs/websocket-gateway';
import { actions, grantee, logicalIdOf, managementApiArn, permissionsOf, stubFunction, testStack } from './template';

const tokenIssuer = { issuerUrl: 'https://issuer.example', jwksUri: 'https://issuer.example/jwks.json', audience: 'client' };

function synthGateway(props: { stageName?: string; setAccountLogRole?: boolean; groupsCreatedPerHour?: number } = {}) {
  const stack = testStack();
  const handlers = {
    connectHandler: stubFunction(stack, 'Connect'),
    disconnectHandler: stubFunction(stack, 'Disconnect'),
    defaultHandler: stubFunction(stack, 'Default'),
  };
  const gateway = new WebSocketGateway(stack, 'Gateway', { tokenIssuer, ...handlers, ...props });
  return { stack, gateway, handlers, get template() { return Template.fromStack(stack); } };
}

/** The logical id of the route with this key. */
function routeId(template: Template, routeKey: string): string {
  const ids = Object.keys(template.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: routeKey } }));
  expect(ids).toHaveLength(1);
  return ids[0];
}

/** The function the route's integration invokes, as the template names it. */
function integrationTargetOf(template: Template, routeKey: string): unknown {
  const route = template.toJSON().Resources[routeId(template, routeKey)];
  const integrationId = (route.Properties.Target['Fn::Join'][1] as unknown[]).find((part) => typeof part === 'object') as { Ref: string };
  return template.toJSON().Resources[integrationId.Ref].Properties.IntegrationUri;
}

describe('WebSocketGateway', () => {
  it.each([
    ['a JWKS URI over http', { ...tokenIssuer, jwksUri: 'http://issuer.example/jwks.json' }, /"http:\/\/issuer.example\/jwks.json" must be an https URL/],
    ['an issuer over http', { ...tokenIssuer, issuerUrl: 'http://issuer.example' }, /must be an https URL/],
    ['an http URL that only looks local', { ...tokenIssuer, jwksUri: 'http://127.0.0.1.example.com/jwks.json' }, /must be an https URL/],
    ['a JWKS URI that is no URL', { ...tokenIssuer, jwksUri: 'issuer.example/jwks.json' }, /is not a URL/],
  ])('fails synth for %s', (_case, issuer, problem) => {
    const stack = testStack();
    const handler = stubFunction(stack, 'Handler');
    expect(() => new WebSocketGateway(stack, 'Gateway', { tokenIssuer: issuer, connectHandler: handler, disconnectHandler: handler, defaultHandler: handler })).toThrow(problem);
  });

  it('accepts plain http only from this machine, where the local cloud signs its own tokens', () => {
    for (const host of ['127.0.0.1:8080', 'localhost:8080', '[::1]:8080']) {
      const stack = testStack();
      const handler = stubFunction(stack, 'Handler');
      const local = { issuerUrl: `http://${host}/dev`, jwksUri: `http://${host}/dev/jwks.json`, audience: 'local' };
      expect(() => new WebSocketGateway(stack, 'Gateway', { tokenIssuer: local, connectHandler: handler, disconnectHandler: handler, defaultHandler: handler })).not.toThrow();
    }
  });

  it('is a WebSocket API selecting routes on the frame action', () => {
    synthGateway().template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: '$request.body.action',
    });
  });

  it('guards $connect with a REQUEST authorizer without identity sources (the token has two places), its function told the issuer', () => {
    const { stack, gateway, template } = synthGateway();
    const authorizers = template.findResources('AWS::ApiGatewayV2::Authorizer', { Properties: { AuthorizerType: 'REQUEST' } });
    expect(Object.keys(authorizers)).toHaveLength(1);
    expect(Object.values(authorizers)[0].Properties).not.toHaveProperty('IdentitySource');
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: '$connect',
      AuthorizationType: 'CUSTOM',
      AuthorizerId: { Ref: Object.keys(authorizers)[0] },
    });
    expect(JSON.stringify(Object.values(authorizers)[0].Properties.AuthorizerUri)).toContain(logicalIdOf(stack, gateway.authorizerFunction));
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ TOKEN_ISSUER_URL: tokenIssuer.issuerUrl, TOKEN_JWKS_URI: tokenIssuer.jwksUri, TOKEN_AUDIENCE: tokenIssuer.audience }) },
    });
  });

  it('sends $connect, $disconnect and $default to their handlers, $disconnect and $connect without a route response', () => {
    const { stack, handlers, template } = synthGateway();
    const invokes = (fn: typeof handlers.connectHandler) => expect.stringContaining(logicalIdOf(stack, fn));
    expect(JSON.stringify(integrationTargetOf(template, '$connect'))).toEqual(invokes(handlers.connectHandler));
    expect(JSON.stringify(integrationTargetOf(template, '$disconnect'))).toEqual(invokes(handlers.disconnectHandler));
    expect(JSON.stringify(integrationTargetOf(template, '$default'))).toEqual(invokes(handlers.defaultHandler));
    const responded = Object.values(template.findResources('AWS::ApiGatewayV2::RouteResponse')).map((response) => response.Properties.RouteId.Ref);
    expect(responded).toEqual([routeId(template, '$default')]);
  });

  it('routes an added action to its handler with a route response, so replies need no PostToConnection', () => {
    const { stack, gateway } = synthGateway();
    const handler = stubFunction(stack, 'Ping');
    gateway.addAction('ping', handler);
    const template = Template.fromStack(stack);
    expect(JSON.stringify(integrationTargetOf(template, 'ping'))).toContain(logicalIdOf(stack, handler));
    template.hasResourceProperties('AWS::ApiGatewayV2::RouteResponse', { RouteId: { Ref: routeId(template, 'ping') }, RouteResponseKey: '$default' });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [logicalIdOf(stack, handler), 'Arn'] },
    });
  });

  it('lets the function behind $connect and every frame route charge the budgets table, and only the frame routes post to and close connections (a flood)', () => {
    const { stack, gateway, handlers } = synthGateway();
    const handler = stubFunction(stack, 'Ping');
    gateway.addAction('ping', handler);
    const template = Template.fromStack(stack);
    const budgetsTable = JSON.stringify(stack.resolve(gateway.budgets.table.tableArn));
    const budgets = { ACTION_BUDGETS_TABLE: stack.resolve(gateway.budgets.table.tableName) };
    const variablesOf = (fn: typeof handler) => template.toJSON().Resources[logicalIdOf(stack, fn)].Properties.Environment.Variables;
    expect(variablesOf(handlers.connectHandler)).toEqual(budgets);
    expect(permissionsOf(stack, handlers.connectHandler.role!)).toEqual({ [budgetsTable]: actions('dynamodb:UpdateItem') });
    for (const fn of [handlers.defaultHandler, handler]) {
      expect(variablesOf(fn)).toEqual({ ...budgets, ...stack.resolve(gateway.connectionsEnvironment) });
      expect(permissionsOf(stack, fn.role!)).toEqual({
        [budgetsTable]: actions('dynamodb:UpdateItem'),
        [managementApiArn(stack, gateway, 'POST/@connections/*')]: actions('execute-api:ManageConnections'),
        [managementApiArn(stack, gateway, 'DELETE/@connections/*')]: actions('execute-api:ManageConnections'),
      });
    }
    // $disconnect is the end of what $connect paid for.
    expect(template.toJSON().Resources[logicalIdOf(stack, handlers.disconnectHandler)].Properties.Environment).toBeUndefined();
  });

  it('passes the groups a user may create an hour, when the stack sets them, to every function that charges budgets', () => {
    const { stack, gateway, handlers } = synthGateway({ groupsCreatedPerHour: 1000 });
    const handler = stubFunction(stack, 'Chat');
    gateway.addAction('createGroup', handler);
    const template = Template.fromStack(stack);
    for (const fn of [handlers.connectHandler, handlers.defaultHandler, handler]) {
      // Frame functions also get the connections endpoint, to close flooding connections.
      expect(template.toJSON().Resources[logicalIdOf(stack, fn)].Properties.Environment.Variables).toMatchObject({
        ACTION_BUDGETS_TABLE: stack.resolve(gateway.budgets.table.tableName),
        GROUPS_CREATED_PER_HOUR: '1000',
      });
    }
  });

  it('deploys a throttled stage, prod by default, and outputs its URL', () => {
    const { stack, gateway, template } = synthGateway();
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: 'prod',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingBurstLimit: 500, ThrottlingRateLimit: 1000 },
    });
    template.hasOutput('*', { Value: stack.resolve(gateway.stage.url) });
    synthGateway({ stageName: 'dev' }).template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { StageName: 'dev' });
  });

  it('tells functions the endpoint and stage to reach connections by', () => {
    const { stack, gateway } = synthGateway();
    expect(stack.resolve(gateway.connectionsEnvironment)).toEqual({
      WEBSOCKET_API_ENDPOINT: { 'Fn::GetAtt': [logicalIdOf(stack, gateway.api), 'ApiEndpoint'] },
      WEBSOCKET_STAGE: 'prod',
    });
  });

  it('writes a JSON access log line per event into a log group kept a year and after the stack', () => {
    const { stack, gateway, template } = synthGateway();
    template.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 365 }, DeletionPolicy: 'Retain' });
    const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0];
    expect(stage.Properties.AccessLogSettings.DestinationArn).toEqual({ 'Fn::GetAtt': [logicalIdOf(stack, gateway.accessLogs), 'Arn'] });
    expect(JSON.parse(stage.Properties.AccessLogSettings.Format)).toEqual({
      requestId: '$context.requestId',
      requestTime: '$context.requestTimeEpoch',
      connectionId: '$context.connectionId',
      userId: '$context.authorizer.userId',
      eventType: '$context.eventType',
      routeKey: '$context.routeKey',
      status: '$context.status',
      error: '$context.error.message',
      integrationError: '$context.integration.error',
      integrationLatency: '$context.integration.latency',
    });
  });

  it("logs execution errors, not frames' contents, once the account's log role is set", () => {
    const { template } = synthGateway();
    const [[accountId, account]] = Object.entries(template.findResources('AWS::ApiGateway::Account'));
    expect(account.DeletionPolicy).toBe('Retain');
    const roleId = account.Properties.CloudWatchRoleArn['Fn::GetAtt'][0];
    expect(template.toJSON().Resources[roleId]).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: {
        AssumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'apigateway.amazonaws.com' } }] },
        ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs']] }],
      },
    });
    template.hasResource('AWS::ApiGatewayV2::Stage', {
      Properties: Match.objectLike({ DefaultRouteSettings: Match.objectLike({ LoggingLevel: 'ERROR', DataTraceEnabled: false }) }),
      DependsOn: [accountId],
    });
  });

  it("leaves the account's log role alone when told another stack set it", () => {
    const { template } = synthGateway({ setAccountLogRole: false });
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
    template.resourceCountIs('AWS::IAM::Role', 4);
    expect(Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0].DependsOn).toBeUndefined();
  });

  it.each([
    ['grantPostToConnections', 'POST'],
    ['grantConnectionStatus', 'GET'],
  ] as const)('%s allows the %s method of @connections on this stage only', (method, httpMethod) => {
    const { stack, gateway } = synthGateway();
    const role = grantee(stack);
    gateway[method](role);
    expect(permissionsOf(stack, role)).toEqual({ [managementApiArn(stack, gateway, `${httpMethod}/@connections/*`)]: actions('execute-api:ManageConnections') });
  });
});
