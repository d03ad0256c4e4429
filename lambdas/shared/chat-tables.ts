import type { ChatTables } from '../adapters/dynamodb-thread-store';
import { env } from './config';

/** The chat store's table names, as `ChatStore.environment` (lib/constructs/chat-store.ts) sets them. */
export const chatTablesEnvironment = {
  THREADS_TABLE: env.name(),
  USER_THREADS_TABLE: env.name(),
  SEND_RECORDS_TABLE: env.name(),
  BLOCKS_TABLE: env.name(),
};

/** The thread store's tables, from a config loaded with `chatTablesEnvironment`. */
export function chatTablesOf(config: { THREADS_TABLE: string; USER_THREADS_TABLE: string; SEND_RECORDS_TABLE: string; BLOCKS_TABLE: string }): ChatTables {
  return { threads: config.THREADS_TABLE, userThreads: config.USER_THREADS_TABLE, sendRecords: config.SEND_RECORDS_TABLE, blocks: config.BLOCKS_TABLE };
}
