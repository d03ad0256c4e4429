import { CfnOutput } from 'aws-cdk-lib';
import { WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { TokenIssuer } from './identity';
import { MessengerFunction } from './messenger-function';

export interface WebSocketGatewayProps {
  /** The issuer whose RS256 tokens open connections. */
  readonly tokenIssuer: TokenIssuer;
  /** Handles `$connect` after the authorizer has accepted the token. */
  readonly connectHandler: IFunction;
  /** Handles `$disconnect`. */
  readonly disconnectHandler: IFunction;
  /** Handles frames whose `action` matches no route, and frames that are not JSON. */
  readonly defaultHandler: IFunction;
  /** @default 'prod' */
  readonly stageName?: string;
}

/**
 * The clients' WebSocket endpoint: API Gateway with route selection on `$request.body.action`,
 * a JWT-checking REQUEST authorizer on `$connect`, and one route per client action.
 */
export class WebSocketGateway extends Construct {
  public readonly api: WebSocketApi;
  public readonly stage: WebSocketStage;
  public readonly authorizerFunction: MessengerFunction;

  constructor(scope: Construct, id: string, props: WebSocketGatewayProps) {
    super(scope, id);

    this.authorizerFunction = new MessengerFunction(this, 'Authorizer', {
      handler: 'authorizer',
      environment: {
        TOKEN_ISSUER_URL: props.tokenIssuer.issuerUrl,
        TOKEN_JWKS_URI: props.tokenIssuer.jwksUri,
        TOKEN_AUDIENCE: props.tokenIssuer.audience,
      },
    });

    this.api = new WebSocketApi(this, 'Api', {
      description: 'Messenger client WebSocket endpoint',
      routeSelectionExpression: '$request.body.action',
      connectRouteOptions: {
        integration: new WebSocketLambdaIntegration('ConnectIntegration', props.connectHandler),
        authorizer: new WebSocketLambdaAuthorizer('TokenAuthorizer', this.authorizerFunction, {
          identitySource: ['route.request.querystring.token'],
        }),
      },
      disconnectRouteOptions: {
        integration: new WebSocketLambdaIntegration('DisconnectIntegration', props.disconnectHandler),
      },
      defaultRouteOptions: {
        integration: new WebSocketLambdaIntegration('DefaultIntegration', props.defaultHandler),
        returnResponse: true,
      },
    });

    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: props.stageName ?? 'prod',
      autoDeploy: true,
      throttle: { rateLimit: 1000, burstLimit: 500 },
    });

    new CfnOutput(this, 'WebSocketUrl', { value: this.stage.url });
  }

  /**
   * Routes frames whose `action` is `action` to `handler`. The handler's returned `body` is sent
   * back to the calling connection (a route response), which saves a PostToConnection per reply.
   */
  public addAction(action: string, handler: IFunction): void {
    this.api.addRoute(action, {
      integration: new WebSocketLambdaIntegration(`${action}Integration`, handler),
      returnResponse: true,
    });
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
