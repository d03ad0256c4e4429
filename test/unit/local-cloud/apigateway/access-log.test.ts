import { contextVariables, renderAccessLogLine } from '../../../../local-cloud/services/apigateway/access-log';
import { requestContext } from '../../../../local-cloud/services/apigateway/lambda-events';

const FORMAT =
  '{"requestId":"$context.requestId","connectionId":"$context.connectionId","userId":"$context.authorizer.userId","routeKey":"$context.routeKey",' +
  '"status":"$context.status","ip":"$context.identity.sourceIp","error":"$context.error.message","integrationError":"$context.integration.error","integrationLatency":"$context.integration.latency"}';
const STAGE = { apiId: 'local', stage: 'prod', region: 'us-east-1', accountId: '000000000000', domainName: '127.0.0.1:8080' };

describe('the stage`s access log line', () => {
  const context = requestContext(STAGE, 'conn-1=', 'MESSAGE', 'sendMessage', 1, { sourceIp: '127.0.0.1', userAgent: 'test' });

  it('fills the $context variables API Gateway knows of the request, and `-` for those without a value', () => {
    const line = JSON.parse(renderAccessLogLine(FORMAT, contextVariables({ context, authorizer: { userId: 'ann', principalId: 'ann' }, status: 200, integration: { status: 200, latencyMs: 12 } })));
    expect(line).toEqual({
      requestId: context.requestId,
      connectionId: 'conn-1=',
      userId: 'ann',
      routeKey: 'sendMessage',
      status: '200',
      ip: '127.0.0.1',
      error: '-',
      integrationError: '-',
      integrationLatency: '12',
    });
  });

  it('keeps the line JSON when a value has quotes or newlines, as an error message can', () => {
    const line = renderAccessLogLine(FORMAT, contextVariables({ context, status: 500, errorMessage: 'Internal server error', integration: { latencyMs: 3, error: 'bad "input"\nat line 2' } }));
    expect(JSON.parse(line)).toMatchObject({ userId: '-', status: '500', error: 'Internal server error', integrationError: 'bad "input"\nat line 2' });
  });
});
