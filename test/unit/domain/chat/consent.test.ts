import { acceptRequest, blockUser, declineRequest, listBlocks, unblockUser } from '../../../../lambdas/domain/chat/consent';
import { getMessages } from '../../../../lambdas/domain/chat/get-messages';
import { addMembers, createGroup, updateGroup } from '../../../../lambdas/domain/chat/groups';
import { listThreads } from '../../../../lambdas/domain/chat/list-threads';
import { sendMessage } from '../../../../lambdas/domain/chat/send-message';
import { directThreadId } from '../../../../lambdas/domain/chat/threads';
import { signalTyping } from '../../../../lambdas/domain/typing';
import type { StoredMessage } from '../../../../lambdas/domain/messages';
import {
  InMemoryConnections,
  InMemoryHistory,
  InMemoryPurse,
  InMemoryThreadStore,
  RecordingNotifier,
  RecordingPushRequester,
  RecordingSendObserver,
} from '../../../support/in-memory-chat';
import { InMemoryStagedMessages } from '../../../support/in-memory-outbox';

/** Alice and bob online (one connection each), carol and dave offline. */
function setup() {
  const threads = new InMemoryThreadStore();
  const notifier = new RecordingNotifier();
  const push = new RecordingPushRequester();
  const connections = new InMemoryConnections([
    { userId: 'alice', connectionId: 'alice-1' },
    { userId: 'bob', connectionId: 'bob-1' },
  ]);
  const ports = { threads, pairs: threads.pairs, connections, notifier, purse: new InMemoryPurse() };
  let clock = 1_000;
  const send = (senderId: string, target: { to: string } | { threadId: string }, clientMsgId = `c${clock}`) =>
    sendMessage({
      senderId,
      clientMsgId,
      text: 'hi',
      ...target,
      fromConnectionId: `${senderId}-1`,
      ...ports,
      staged: new InMemoryStagedMessages(threads),
      clock: () => ++clock,
      push,
      observer: new RecordingSendObserver(),
    });
  const framesTo = (connectionId: string) => notifier.posts.filter((post) => post.connectionId === connectionId).map((post) => post.frame as { type: string });
  const listed = async (userId: string) => (await listThreads({ purse: new InMemoryPurse(), userId, threads })).threads;
  return { threads, notifier, push, ports, send, framesTo, listed };
}

describe('message requests', () => {
  it('delivers a first message from a stranger live and pushes it as a request (the push function applies the setting), lists it as a request, and a reply accepts it', async () => {
    const { send, push, framesTo, listed } = setup();
    const sent = await send('alice', { to: 'carol' });
    expect(push.requests).toEqual([expect.objectContaining({ recipients: [], requestRecipients: ['carol'] })]);
    push.requests.length = 0;
    expect(await listed('carol')).toEqual([expect.objectContaining({ threadId: sent.threadId, request: true })]);
    expect((await listed('alice'))[0].request).toBeUndefined();

    await send('carol', { threadId: sent.threadId });
    expect((await listed('carol'))[0].request).toBeUndefined();
    // Accepted: alice, offline now as far as push goes, is pushed for carol's reply; carol for alice's next.
    await send('alice', { threadId: sent.threadId });
    expect(push.requests.map((request) => request.recipients)).toEqual([['carol']]);
    expect(framesTo('bob-1')).toEqual([]);
  });

  it('makes an add by someone the user does not accept a request, and one by someone they do not', async () => {
    const { threads, ports, listed } = setup();
    threads.pairs.accept('bob', 'alice');
    const group = await createGroup({ creatorId: 'alice', name: 'Team', members: ['bob', 'carol'], maxMembers: 1024, now: 1, fromConnectionId: 'alice-1', ...ports });
    expect((await listed('carol'))[0]).toMatchObject({ threadId: group.threadId, request: true });
    expect((await listed('bob'))[0].request).toBeUndefined();

    expect(await acceptRequest({ userId: 'carol', threadId: group.threadId, threads })).toEqual({ type: 'requestAccepted', threadId: group.threadId });
    expect((await listed('carol'))[0].request).toBeUndefined();
    // Carol now accepts alice: alice's next group is no request for her.
    const next = await createGroup({ creatorId: 'alice', name: 'Two', members: ['carol'], maxMembers: 1024, now: 2, fromConnectionId: 'alice-1', ...ports });
    expect((await threads.membership(next.threadId, 'carol'))?.consent).toBeUndefined();
  });

  it('declines a one-to-one request: off the list, nothing more reaches the decliner, the sender is told nothing', async () => {
    const { send, threads, ports, framesTo, listed } = setup();
    const sent = await send('alice', { to: 'bob' });
    expect(await declineRequest({ userId: 'bob', threadId: sent.threadId, fromConnectionId: 'bob-1', ...ports })).toEqual({ type: 'requestDeclined', threadId: sent.threadId });
    expect(await listed('bob')).toEqual([]);
    const before = framesTo('bob-1').length;
    await expect(send('alice', { threadId: sent.threadId })).resolves.toMatchObject({ seq: 2 });
    expect(framesTo('bob-1')).toHaveLength(before);
    await expect(declineRequest({ userId: 'alice', threadId: sent.threadId, fromConnectionId: 'alice-1', ...ports })).rejects.toMatchObject({ code: 'bad_request' });
    expect((await threads.membership(sent.threadId, 'bob'))?.consent).toBe('declined');
  });

  it('declines a group request by leaving the group', async () => {
    const { threads, ports } = setup();
    const group = await createGroup({ creatorId: 'alice', name: 'Spam', members: ['bob'], maxMembers: 1024, now: 1, fromConnectionId: 'alice-1', ...ports });
    await declineRequest({ userId: 'bob', threadId: group.threadId, fromConnectionId: 'bob-1', ...ports });
    expect(await threads.membersOf(group.threadId)).toEqual(['alice']);
  });
});

describe('blocking', () => {
  it('refuses one-to-one messages either way, with Messenger’s "unavailable" to the blocked one, until unblocked', async () => {
    const { send, threads } = setup();
    const first = await send('alice', { to: 'bob' });
    expect(await blockUser({ blockerId: 'bob', userId: 'alice', now: 1, pairs: threads.pairs })).toEqual({ type: 'blocked', userId: 'alice' });
    await expect(send('alice', { threadId: first.threadId })).rejects.toMatchObject({ code: 'forbidden', message: 'this person is unavailable right now' });
    await expect(send('alice', { to: 'bob' })).rejects.toMatchObject({ code: 'forbidden', message: 'this person is unavailable right now' });
    await expect(send('bob', { to: 'alice' })).rejects.toMatchObject({ code: 'forbidden', message: /you have blocked this person/ });
    expect(await listBlocks({ ownerId: 'bob', pairs: threads.pairs })).toEqual({ type: 'blocks', userIds: ['alice'] });
    await unblockUser({ blockerId: 'bob', userId: 'alice', pairs: threads.pairs });
    await expect(send('alice', { to: 'bob' })).resolves.toMatchObject({ threadId: directThreadId('alice', 'bob'), seq: 2 });
  });

  it('leaves out of a group anyone with a block between them and the adder, and hides typing either way', async () => {
    const { threads, ports, notifier } = setup();
    await blockUser({ blockerId: 'bob', userId: 'alice', now: 1, pairs: threads.pairs });
    const group = await createGroup({ creatorId: 'alice', name: 'Team', members: ['bob', 'carol'], maxMembers: 1024, now: 1, fromConnectionId: 'alice-1', ...ports });
    expect(group.members).toEqual(['alice', 'carol']);
    const added = await addMembers({ callerId: 'alice', threadId: group.threadId, userIds: ['bob'], maxMembers: 1024, now: 2, fromConnectionId: 'alice-1', ...ports });
    expect(added.members).toEqual(['alice', 'carol']);

    // In a group both are in (carol added bob), neither sees the other type.
    threads.pairs.accept('bob', 'carol');
    const shared = await createGroup({ creatorId: 'carol', name: 'Both', members: ['alice', 'bob'], maxMembers: 1024, now: 3, fromConnectionId: 'carol-1', ...ports });
    const gate = { peek: async () => 'admitted' as const, admit: async () => 'admitted' as const };
    const typing = (userId: string) => signalTyping({ threadId: shared.threadId, userId, state: 'start', now: 4, fromConnectionId: `${userId}-1`, gate, blocks: threads.pairs, ...ports });
    notifier.attempts.length = 0;
    await typing('alice');
    await typing('bob');
    expect(notifier.attempts).toEqual([]);
    await unblockUser({ blockerId: 'bob', userId: 'alice', pairs: threads.pairs });
    await typing('alice');
    expect(notifier.posts.map((post) => post.connectionId)).toEqual(['bob-1']);
  });

  it('refuses blocking yourself', async () => {
    const { threads } = setup();
    await expect(blockUser({ blockerId: 'bob', userId: 'bob', now: 1, pairs: threads.pairs })).rejects.toMatchObject({ code: 'bad_request' });
  });
});

describe('group history for new members', () => {
  const message = (threadId: string, seq: number): StoredMessage => ({ threadId, seq, messageId: `m${seq}`, senderId: 'alice', clientMsgId: `c${seq}`, text: `t${seq}`, sentAt: seq });

  it('shows a member added later everything by default, and only what follows their join under sinceJoined', async () => {
    const { threads, ports } = setup();
    for (const user of ['bob', 'carol']) threads.pairs.accept(user, 'alice');
    const group = await createGroup({ creatorId: 'alice', name: 'Team', members: ['bob'], maxMembers: 1024, now: 1, fromConnectionId: 'alice-1', ...ports });
    expect(group.historyForNewMembers).toBe('all');
    threads.headsById.set(group.threadId, { ...threads.headsById.get(group.threadId)!, lastSeq: 3 });
    const history = new InMemoryHistory([1, 2, 3, 4].map((seq) => message(group.threadId, seq)));
    await addMembers({ callerId: 'alice', threadId: group.threadId, userIds: ['carol'], maxMembers: 1024, now: 2, fromConnectionId: 'alice-1', ...ports });
    threads.headsById.set(group.threadId, { ...threads.headsById.get(group.threadId)!, lastSeq: 4 });
    const page = (userId: string, range: { afterSeq?: number; beforeSeq?: number } = {}) => getMessages({ purse: new InMemoryPurse(), userId, threadId: group.threadId, limit: 50, ...range, threads, history });

    expect((await page('carol')).messages.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    await expect(updateGroup({ callerId: 'bob', threadId: group.threadId, historyForNewMembers: 'sinceJoined', fromConnectionId: 'bob-1', ...ports })).rejects.toMatchObject({ code: 'forbidden' });
    expect(await updateGroup({ callerId: 'alice', threadId: group.threadId, historyForNewMembers: 'sinceJoined', fromConnectionId: 'alice-1', ...ports })).toMatchObject({ historyForNewMembers: 'sinceJoined' });
    expect(await page('carol')).toEqual({ messages: [message(group.threadId, 4)], hasMore: false });
    expect((await page('carol', { afterSeq: 0 })).messages.map((m) => m.seq)).toEqual([4]);
    expect(await page('carol', { beforeSeq: 4 })).toEqual({ messages: [], hasMore: false });
    expect((await page('bob')).messages.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
  });
});
