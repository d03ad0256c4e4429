import { advance, connected, fakeClient, resetSockets } from './fake-socket';

beforeEach(() => {
  jest.useFakeTimers();
  resetSockets();
});
afterEach(() => jest.useRealTimers());

describe('blocks, message requests and group settings', () => {
  it('marks a listed request, and accepting it sends acceptRequest and clears the mark', async () => {
    const client = fakeClient();
    const socket = await connected(client);
    const listed = client.listThreads();
    await advance();
    socket.reply('listThreads', { type: 'threads', threads: [{ threadId: 't1', kind: 'dm', members: ['alice', 'bob'], lastSeq: 1, deliveredSeq: 0, readSeq: 0, request: true }] });
    expect((await listed).threads[0].request).toBe(true);

    const accepted = client.acceptRequest('t1');
    await advance();
    expect(socket.sentOf('acceptRequest')).toEqual([expect.objectContaining({ threadId: 't1' })]);
    socket.reply('acceptRequest', { type: 'requestAccepted', threadId: 't1' });
    expect((await accepted).request).toBe(false);

    const declined = client.declineRequest('t2');
    await advance();
    socket.reply('declineRequest', { type: 'requestDeclined', threadId: 't2' });
    await declined;
    expect(socket.sentOf('declineRequest')).toEqual([expect.objectContaining({ threadId: 't2' })]);
    client.close();
  });

  it('keeps an accepted request accepted when a listing read before the accept answers after it, until the user is added anew', async () => {
    const client = fakeClient();
    const socket = await connected(client);
    const request = { threadId: 'g1', kind: 'group', name: 'Trip', members: ['alice', 'mallory'], lastSeq: 1, deliveredSeq: 0, readSeq: 0, request: true };
    const first = client.listThreads();
    await advance();
    socket.reply('listThreads', { type: 'threads', threads: [request] });
    await first;

    // The server runs frames concurrently: a listing sent before the accept may read the thread before the accept is written.
    const stale = client.listThreads();
    const accepted = client.acceptRequest('g1');
    await advance();
    socket.reply('acceptRequest', { type: 'requestAccepted', threadId: 'g1' });
    await accepted;
    socket.reply('listThreads', { type: 'threads', threads: [request] });
    expect((await stale).threads[0].request).toBe(false);

    // Removed, then added again by a stranger: the thread is a request again.
    socket.receive({ type: 'thread', threadId: 'g1', kind: 'group', name: 'Trip', members: ['mallory'], admins: ['mallory'] });
    socket.receive({ type: 'thread', threadId: 'g1', kind: 'group', name: 'Trip', members: ['alice', 'mallory'], admins: ['mallory'] });
    await advance();
    const fresh = client.listThreads();
    await advance();
    socket.reply('listThreads', { type: 'threads', threads: [request] });
    expect((await fresh).threads[0].request).toBe(true);
    client.close();
  });

  it('blocks, unblocks and lists blocks page by page', async () => {
    const client = fakeClient();
    const socket = await connected(client);
    const blocked = client.block('mallory');
    await advance();
    expect(socket.sentOf('blockUser')).toEqual([expect.objectContaining({ userId: 'mallory' })]);
    socket.reply('blockUser', { type: 'blocked', userId: 'mallory' });
    await blocked;

    const page = client.listBlocks();
    await advance();
    socket.reply('listBlocks', { type: 'blocks', userIds: ['mallory'], cursor: 'next' });
    expect(await page).toEqual({ userIds: ['mallory'], cursor: 'next' });

    const unblocked = client.unblock('mallory');
    await advance();
    expect(socket.sentOf('unblockUser')).toEqual([expect.objectContaining({ userId: 'mallory' })]);
    socket.reply('unblockUser', { type: 'unblocked', userId: 'mallory' });
    await unblocked;
    client.close();
  });

  it('creates a group with a history setting, changes it, and keeps what the thread frame says', async () => {
    const client = fakeClient();
    const socket = await connected(client);
    const created = client.createGroup('Trip', ['bob'], { historyForNewMembers: 'sinceJoined' });
    await advance();
    expect(socket.sentOf('createGroup')).toEqual([expect.objectContaining({ name: 'Trip', members: ['bob'], historyForNewMembers: 'sinceJoined' })]);
    const view = { type: 'thread', threadId: 'g1', kind: 'group', name: 'Trip', members: ['alice', 'bob'], admins: ['alice'] };
    socket.reply('createGroup', { ...view, historyForNewMembers: 'sinceJoined' });
    expect((await created).historyForNewMembers).toBe('sinceJoined');

    const updated = client.updateGroup('g1', { historyForNewMembers: 'all' });
    await advance();
    expect(socket.sentOf('updateGroup')).toEqual([expect.objectContaining({ threadId: 'g1', historyForNewMembers: 'all' })]);
    socket.reply('updateGroup', { ...view, historyForNewMembers: 'all' });
    expect((await updated).historyForNewMembers).toBe('all');
    client.close();
  });
});
