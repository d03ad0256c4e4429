import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inPool } from '../domain/pool';

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
 * BatchGetItem requests in flight at once for one read: a 1024-member group's 11 all together, so
 * that its delivery waits on the slowest batch rather than on their sum; a larger read (presence's
 * candidates may be more) a few at a time rather than all at once.
 */
const BATCHES_IN_FLIGHT = 16;

/** Every item of `keys` in one table that exists, read 100 keys a batch, up to 16 batches at once. */
export async function batchGetAll(
  client: DynamoDBDocumentClient,
  table: string,
  keys: readonly Record<string, unknown>[],
  options: { ConsistentRead?: boolean; ProjectionExpression?: string } = {},
): Promise<Record<string, unknown>[]> {
  const chunks: Array<Record<string, unknown>[]> = [];
  for (let start = 0; start < keys.length; start += BATCH_GET_SIZE) chunks.push(keys.slice(start, start + BATCH_GET_SIZE));
  const items: Record<string, unknown>[] = [];
  await inPool(chunks, BATCHES_IN_FLIGHT, async (chunk) => {
    items.push(...(await batchGet(client, { [table]: { Keys: chunk, ...options } })));
  });
  return items;
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
