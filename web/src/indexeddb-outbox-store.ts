import type { OutboxEntry, OutboxStore } from '@messenger/client';

const DATABASE = 'messenger';
const STORE = 'outbox';

interface StoredEntry extends OutboxEntry {
  /** Whose outbox: one user on one device (a browser tab), since each tab sends as its own device. */
  readonly owner: string;
}

function promised<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
  });
}

function openDatabase(): Promise<IDBDatabase> {
  const request = indexedDB.open(DATABASE, 1);
  request.onupgradeneeded = () => {
    const store = request.result.createObjectStore(STORE, { keyPath: ['owner', 'clientMsgId'] });
    store.createIndex('owner', 'owner');
  };
  return promised(request);
}

/**
 * The SDK's outbox kept in IndexedDB, so that messages written offline are still sent after the
 * page is reloaded. Each tab keeps its own entries (by user and device id), so that two tabs of one
 * user never send each other's.
 */
export class IndexedDbOutboxStore implements OutboxStore {
  private readonly database = openDatabase();

  constructor(private readonly owner: string) {}

  async load(): Promise<OutboxEntry[]> {
    const store = await this.store('readonly');
    const stored = (await promised(store.index('owner').getAll(this.owner))) as StoredEntry[];
    return stored.map(({ owner: _owner, ...entry }) => entry);
  }

  async put(entry: OutboxEntry): Promise<void> {
    await this.done((store) => store.put({ ...entry, owner: this.owner } satisfies StoredEntry));
  }

  async delete(clientMsgId: string): Promise<void> {
    await this.done((store) => store.delete([this.owner, clientMsgId]));
  }

  private async store(mode: IDBTransactionMode): Promise<IDBObjectStore> {
    return (await this.database).transaction(STORE, mode).objectStore(STORE);
  }

  /** Runs a write and resolves once its transaction has committed. */
  private async done(write: (store: IDBObjectStore) => void): Promise<void> {
    const transaction = (await this.database).transaction(STORE, 'readwrite');
    write(transaction.objectStore(STORE));
    await new Promise<void>((resolve, reject) => {
      transaction.oncomplete = () => resolve();
      transaction.onerror = () => reject(transaction.error ?? new Error('IndexedDB write failed'));
      transaction.onabort = () => reject(transaction.error ?? new Error('IndexedDB write aborted'));
    });
  }
}
