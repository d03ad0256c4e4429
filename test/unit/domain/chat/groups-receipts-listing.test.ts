import { addMembers, createGroup, removeMember } from '../../../../lambdas/domain/chat/groups';
import { listThreads, THREADS_PAGE_SIZE } from '../../../../lambdas/domain/chat/list-threads';
import { recordReceipt } from '../../../../lambdas/domain/chat/receipts';
import { InMemoryThreadStore } from '../../../support/in-memory-chat';

describe('groups', () => {
  it('makes the creator the first admin and every invited user a member, once each', async () => {
    const threads = new InMemoryThreadStore();
    const change = await createGroup(threads, 'alice', 'Trip', ['bob', 'carol', 'bob', 'alice'], 1024, 1);
    expect(change.view).toMatchObject({ kind: 'group', name: 'Trip', members: ['alice', 'bob', 'carol'], admins: ['alice'] });
    expect(change.notify).toEqual(['alice', 'bob', 'carol']);
    expect(await threads.membersOf(change.view.threadId)).toEqual(['alice', 'bob', 'carol']);
  });

  it('keeps groups within the member limit', async () => {
    const threads = new InMemoryThreadStore();
    await expect(createGroup(threads, 'alice', 'Big', ['b', 'c', 'd'], 3, 1)).rejects.toMatchObject({ code: 'bad_request', message: /at most 3/ });
    const { view } = await createGroup(threads, 'alice', 'Small', ['b'], 3, 1);
    await expect(addMembers(threads, 'alice', view.threadId, ['c', 'd'], 3, 2)).rejects.toMatchObject({ code: 'bad_request' });
    expect(await threads.membersOf(view.threadId)).toEqual(['alice', 'b']);
  });

  it('lets only admins add or remove others, and anyone leave', async () => {
    const threads = new InMemoryThreadStore();
    const { view } = await createGroup(threads, 'alice', 'Team', ['bob', 'carol'], 1024, 1);
    await expect(addMembers(threads, 'bob', view.threadId, ['dave'], 1024, 2)).rejects.toMatchObject({ code: 'forbidden' });
    await expect(removeMember(threads, 'bob', view.threadId, 'carol')).rejects.toMatchObject({ code: 'forbidden' });
    await expect(addMembers(threads, 'mallory', view.threadId, ['x'], 1024, 2)).rejects.toMatchObject({ code: 'forbidden' });
    const left = await removeMember(threads, 'bob', view.threadId, 'bob');
    expect(left.view.members).toEqual(['alice', 'carol']);
    expect(left.notify).toEqual(['alice', 'carol', 'bob']);
  });

  it('hands the admin role on when the last admin leaves', async () => {
    const threads = new InMemoryThreadStore();
    const { view } = await createGroup(threads, 'alice', 'Team', ['bob', 'carol'], 1024, 1);
    const change = await removeMember(threads, 'alice', view.threadId, 'alice');
    expect(change.view.admins).toEqual(['bob']);
    await expect(addMembers(threads, 'bob', view.threadId, ['dave'], 1024, 2)).resolves.toBeDefined();
  });

  it('refuses membership changes to one-to-one threads', async () => {
    const threads = new InMemoryThreadStore();
    threads.addThread('dm1', 'dm', ['alice', 'bob']);
    await expect(addMembers(threads, 'alice', 'dm1', ['carol'], 1024, 1)).rejects.toMatchObject({ code: 'bad_request' });
    await expect(removeMember(threads, 'alice', 'dm1', 'bob')).rejects.toMatchObject({ code: 'bad_request' });
  });
});

describe('receipts', () => {
  it('move only forward, read implying delivered, and say when they moved', async () => {
    const threads = new InMemoryThreadStore();
    threads.addThread('t1', 'dm', ['alice', 'bob'], 10);
    expect(await recordReceipt(threads, { userId: 'bob', threadId: 't1', seq: 5, status: 'delivered' })).toEqual({
      threadId: 't1',
      userId: 'bob',
      seq: 5,
      status: 'delivered',
    });
    expect(await recordReceipt(threads, { userId: 'bob', threadId: 't1', seq: 4, status: 'delivered' })).toBeUndefined();
    expect(await recordReceipt(threads, { userId: 'bob', threadId: 't1', seq: 8, status: 'read' })).toMatchObject({ seq: 8, status: 'read' });
    expect((await threads.recentThreadsOf('bob', 10)).threads[0]).toMatchObject({ deliveredSeq: 8, readSeq: 8 });
  });

  it('refuses a seq beyond the last message and callers outside the thread', async () => {
    const threads = new InMemoryThreadStore();
    threads.addThread('t1', 'dm', ['alice', 'bob'], 3);
    await expect(recordReceipt(threads, { userId: 'bob', threadId: 't1', seq: 4, status: 'read' })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(recordReceipt(threads, { userId: 'eve', threadId: 't1', seq: 1, status: 'read' })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(recordReceipt(threads, { userId: 'bob', threadId: 'nope', seq: 1, status: 'read' })).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('listThreads', () => {
  it('orders by latest activity and pages with a cursor that survives reordering', async () => {
    const threads = new InMemoryThreadStore();
    const count = THREADS_PAGE_SIZE + 3;
    for (let i = 0; i < count; i++) {
      threads.addThread(`t${i}`, 'dm', ['alice', `peer${i}`], i);
      await threads.advanceActivity(`t${i}`, ['alice'], i + 1, 1000 + i);
    }
    const first = await listThreads(threads, 'alice');
    expect(first.threads.map((thread) => thread.threadId).slice(0, 3)).toEqual([`t${count - 1}`, `t${count - 2}`, `t${count - 3}`]);
    expect(first.threads).toHaveLength(THREADS_PAGE_SIZE);
    const second = await listThreads(threads, 'alice', first.cursor);
    expect(second.threads.map((thread) => thread.threadId)).toEqual(['t2', 't1', 't0']);
    expect(second.cursor).toBeUndefined();
    expect(second.threads[0]).toMatchObject({ kind: 'dm', members: ['alice', 'peer2'], lastSeq: 3, deliveredSeq: 0, readSeq: 0 });
  });

  it('refuses a cursor it did not give out', async () => {
    await expect(listThreads(new InMemoryThreadStore(), 'alice', 'not-a-cursor')).rejects.toMatchObject({ code: 'bad_request' });
  });
});
