import {
  authorizerEvent,
  bodyOf,
  connectEvent,
  disconnectEvent,
  messageEvent,
  readHandshake,
  requestTime,
  selectRoute,
  statusOf,
  type StageIdentity,
} from '../../../../local-cloud/services/apigateway/lambda-events';
import { fixture, rawHeadersOf, shapeOf } from '../fixtures';

const stage: StageIdentity = { apiId: 'local', stage: 'prod', region: 'us-east-1', accountId: '000000000000', domainName: '127.0.0.1:8080' };

/** A handshake carrying the fixture's headers and query string, from the fixture's caller. */
function handshakeLike(event: Record<string, any>) {
  const query = new URLSearchParams(event.queryStringParameters ?? {}).toString();
  return readHandshake(`/?${query}`, rawHeadersOf(event.headers), event.requestContext.identity.sourceIp);
}

describe('the events the local API Gateway hands its functions', () => {
  it('writes requestTime as API Gateway does', () => {
    const documented = fixture('authorizer-request').requestContext;
    expect(requestTime(documented.requestTimeEpoch)).toBe(documented.requestTime);
    expect(requestTime(Date.UTC(2026, 0, 5, 3, 4, 5))).toBe('05/Jan/2026:03:04:05 +0000');
  });

  it('gives the REQUEST authorizer the documented input: the handshake as sent, stage variables, the $connect context', () => {
    const documented = fixture('authorizer-request');
    const handshake = handshakeLike(documented);
    const event = authorizerEvent(stage, handshake, 'abc=', 1674162806344);

    expect(shapeOf(event)).toEqual(shapeOf(documented));
    expect(event.methodArn).toBe('arn:aws:execute-api:us-east-1:000000000000:local/prod/$connect');
    expect(event.headers).toEqual(documented.headers);
    expect(event.multiValueHeaders).toEqual(documented.multiValueHeaders);
    expect(event.queryStringParameters).toEqual(documented.queryStringParameters);
    expect(event.multiValueQueryStringParameters).toEqual(documented.multiValueQueryStringParameters);
    expect(event.requestContext).toMatchObject({ routeKey: '$connect', eventType: 'CONNECT', messageDirection: 'IN', stage: 'prod', connectedAt: 1674162806344, connectionId: 'abc=', apiId: 'local', domainName: '127.0.0.1:8080' });
    expect(event.requestContext.requestTime).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
  });

  it('gives $connect the handshake and the authorizer context, with principalId and integrationLatency', () => {
    const documented = fixture('connect-event');
    const handshake = handshakeLike(documented);
    const authorizer = documented.requestContext.authorizer;
    const event = connectEvent(stage, handshake, { id: 'abc=', connectedAt: 1, identity: handshake.identity, authorizer });

    expect(shapeOf(event)).toEqual(shapeOf(documented));
    expect(event.headers).toEqual(documented.headers);
    expect(event.queryStringParameters).toEqual({ token: 'eyJ...', deviceId: 'laptop' });
    expect(event.requestContext.authorizer).toEqual(authorizer);
    expect(event.requestContext.identity).toEqual({ sourceIp: '203.0.113.0', userAgent: '' });
  });

  it('passes null query parameters when the handshake has none, and joins repeated headers', () => {
    const handshake = readHandshake('/', ['Host', 'h', 'X-Multi', 'a', 'X-Multi', 'b', 'User-Agent', 'wscat'], '10.0.0.1');
    expect(handshake.queryStringParameters).toBeNull();
    expect(handshake.multiValueQueryStringParameters).toBeNull();
    expect(handshake.headers['X-Multi']).toBe('a,b');
    expect(handshake.multiValueHeaders['X-Multi']).toEqual(['a', 'b']);
    expect(handshake.identity).toEqual({ sourceIp: '10.0.0.1', userAgent: 'wscat' });
  });

  it('gives a route its frame with a message id and the connection`s authorizer context', () => {
    const documented = fixture('message-event');
    const connection = { id: 'abc=', connectedAt: 5, identity: documented.requestContext.identity, authorizer: documented.requestContext.authorizer };
    const event = messageEvent(stage, connection, 'sendMessage', documented.body, false);

    expect(shapeOf(event)).toEqual(shapeOf(documented));
    expect(event).toMatchObject({ body: documented.body, isBase64Encoded: false });
    expect(event.requestContext).toMatchObject({ routeKey: 'sendMessage', eventType: 'MESSAGE', connectionId: 'abc=', connectedAt: 5 });
    expect(event.requestContext.messageId).not.toBe(messageEvent(stage, connection, 'sendMessage', documented.body, false).requestContext.messageId);
  });

  it('gives $disconnect the close code and reason, and the headers API Gateway sends', () => {
    const documented = fixture('disconnect-event');
    const connection = { id: 'abc=', connectedAt: 5, identity: documented.requestContext.identity, authorizer: documented.requestContext.authorizer };
    const event = disconnectEvent(stage, connection, 1001, 'Going away');

    expect(shapeOf(event)).toEqual(shapeOf(documented));
    expect(event.headers).toEqual({ ...documented.headers, Host: '127.0.0.1:8080' });
    expect(event.requestContext).toMatchObject({ routeKey: '$disconnect', eventType: 'DISCONNECT', disconnectStatusCode: 1001, disconnectReason: 'Going away' });
  });

  it('leaves authorizer out of every event when the API has no authorizer', () => {
    const connection = { id: 'abc=', connectedAt: 5, identity: { sourceIp: '1.2.3.4', userAgent: '' } };
    expect(messageEvent(stage, connection, '$default', 'x', false).requestContext).not.toHaveProperty('authorizer');
    expect(disconnectEvent(stage, connection, 1000, '').requestContext).not.toHaveProperty('authorizer');
  });
});

describe('route selection', () => {
  const routes = new Set(['sendMessage', 'ping']);

  it.each([
    ['a JSON frame whose action is a route', '{"action":"ping"}', false, 'ping'],
    ['an action no route has', '{"action":"nope"}', false, '$default'],
    ['an action that is not a string', '{"action":1}', false, '$default'],
    ['a frame that is not JSON', 'ping', false, '$default'],
    ['JSON null', 'null', false, '$default'],
    ['a binary frame', Buffer.from('{"action":"ping"}').toString('base64'), true, '$default'],
  ])('sends %s to its route', (_case, body, isBinary, expected) => {
    expect(selectRoute('$request.body.action', routes, body, isBinary)).toBe(expected);
  });

  it('follows a nested selection expression', () => {
    expect(selectRoute('$request.body.meta.route', routes, '{"meta":{"route":"sendMessage"}}', false)).toBe('sendMessage');
  });
});

describe('integration results', () => {
  it('read the status (200 without one) and the body a route response sends back', () => {
    expect(statusOf({ statusCode: 401 })).toBe(401);
    expect(statusOf({ statusCode: '403' })).toBe(403);
    expect(statusOf(null)).toBe(200);
    expect(statusOf({ statusCode: 'x' })).toBe(200);
    expect(bodyOf({ body: 'text' })).toBe('text');
    expect(bodyOf({ body: { type: 'pong' } })).toBe('{"type":"pong"}');
    expect(bodyOf({ body: null })).toBeUndefined();
    expect(bodyOf('plain')).toBeUndefined();
  });
});
