import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Most items one BatchWriteItem takes. */
export const BATCH_WRITE_SIZE = 25;

const backoff = (attempt: number) => new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));

/** Most keys one BatchGetItem takes. */
const BATCH_GET_SIZE = 100;

/** A batch read of at most 100 keys, with the unprocessed keys retried until none are left. */
export async function batchGet(
  client: DynamoDBDocumentClient,
  request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead?: boolean; ProjectionExpression?: string }>,
): Promise<Record<string, unknown>[]> {
  let pending: typeof request | undefined = request;
  const items: Record<string, unknown>[] = [];
  for (let attempt = 0; pending && Object.keys(pending).length > 0; attempt++) {
    if (attempt > 0) await backoff(attempt);
    const result = await client.send(new BatchGetCommand({ RequestItems: pending }));
    for (const tableItems of Object.values(result.Responses ?? {})) items.push(...tableItems);
    pending = result.UnprocessedKeys as typeof pending;
  }
  return items;
}

/**
 * Every item of `keys` in one table that exists, read 100 keys a batch, all batches at once: the
 * callers' keys are at most a group's members (1024: 11 batches), and a large group's delivery
 * waits on the slowest batch rather than on their sum.
 */
export async function batchGetAll(
  client: DynamoDBDocumentClient,
  table: string,
  keys: readonly Record<string, unknown>[],
  options: { ConsistentRead?: boolean; ProjectionExpression?: string } = {},
): Promise<Record<string, unknown>[]> {
  const batches: Array<Promise<Record<string, unknown>[]>> = [];
  for (let start = 0; start < keys.length; start += BATCH_GET_SIZE) {
    batches.push(batchGet(client, { [table]: { Keys: keys.slice(start, start + BATCH_GET_SIZE), ...options } }));
  }
  return (await Promise.all(batches)).flat();
}

/** One put or delete of a batch write. */
export interface BatchWriteRequest {
  readonly table: string;
  readonly put?: Record<string, unknown>;
  readonly deleteKey?: Record<string, unknown>;
}

/** A batch write of puts and deletes, in chunks of 25, with unprocessed items retried. */
export async function batchWrite(client: DynamoDBDocumentClient, requests: readonly BatchWriteRequest[]): Promise<void> {
  for (let start = 0; start < requests.length; start += BATCH_WRITE_SIZE) {
    let pending: Record<string, Array<Record<string, unknown>>> | undefined = {};
    for (const request of requests.slice(start, start + BATCH_WRITE_SIZE)) {
      (pending[request.table] ??= []).push(request.put ? { PutRequest: { Item: request.put } } : { DeleteRequest: { Key: request.deleteKey } });
    }
    for (let attempt = 0; pending && Object.keys(pending).length > 0; attempt++) {
      if (attempt > 0) await backoff(attempt);
      const result = await client.send(new BatchWriteCommand({ RequestItems: pending as never }));
      pending = result.UnprocessedItems as typeof pending;
    }
  }
}
