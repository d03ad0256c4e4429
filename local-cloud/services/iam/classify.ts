/**
 * What an AWS SDK request asks IAM for: from the raw HTTP request (its wire protocol) to the
 * actions and resource ARNs AWS authorizes it by, as the Service Authorization Reference and each
 * service's guide list them. Transactions and batches name one pair per item, on the item's own
 * table ("Using IAM with DynamoDB transactions": Put, Update, Delete, Get and ConditionCheck are
 * governed by PutItem, UpdateItem, DeleteItem, GetItem and ConditionCheckItem).
 */
export type IamService = 'dynamodb' | 'sqs' | 'sns' | 'execute-api';

export interface AuthorizationRequest {
  /** `service:Operation`, as policies name it. */
  readonly action: string;
  readonly resource: string;
}

export interface HttpRequestView {
  readonly method: string;
  /** The request target: path and query. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

/** Where the calls land: the account and region ARNs are built in, and the WebSocket API's id. */
export interface ServicePlacement {
  readonly region: string;
  readonly account: string;
  /** The API whose `@connections` the management API manages (`execute-api` only). */
  readonly apiId?: string;
}

/** A request the enforcer cannot map to actions and resources; it is refused, never waved through. */
export class UnclassifiableRequestError extends Error {
  constructor(service: IamService, detail: string) {
    super(`the local IAM enforcer cannot tell what this ${service} request touches: ${detail}`);
    this.name = 'UnclassifiableRequestError';
  }
}

const header = (request: HttpRequestView, name: string): string | undefined => {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
};

export function jsonBody(service: IamService, request: HttpRequestView): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(request.body.toString('utf8') || '{}');
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // falls through to the error below
  }
  throw new UnclassifiableRequestError(service, 'the body is not a JSON object');
}

/** The operation of a JSON-protocol request, from `X-Amz-Target: <prefix>.<Operation>`. */
export function jsonOperation(service: IamService, request: HttpRequestView, prefixes: readonly string[]): { prefix: string; operation: string } {
  const target = header(request, 'x-amz-target') ?? '';
  const [prefix, operation] = target.split('.');
  if (!prefixes.includes(prefix) || !operation) throw new UnclassifiableRequestError(service, `X-Amz-Target ${JSON.stringify(target)}`);
  return { prefix, operation };
}

function dynamoDb(request: HttpRequestView, placement: ServicePlacement): AuthorizationRequest[] {
  const { prefix, operation } = jsonOperation('dynamodb', request, ['DynamoDB_20120810', 'DynamoDBStreams_20120810']);
  const body = jsonBody('dynamodb', request);
  const tableArn = (table: unknown): string => {
    if (typeof table !== 'string' || table === '') throw new UnclassifiableRequestError('dynamodb', `${operation} without a table name`);
    return table.startsWith('arn:') ? table : `arn:aws:dynamodb:${placement.region}:${placement.account}:table/${table}`;
  };
  const on = (action: string, resource: string) => ({ action: `dynamodb:${action}`, resource });

  if (prefix === 'DynamoDBStreams_20120810') {
    if (operation === 'ListStreams') return [on(operation, body.TableName === undefined ? '*' : `${tableArn(body.TableName)}/stream/*`)];
    // A shard iterator is opaque; DynamoDB Local's carries the stream ARN it reads.
    const source = operation === 'GetRecords' ? String(body.ShardIterator ?? '') : String(body.StreamArn ?? '');
    const streamArn = /arn:aws[\w-]*:dynamodb:[^|\s"]+\/stream\/[^|\s"]+/.exec(source)?.[0];
    if (streamArn === undefined) throw new UnclassifiableRequestError('dynamodb', `${operation} without a stream ARN`);
    return [on(operation, streamArn)];
  }
  switch (operation) {
    case 'BatchGetItem':
    case 'BatchWriteItem':
      return Object.keys((body.RequestItems as object | undefined) ?? {}).map((table) => on(operation, tableArn(table)));
    case 'TransactWriteItems':
    case 'TransactGetItems': {
      const actions: Record<string, string> = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem', Get: 'GetItem' };
      return ((body.TransactItems as Array<Record<string, { TableName?: unknown }>> | undefined) ?? []).map((item) => {
        const [kind, detail] = Object.entries(item)[0] ?? [];
        if (kind === undefined || actions[kind] === undefined) throw new UnclassifiableRequestError('dynamodb', `${operation} item ${JSON.stringify(item)}`);
        return on(actions[kind], tableArn(detail.TableName));
      });
    }
    case 'ListTables':
    case 'DescribeLimits':
    case 'DescribeEndpoints':
      return [on(operation, '*')];
    default: {
      const table = tableArn(body.TableName);
      const index = operation === 'Query' || operation === 'Scan' ? body.IndexName : undefined;
      return [on(operation, typeof index === 'string' ? `${table}/index/${index}` : table)];
    }
  }
}

/** `https://host/ACCOUNT/NAME` (AWS's queue URL form, which ElasticMQ keeps) to the queue's ARN. */
function queueArn(queueUrl: unknown, placement: ServicePlacement): string {
  const match = typeof queueUrl === 'string' ? /^https?:\/\/[^/]+\/(\d{12})\/([\w-]{1,80}(?:\.fifo)?)\/?$/.exec(queueUrl) : null;
  if (match === null) throw new UnclassifiableRequestError('sqs', `QueueUrl ${JSON.stringify(queueUrl)}`);
  return `arn:aws:sqs:${placement.region}:${match[1]}:${match[2]}`;
}

/** A queue ARN as the move-task actions name their queues. */
function queueArnField(value: unknown, field: string): string {
  if (typeof value !== 'string' || !/^arn:aws:sqs:[\w-]+:\d{12}:[\w-]{1,80}(?:\.fifo)?$/.test(value)) {
    throw new UnclassifiableRequestError('sqs', `${field} ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * A dead-letter queue redrive ("Configuring queue permissions for dead-letter queue redrive"):
 * starting it needs the move-task action and receive, delete and attribute reads on the
 * dead-letter queue, and a send on the destination when one is named. Without one, SQS sends to
 * each message's original source queue, which the request does not name, so that send is not
 * checked here. A cancel names only its task handle, so it stays unclassified (refused).
 */
function moveTask(operation: string, body: Record<string, unknown>): AuthorizationRequest[] {
  const source = queueArnField(body.SourceArn, 'SourceArn');
  if (operation === 'ListMessageMoveTasks') return [{ action: 'sqs:ListMessageMoveTasks', resource: source }];
  const onSource = ['StartMessageMoveTask', 'ReceiveMessage', 'DeleteMessage', 'GetQueueAttributes'].map((name) => ({ action: `sqs:${name}`, resource: source }));
  return body.DestinationArn === undefined ? onSource : [...onSource, { action: 'sqs:SendMessage', resource: queueArnField(body.DestinationArn, 'DestinationArn') }];
}

function sqs(request: HttpRequestView, placement: ServicePlacement): AuthorizationRequest[] {
  const { operation } = jsonOperation('sqs', request, ['AmazonSQS']);
  const body = jsonBody('sqs', request);
  if (operation === 'StartMessageMoveTask' || operation === 'ListMessageMoveTasks') return moveTask(operation, body);
  // The batch operations are authorized as their single forms (there is no sqs:SendMessageBatch action).
  const action = `sqs:${operation.replace(/Batch$/, '')}`;
  if (operation === 'ListQueues') return [{ action, resource: '*' }];
  if (operation === 'GetQueueUrl' || operation === 'CreateQueue') {
    const owner = typeof body.QueueOwnerAWSAccountId === 'string' ? body.QueueOwnerAWSAccountId : placement.account;
    return [{ action, resource: `arn:aws:sqs:${placement.region}:${owner}:${String(body.QueueName)}` }];
  }
  return [{ action, resource: queueArn(body.QueueUrl, placement) }];
}

/** The resource of each SNS action this stack can call, by the query parameter that names it. */
const SNS_RESOURCE_PARAMETERS: Readonly<Record<string, readonly string[]>> = {
  Publish: ['TopicArn', 'TargetArn'],
  CreatePlatformEndpoint: ['PlatformApplicationArn'],
  DeleteEndpoint: ['EndpointArn'],
  GetEndpointAttributes: ['EndpointArn'],
  SetEndpointAttributes: ['EndpointArn'],
  Subscribe: ['TopicArn'],
  GetTopicAttributes: ['TopicArn'],
};

function sns(request: HttpRequestView): AuthorizationRequest[] {
  const params = new URLSearchParams(request.body.toString('utf8'));
  const operation = params.get('Action') ?? '';
  const names = SNS_RESOURCE_PARAMETERS[operation];
  if (names === undefined) throw new UnclassifiableRequestError('sns', `Action ${JSON.stringify(operation)}`);
  const resource = names.map((name) => params.get(name)).find((value) => value !== null && value !== '');
  if (resource == null) throw new UnclassifiableRequestError('sns', `${operation} without ${names.join(' or ')}`);
  return [{ action: `sns:${operation}`, resource }];
}

/**
 * The `@connections` API: `METHOD /{stage}/@connections/{id}` is `execute-api:ManageConnections`
 * on `arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/@connections/{id}` ("Control access to
 * WebSocket APIs with IAM authorization", API Gateway Developer Guide).
 */
function executeApi(request: HttpRequestView, placement: ServicePlacement): AuthorizationRequest[] {
  const pathname = request.path.split('?')[0];
  const match = /^\/([^/]+)\/(?:@|%40)connections\/([^/]+)$/i.exec(pathname);
  if (match === null || placement.apiId === undefined) throw new UnclassifiableRequestError('execute-api', `${request.method} ${pathname}`);
  let connectionId: string;
  try {
    connectionId = decodeURIComponent(match[2]);
  } catch {
    throw new UnclassifiableRequestError('execute-api', `connection id ${match[2]}`);
  }
  const arn = `arn:aws:execute-api:${placement.region}:${placement.account}:${placement.apiId}/${decodeURIComponent(match[1])}/${request.method.toUpperCase()}/@connections/${connectionId}`;
  return [{ action: 'execute-api:ManageConnections', resource: arn }];
}

/** The actions and resources one request needs, each of which IAM must allow. */
export function classifyRequest(service: IamService, request: HttpRequestView, placement: ServicePlacement): AuthorizationRequest[] {
  switch (service) {
    case 'dynamodb':
      return dynamoDb(request, placement);
    case 'sqs':
      return sqs(request, placement);
    case 'sns':
      return sns(request);
    case 'execute-api':
      return executeApi(request, placement);
  }
}
