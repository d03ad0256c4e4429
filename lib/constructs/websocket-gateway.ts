import { CfnOutput, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AccessLogFormat, CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import { CfnAuthorizer, CfnStage, LogGroupLogDestination, WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Grant, ManagedPolicy, Role, ServicePrincipal, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Function as LambdaFunction, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ActionBudgets } from './action-budgets';
import { insecureIssuerUrlProblem, type TokenIssuer } from './identity';
import { MessengerFunction } from './messenger-function';
import { acknowledge, acknowledgeWildcardResource } from '../nag-acknowledgements';

export interface WebSocketGatewayProps {
  /** The issuer whose RS256 tokens open connections. */
  readonly tokenIssuer: TokenIssuer;
  /** Handles `$connect` after the authorizer has accepted the token. */
  readonly connectHandler: LambdaFunction;
  /** Handles `$disconnect`. */
  readonly disconnectHandler: IFunction;
  /** Handles frames whose `action` matches no route, and frames that are not JSON. */
  readonly defaultHandler: LambdaFunction;
  /** @default 'prod' */
  readonly stageName?: string;
  /**
   * Whether to set the role API Gateway logs to CloudWatch with (`AWS::ApiGateway::Account`), which
   * a WebSocket stage's logging needs. It is one setting per account and region, shared by every
   * API there: a second stack in the same account and region passes false and uses the one set.
   * @default true
   */
  readonly setAccountLogRole?: boolean;
  /**
   * Groups one user may create an hour, passed to every function that charges budgets.
   * @default the functions' own: 20 (lambdas/domain/budget.ts)
   */
  readonly groupsCreatedPerHour?: number;
}

/**
 * One JSON line per connection event and frame in the access log: who (connection), what (event
 * and route), how it ended (status, error) and when. `$context` variables of WebSocket APIs, see
 * "Configure logging for WebSocket APIs" in the API Gateway developer guide.
 */
const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  requestTime: '$context.requestTimeEpoch',
  connectionId: '$context.connectionId',
  // The authorizer's context (handlers/authorizer.ts), which API Gateway keeps for every event of the connection.
  userId: '$context.authorizer.userId',
  eventType: '$context.eventType',
  routeKey: '$context.routeKey',
  status: '$context.status',
  error: '$context.error.message',
  integrationError: '$context.integration.error',
  integrationLatency: '$context.integration.latency',
});

/**
 * The clients' WebSocket endpoint: API Gateway with route selection on `$request.body.action`,
 * a JWT-checking REQUEST authorizer on `$connect`, and one route per client action.
 */
export class WebSocketGateway extends Construct {
  public readonly api: WebSocketApi;
  public readonly stage: WebSocketStage;
  public readonly authorizerFunction: MessengerFunction;
  /** What a function needs to verify tokens as the authorizer does (`renewToken`): the trusted issuer. */
  public readonly tokenEnvironment: Record<string, string>;
  /** One JSON line per connection event and frame, kept a year, and kept when the stack goes. */
  public readonly accessLogs: LogGroup;
  /**
   * The users' budgets, which every frame is charged to: each function behind a frame route
   * (`$default` and every `addAction`) gets their table and the right to charge them.
   */
  public readonly budgets: ActionBudgets;

  constructor(scope: Construct, id: string, props: WebSocketGatewayProps) {
    super(scope, id);

    for (const url of [props.tokenIssuer.issuerUrl, props.tokenIssuer.jwksUri]) {
      const problem = insecureIssuerUrlProblem(url);
      if (problem !== undefined) throw new Error(`Token issuer: ${problem}`);
    }
    this.tokenEnvironment = {
      TOKEN_ISSUER_URL: props.tokenIssuer.issuerUrl,
      TOKEN_JWKS_URI: props.tokenIssuer.jwksUri,
      TOKEN_AUDIENCE: props.tokenIssuer.audience,
    };
    // Memory sizing rule (docs/benchmark.md): at 128 MB its CPU adds at most 50 ms to its part of the handshake.
    this.authorizerFunction = new MessengerFunction(this, 'Authorizer', { handler: 'authorizer', memorySize: 128, environment: this.tokenEnvironment });

    this.budgets = new ActionBudgets(this, 'Budgets', { groupsCreatedPerHour: props.groupsCreatedPerHour });
    // Handshakes are charged too: reconnecting in a loop is a flood like any other.
    this.chargesBudgets(props.connectHandler);
    this.chargesBudgets(props.defaultHandler);

    this.api = new WebSocketApi(this, 'Api', {
      description: 'Messenger client WebSocket endpoint',
      routeSelectionExpression: '$request.body.action',
      connectRouteOptions: {
        integration: new WebSocketLambdaIntegration('ConnectIntegration', props.connectHandler),
        // No identity source: the token comes in either of two places (a `bearer.` subprotocol of
        // Sec-WebSocket-Protocol, or `?token=`), and API Gateway would refuse any handshake that
        // lacks one of the sources listed. The authorizer refuses one that has neither, with 401.
        authorizer: new WebSocketLambdaAuthorizer('TokenAuthorizer', this.authorizerFunction, { identitySource: [] }),
      },
      disconnectRouteOptions: {
        integration: new WebSocketLambdaIntegration('DisconnectIntegration', props.disconnectHandler),
      },
      defaultRouteOptions: {
        integration: new WebSocketLambdaIntegration('DefaultIntegration', props.defaultHandler),
        returnResponse: true,
      },
    });

    // CDK writes the empty list out; CloudFormation's IdentitySource is optional for REQUEST authorizers.
    for (const authorizer of this.api.node.findAll().filter((child): child is CfnAuthorizer => child instanceof CfnAuthorizer)) {
      authorizer.addPropertyDeletionOverride('IdentitySource');
    }
    acknowledge(
      this.api,
      'AwsSolutions-APIG4',
      'A WebSocket API authorizes on $connect only (its Lambda authorizer checks the token); every later frame arrives on that authorized connection, with the authorizer context.',
    );

    this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN });
    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: props.stageName ?? 'prod',
      autoDeploy: true,
      throttle: { rateLimit: 1000, burstLimit: 500 },
      accessLogSettings: { destination: new LogGroupLogDestination(this.accessLogs), format: AccessLogFormat.custom(ACCESS_LOG_FORMAT) },
    });
    // Execution logs at ERROR: integration and authorizer failures, without frames' contents.
    const stage = this.stage.node.defaultChild as CfnStage;
    stage.addPropertyOverride('DefaultRouteSettings.LoggingLevel', 'ERROR');
    stage.addPropertyOverride('DefaultRouteSettings.DataTraceEnabled', false);
    if (props.setAccountLogRole ?? true) stage.addResourceDependency(this.setAccountLogRole());

    new CfnOutput(this, 'WebSocketUrl', { value: this.stage.url });
    this.closesFloods(props.defaultHandler);
  }

  /**
   * Routes frames whose `action` is `action` to `handler`. The handler's returned `body` is sent
   * back to the calling connection (a route response), which saves a PostToConnection per reply.
   */
  public addAction(action: string, handler: LambdaFunction): void {
    this.chargesBudgets(handler);
    this.closesFloods(handler);
    this.api.addRoute(action, {
      integration: new WebSocketLambdaIntegration(`${action}Integration`, handler),
      returnResponse: true,
    });
  }

  /** A function behind a frame route charges every frame to its user's budget (lambdas/shared/websocket.ts). */
  private chargesBudgets(handler: LambdaFunction): void {
    for (const [name, value] of Object.entries(this.budgets.environment)) handler.addEnvironment(name, value);
    this.budgets.grantCharge(handler);
  }

  /**
   * A function behind a frame route closes a connection whose user keeps sending over budget, with
   * a last error frame first (lambdas/domain/flood-guard.ts): it posts to and closes connections.
   */
  private closesFloods(handler: LambdaFunction): void {
    for (const [name, value] of Object.entries(this.connectionsEnvironment)) handler.addEnvironment(name, value);
    this.grantCloseFloodingConnections(handler);
  }

  /**
   * Lets the grantee end a flooding connection: post it a last frame and close it (`POST` and
   * `DELETE @connections`), and nothing else.
   */
  public grantCloseFloodingConnections(grantee: IGrantable): Grant {
    return this.grantPostToConnections(grantee).combine(this.grantCloseConnections(grantee));
  }

  /**
   * Sets the role API Gateway writes execution and access logs with. Both are kept when the stack
   * goes: the account setting outlives it, and a deleted role would stop every API's logs in the region.
   */
  private setAccountLogRole(): CfnAccount {
    const role = new Role(this, 'AccountLogRole', {
      assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
      description: "API Gateway's role for writing execution and access logs to CloudWatch Logs, for every API of this account and region",
      managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs')],
    });
    role.applyRemovalPolicy(RemovalPolicy.RETAIN);
    acknowledge(
      role,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      "API Gateway's own logging role for every API of the account and region, which creates and names its execution log groups itself: the managed policy AWS documents for it.",
    );
    const account = new CfnAccount(this, 'Account', { cloudWatchRoleArn: role.roleArn });
    account.applyRemovalPolicy(RemovalPolicy.RETAIN);
    return account;
  }

  /** Lets the grantee post frames to the stage's connections (`POST @connections`), and nothing else. */
  public grantPostToConnections(grantee: IGrantable): Grant {
    return this.grantManageConnections(grantee, 'POST');
  }

  /** Lets the grantee ask whether a connection is still open (`GET @connections`), and nothing else. */
  public grantConnectionStatus(grantee: IGrantable): Grant {
    return this.grantManageConnections(grantee, 'GET');
  }

  /** Lets the grantee close connections (`DELETE @connections`), and nothing else. */
  public grantCloseConnections(grantee: IGrantable): Grant {
    return this.grantManageConnections(grantee, 'DELETE');
  }

  private grantManageConnections(grantee: IGrantable, method: 'POST' | 'GET' | 'DELETE'): Grant {
    const connectionsArn = Stack.of(this).formatArn({
      service: 'execute-api',
      resource: this.api.apiId,
      resourceName: `${this.stage.stageName}/${method}/@connections/*`,
    });
    acknowledgeWildcardResource(grantee, connectionsArn, 'Connection ids exist only at run time; the grant is limited to this API, this stage and this one method.');
    return Grant.addToPrincipal({ grantee, actions: ['execute-api:ManageConnections'], resourceArns: [connectionsArn] });
  }

  /**
   * Environment a function needs to post to connections: the API's endpoint and stage, from which
   * the management API's endpoint follows.
   */
  public get connectionsEnvironment(): Record<string, string> {
    return {
      WEBSOCKET_API_ENDPOINT: this.api.apiEndpoint,
      WEBSOCKET_STAGE: this.stage.stageName,
    };
  }
}
