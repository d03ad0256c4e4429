import type { MessengerClient, Thread } from '../../../client/src';
import type { Consent } from '../../../web/src/consent';
import { ThreadDirectory } from '../../../web/src/thread-directory';

/** A client whose listThreads calls wait until the test answers them, in order. */
function pendingListings() {
  const answers: Array<(page: { threads: Thread[] }) => void> = [];
  const client = {
    listThreads: jest.fn(() => new Promise<{ threads: Thread[] }>((resolve) => answers.push(resolve))),
    threads: () => [],
  };
  return { client: client as unknown as MessengerClient, listThreads: client.listThreads, answer: (index: number) => answers[index]({ threads: [] }) };
}

const notDeclined = { isDeclined: () => false } as unknown as Consent;
const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('the web messenger’s thread directory', () => {
  it('lists again after a listing that was on its way when a thread was heard of: that listing may have been read before it', async () => {
    const { client, listThreads, answer } = pendingListings();
    const directory = new ThreadDirectory(client, 'alice', notDeclined, () => undefined, () => undefined);
    const first = directory.listAll();
    await settled();
    // The outbox's message creates a thread while the page's first listing is on its way.
    const second = directory.listAll();
    const third = directory.listAll();
    expect(listThreads).toHaveBeenCalledTimes(1);

    answer(0);
    await first;
    await settled();
    expect(listThreads).toHaveBeenCalledTimes(2);
    answer(1);
    await Promise.all([second, third]);
    expect(listThreads).toHaveBeenCalledTimes(2);
    directory.close();
  });
});
