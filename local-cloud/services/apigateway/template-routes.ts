import { resourcesOfType, type StackAssembly } from '../../assembly/cloud-assembly';
import type { IntrinsicResolver } from '../../assembly/intrinsics';
import { ACCOUNT_ID, REGION } from '../account';
import type { GatewayRoutes, RouteTarget } from './websocket-gateway';

/** The function a Lambda proxy integration or authorizer URI invokes, as the ARN in it. */
function functionArnOf(invocationUri: string): string {
  const arn = invocationUri.match(/\/functions\/(.+)\/invocations$/)?.[1];
  if (arn === undefined) throw new Error(`not a Lambda invocation URI: ${invocationUri}`);
  return arn;
}

/** The one stage of the template's WebSocket API. */
export function stageNameOf(assembly: StackAssembly): string {
  const stages = resourcesOfType(assembly, 'AWS::ApiGatewayV2::Stage');
  if (stages.length !== 1) throw new Error(`expected one API Gateway stage in the template, found ${stages.length}`);
  return String(stages[0][1].Properties?.StageName);
}

/** The WebSocket API's routes, integrations, route responses and authorizer, from the template. */
export function gatewayRoutesOf(assembly: StackAssembly, resolver: IntrinsicResolver): GatewayRoutes {
  const apis = resourcesOfType(assembly, 'AWS::ApiGatewayV2::Api').filter(([, api]) => api.Properties?.ProtocolType === 'WEBSOCKET');
  if (apis.length !== 1) throw new Error(`expected one WebSocket API in the template, found ${apis.length}`);
  const functionOf = (uri: unknown) => functionArnOf(resolver.resolveString(uri));
  const routesWithResponse = new Set(
    resourcesOfType(assembly, 'AWS::ApiGatewayV2::RouteResponse').map(([, response]) => (response.Properties?.RouteId as { Ref: string }).Ref),
  );

  const byKey = new Map<string, RouteTarget & { authorizerId?: string }>();
  for (const [logicalId, route] of resourcesOfType(assembly, 'AWS::ApiGatewayV2::Route')) {
    const properties = route.Properties ?? {};
    const target = resolver.resolveString(properties.Target);
    const integrationId = target.replace(/^integrations\//, '');
    const integration = assembly.resources.get(integrationId);
    if (integration?.Properties?.IntegrationType !== 'AWS_PROXY') {
      throw new Error(`route ${String(properties.RouteKey)} targets ${integrationId}, which is not a Lambda proxy integration`);
    }
    byKey.set(String(properties.RouteKey), {
      functionRef: functionOf(integration.Properties.IntegrationUri),
      returnResponse: routesWithResponse.has(logicalId),
      authorizerId: properties.AuthorizationType === 'CUSTOM' ? (properties.AuthorizerId as { Ref: string }).Ref : undefined,
    });
  }

  const connect = byKey.get('$connect');
  const authorizerResource = connect?.authorizerId ? assembly.resources.get(connect.authorizerId) : undefined;
  const disconnect = byKey.get('$disconnect');
  byKey.delete('$connect');
  byKey.delete('$disconnect');
  return {
    routeSelectionExpression: String(apis[0][1].Properties?.RouteSelectionExpression),
    connect: connect && {
      ...connect,
      authorizer: authorizerResource && {
        functionRef: functionOf(authorizerResource.Properties?.AuthorizerUri),
        sourceArn: `arn:aws:execute-api:${REGION}:${ACCOUNT_ID}:${resolver.resolveString({ Ref: apis[0][0] })}/authorizers/${resolver.resolveString({ Ref: connect.authorizerId })}`,
        identitySources: (authorizerResource.Properties?.IdentitySource as string[] | undefined) ?? [],
      },
    },
    disconnect,
    byKey,
  };
}
