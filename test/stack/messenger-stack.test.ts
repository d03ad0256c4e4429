import { Match, Template } from 'aws-cdk-lib/assertions';
import { MessengerStack, type MessengerStackProps } from '../../lib/messenger-stack';
import type { MessengerFunction } from '../../lib/constructs/messenger-function';
import { actions, functionBaseline, keyspacesArn, logicalIdOf, managementApiArn, permissionsOf, resource, testApp } from './template';

/** The whole stack, as `bin/messenger.ts` makes it (its name included, which names the keyspace). */
function synthStack(props: MessengerStackProps = {}) {
  const stack = new MessengerStack(testApp(), 'Messenger', props);
  const fn = (id: string) => stack.node.findChild(id) as MessengerFunction;
  return { stack, fn, get template() { return Template.fromStack(stack); } };
}

/** Which function (construct id under the stack) serves each route: the wiring of the protocol's actions. */
const ROUTES: Record<string, string> = {
  $connect: 'Connect',
  $disconnect: 'Disconnect',
  $default: 'UnknownAction',
  ping: 'PresenceActions',
  typing: 'PresenceActions',
  subscribePresence: 'PresenceActions',
  getSettings: 'PresenceActions',
  updateSettings: 'PresenceActions',
  sendMessage: 'ChatActions',
  ack: 'ChatActions',
  createGroup: 'ChatActions',
  addMembers: 'ChatActions',
  removeMember: 'ChatActions',
  updateGroup: 'ChatActions',
  listThreads: 'ChatActions',
  blockUser: 'ChatActions',
  unblockUser: 'ChatActions',
  listBlocks: 'ChatActions',
  acceptRequest: 'ChatActions',
  declineRequest: 'ChatActions',
  getMessages: 'GetMessages',
  registerPush: 'PushDevices',
  unregisterPush: 'PushDevices',
  renewToken: 'RenewToken',
};

describe('MessengerStack wiring', () => {
  it('routes each action of the protocol to its function, every frame route with a route response', () => {
    const { stack, fn, template } = synthStack();
    const resources = template.toJSON().Resources;
    const routes = Object.entries(template.findResources('AWS::ApiGatewayV2::Route'));
    expect(routes.map(([, route]) => route.Properties.RouteKey).sort()).toEqual(Object.keys(ROUTES).sort());
    const responded = Object.values(template.findResources('AWS::ApiGatewayV2::RouteResponse')).map((response) => response.Properties.RouteId.Ref);
    for (const [routeId, route] of routes) {
      const integrationId = (route.Properties.Target['Fn::Join'][1] as Array<{ Ref?: string }>).find((part) => part.Ref)!.Ref!;
      const target = JSON.stringify(resources[integrationId].Properties.IntegrationUri);
      expect([route.Properties.RouteKey, target]).toEqual([route.Properties.RouteKey, expect.stringContaining(`"${logicalIdOf(stack, fn(ROUTES[route.Properties.RouteKey]))}"`)]);
      expect(responded.includes(routeId)).toBe(!['$connect', '$disconnect'].includes(route.Properties.RouteKey));
    }
  });

  it('gives each function behind a route exactly the permissions its code needs', () => {
    const { stack, fn } = synthStack();
    const { chat, connections, presence, push, history, gateway, settings } = stack;
    const table = (arn: string) => resource(stack, arn);
    const connectionsTable = table(connections.table.tableArn);
    const post = managementApiArn(stack, gateway, 'POST/@connections/*');
    const get = managementApiArn(stack, gateway, 'GET/@connections/*');
    const manage = actions('execute-api:ManageConnections');
    const granted = (id: string) => permissionsOf(stack, fn(id).role!);
    const baseline = (id: string) => functionBaseline(stack, fn(id));
    // Every function behind a frame route charges its frames to the users' budgets.
    const budgets = { [table(gateway.budgets.table.tableArn)]: actions('dynamodb:UpdateItem') };
    // ...and closes a connection that keeps flooding, with a last frame (lambdas/domain/flood-guard.ts).
    const floods = { [post]: manage, [managementApiArn(stack, gateway, 'DELETE/@connections/*')]: manage };

    expect(granted('Connect')).toEqual({ ...baseline('Connect'), ...budgets, [connectionsTable]: actions('dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem') });
    expect(granted('Disconnect')).toEqual({ ...baseline('Disconnect'), [connectionsTable]: actions('dynamodb:DeleteItem', 'dynamodb:UpdateItem') });
    expect(granted('UnknownAction')).toEqual({ ...baseline('UnknownAction'), ...budgets, ...floods });
    expect(permissionsOf(stack, gateway.authorizerFunction.role!)).toEqual(functionBaseline(stack, gateway.authorizerFunction));
    expect(granted('PresenceActions')).toEqual({
      ...baseline('PresenceActions'),
      ...budgets, ...floods,
      [connectionsTable]: actions('dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:DeleteItem'),
      [table(chat.threads.tableArn)]: actions('dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:BatchGetItem'),
      [table(chat.userThreads.tableArn)]: actions('dynamodb:Query'),
      [table(presence.subscriptionsTable.tableArn)]: actions('dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem'),
      [table(`${presence.subscriptionsTable.tableArn}/index/bySubscriber`)]: actions('dynamodb:Query'),
      [table(presence.statusTable.tableArn)]: actions('dynamodb:BatchGetItem'),
      [table(settings.table.tableArn)]: actions('dynamodb:BatchGetItem', 'dynamodb:UpdateItem'),
      [post]: manage,
      [get]: manage,
    });
    expect(granted('ChatActions')).toEqual({
      ...baseline('ChatActions'),
      ...budgets, ...floods,
      [table(chat.threads.tableArn)]: actions(
        'dynamodb:BatchGetItem',
        'dynamodb:GetItem',
        'dynamodb:Query',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:ConditionCheckItem',
        'dynamodb:DeleteItem',
        'dynamodb:BatchWriteItem',
      ),
      [table(chat.userThreads.tableArn)]: actions('dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:BatchGetItem'),
      [table(`${chat.userThreads.tableArn}/index/byRecentActivity`)]: actions('dynamodb:Query'),
      [table(chat.sendRecords.tableArn)]: actions('dynamodb:BatchGetItem', 'dynamodb:PutItem'),
      [table(chat.blocks.tableArn)]: actions('dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Query'),
      [connectionsTable]: actions('dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:DeleteItem'),
      [table(push.topic.topicArn)]: actions('sns:Publish'),
      [post]: manage,
      [get]: manage,
    });
    expect(granted('GetMessages')).toEqual({
      ...baseline('GetMessages'),
      ...budgets, ...floods,
      [table(chat.threads.tableArn)]: actions('dynamodb:GetItem', 'dynamodb:Query'),
      [keyspacesArn(`${history.keyspaceName}/table/messages`)]: actions('cassandra:Select'),
      [keyspacesArn('system*')]: actions('cassandra:Select'),
      [connectionsTable]: actions('dynamodb:PutItem', 'dynamodb:UpdateItem'),
      [get]: manage,
    });
    expect(granted('PushDevices')).toEqual({ ...baseline('PushDevices'), ...budgets, ...floods, [table(push.devicesTable.tableArn)]: actions('dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Query') });
    expect(granted('RenewToken')).toEqual({ ...baseline('RenewToken'), ...budgets, ...floods, [connectionsTable]: actions('dynamodb:UpdateItem', 'dynamodb:PutItem'), [get]: manage });
  });

  it('lets only the stale-connection sweep and the frame routes (a flood) close connections (DELETE @connections), and no function use a method it does not call', () => {
    const { stack } = synthStack();
    const sweeper = stack.connections.staleConnectionSweeper;
    const closeArn = managementApiArn(stack, stack.gateway, 'DELETE/@connections/*');
    const sweeperPermissions = permissionsOf(stack, sweeper.role!);
    const statusArn = managementApiArn(stack, stack.gateway, 'GET/@connections/*');
    expect(sweeperPermissions[closeArn]).toEqual(actions('execute-api:ManageConnections'));
    // It closes connections whose token expired, and asks whether a stale one is still open (whether it stays listed).
    expect(Object.keys(sweeperPermissions).filter((arn) => arn.includes('@connections')).sort()).toEqual([closeArn, statusArn].sort());
    const policies = JSON.stringify(stack.resolve(Template.fromStack(stack).findResources('AWS::IAM::Policy')));
    // One grant of DELETE to each: the sweep, and the six functions behind frame routes; every ManageConnections grant names its method, none all of them.
    expect(policies.match(/\/DELETE\/@connections/g)).toHaveLength(7);
    expect(policies).not.toMatch(/\/\*\/@connections|@connections\/\*\*/);
    expect(sweeper.node.defaultChild).toBeDefined();
    const environment = (Template.fromStack(stack).toJSON().Resources[logicalIdOf(stack, sweeper)].Properties.Environment.Variables) as Record<string, unknown>;
    expect(Object.keys(environment)).toEqual(expect.arrayContaining(['WEBSOCKET_API_ENDPOINT', 'WEBSOCKET_STAGE']));
  });

  it('gives renewToken the issuer the authorizer trusts', () => {
    const { stack, fn, template } = synthStack();
    const variables = (id: string) => template.toJSON().Resources[logicalIdOf(stack, id === 'Authorizer' ? stack.gateway.authorizerFunction : fn(id))].Properties.Environment.Variables;
    for (const name of ['TOKEN_ISSUER_URL', 'TOKEN_JWKS_URI', 'TOKEN_AUDIENCE']) expect(variables('RenewToken')[name]).toEqual(variables('Authorizer')[name]);
  });

  it('allows no action on every resource, except X-Ray writes and listing streams, which have no resource ARNs', () => {
    const policies = synthStack().template.findResources('AWS::IAM::Policy');
    for (const policy of Object.values(policies)) {
      for (const statement of policy.Properties.PolicyDocument.Statement) {
        const statementActions = [statement.Action].flat() as string[];
        expect(statementActions.filter((action) => action.includes('*'))).toEqual([]);
        if ([statement.Resource].flat().includes('*')) {
          expect(statementActions.filter((action) => !action.startsWith('xray:') && action !== 'dynamodb:ListStreams')).toEqual([]);
        }
      }
    }
  });

  it('builds every function as a MessengerFunction, and lets none behind a route outlast the gateway’s 29 seconds', () => {
    const { stack, template } = synthStack();
    const functions = template.findResources('AWS::Lambda::Function');
    expect(Object.keys(functions)).toHaveLength(15);
    for (const fn of Object.values(functions)) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.any(String) } },
        TracingConfig: { Mode: 'Active' },
      });
    }
    for (const id of new Set([...Object.values(ROUTES), 'GatewayAuthorizer'])) {
      const fn = id === 'GatewayAuthorizer' ? stack.gateway.authorizerFunction : (stack.node.findChild(id) as MessengerFunction);
      expect([id, functions[logicalIdOf(stack, fn)].Properties.Timeout]).toEqual([id, expect.any(Number)]);
      expect(functions[logicalIdOf(stack, fn)].Properties.Timeout).toBeLessThan(29);
    }
  });

  it('passes the idle timeout to every function that counts connections as live', () => {
    const { stack, fn, template } = synthStack({ idleTimeoutSeconds: 30 });
    for (const id of ['Connect', 'Disconnect', 'PresenceActions', 'ChatActions', 'GetMessages', 'RenewToken']) {
      expect(template.toJSON().Resources[logicalIdOf(stack, fn(id))].Properties.Environment.Variables.IDLE_TIMEOUT_SECONDS).toBe('30');
    }
  });

  it('names the keyspace after the stack and tells only the history functions', () => {
    const { stack, template } = synthStack();
    template.hasResourceProperties('AWS::Cassandra::Keyspace', { KeyspaceName: 'messenger' });
    const withHistory = Object.entries(template.findResources('AWS::Lambda::Function'))
      .filter(([, fn]) => fn.Properties.Environment.Variables.HISTORY_KEYSPACE !== undefined)
      .map(([id, fn]) => [id, fn.Properties.Environment.Variables.HISTORY_KEYSPACE]);
    expect(withHistory.sort()).toEqual(
      [
        [logicalIdOf(stack, stack.node.findChild('GetMessages') as MessengerFunction), 'messenger'],
        [logicalIdOf(stack, stack.messagePipeline.persistFunction), 'messenger'],
      ].sort(),
    );
    const other = new MessengerStack(testApp(), 'MessengerStaging');
    Template.fromStack(other).hasResourceProperties('AWS::Cassandra::Keyspace', { KeyspaceName: 'messengerstaging' });
  });

  it("points the authorizer at the user pool's tokens, or at an external issuer when given one", () => {
    const { stack, template } = synthStack();
    template.resourceCountIs('AWS::Cognito::UserPool', 1);
    const authorizer = logicalIdOf(stack, stack.gateway.authorizerFunction);
    const variables = () => template.toJSON().Resources[authorizer].Properties.Environment.Variables;
    expect(variables()).toMatchObject({
      TOKEN_ISSUER_URL: stack.resolve(stack.identity.tokenIssuer.issuerUrl),
      TOKEN_AUDIENCE: { Ref: logicalIdOf(stack, stack.identity.userPoolClient) },
    });
    const external = { issuerUrl: 'http://127.0.0.1:8080/dev', jwksUri: 'http://127.0.0.1:8080/dev/jwks.json', audience: 'local' };
    synthStack({ externalTokenIssuer: external }).template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ TOKEN_ISSUER_URL: external.issuerUrl, TOKEN_JWKS_URI: external.jwksUri, TOKEN_AUDIENCE: 'local' }) },
    });
  });

  it('hands the platform applications to push: registration may create endpoints in them, sending may publish to them', () => {
    const fcm = 'arn:aws:sns:us-east-1:123456789012:app/GCM/messenger';
    const { stack, fn, template } = synthStack({ pushPlatformApplications: { fcm } });
    const pushDevices = template.toJSON().Resources[logicalIdOf(stack, fn('PushDevices'))];
    expect(pushDevices.Properties.Environment.Variables).toMatchObject({ FCM_PLATFORM_APPLICATION_ARN: fcm });
    expect(permissionsOf(stack, fn('PushDevices').role!)).toMatchObject({ [JSON.stringify(fcm)]: actions('sns:CreatePlatformEndpoint') });
    expect(permissionsOf(stack, stack.push.sendFunction.role!)).toMatchObject({
      '"arn:aws:sns:us-east-1:123456789012:endpoint/GCM/messenger/*"': actions('sns:Publish'),
    });
  });

  it("sets API Gateway's log role for the account unless told another stack did", () => {
    synthStack().template.resourceCountIs('AWS::ApiGateway::Account', 1);
    synthStack({ setApiGatewayAccountLogRole: false }).template.resourceCountIs('AWS::ApiGateway::Account', 0);
  });
});

