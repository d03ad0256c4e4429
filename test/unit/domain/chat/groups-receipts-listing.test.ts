import { addMembers, createGroup, removeMember } from '../../../../lambdas/domain/chat/groups';
import { listThreads, THREADS_PAGE_SIZE } from '../../../../lambdas/domain/chat/list-threads';
import { recordReceipt } from '../../../../lambdas/domain/chat/receipts';
import { InMemoryConnections, InMemoryPurse, InMemoryThreadStore, RecordingNotifier } from '../../../support/in-memory-chat';

/** Alice acts from alice-1 and also has alice-2 open; bob and carol have one connection each; dave none. */
function setup() {
  const threads = new InMemoryThreadStore();
  // Everyone here accepts everyone: these groups hold no requests (consent.test.ts covers those).
  for (const user of ['alice', 'bob', 'carol', 'dave']) for (const other of ['alice', 'bob', 'carol', 'dave']) if (user !== other) threads.pairs.accept(user, other);
  const notifier = new RecordingNotifier();
  const connections = new InMemoryConnections([
    { userId: 'alice', connectionId: 'alice-1' },
    { userId: 'alice', connectionId: 'alice-2' },
    { userId: 'bob', connectionId: 'bob-1' },
    { userId: 'carol', connectionId: 'carol-1' },
  ]);
  const ports = { threads, pairs: threads.pairs, connections, notifier, fromConnectionId: 'alice-1', purse: new InMemoryPurse() };
  const group = (members = ['bob', 'carol'], maxMembers = 1024) => createGroup({ creatorId: 'alice', name: 'Team', members, maxMembers, now: 1, ...ports });
  const recipients = () => notifier.posts.map((post) => post.connectionId).sort();
  return { threads, notifier, ports, group, recipients };
}

describe('groups', () => {
  it('makes the creator the first admin and every invited user a member, once each, and announces the group', async () => {
    const { threads, notifier, ports, recipients } = setup();
    const create = jest.spyOn(threads, 'createGroup');

    const frame = await createGroup({ creatorId: 'alice', name: 'Trip', members: ['bob', 'carol', 'bob', 'alice'], maxMembers: 1024, now: 7, ...ports });

    expect(frame).toMatchObject({ type: 'thread', kind: 'group', name: 'Trip', members: ['alice', 'bob', 'carol'], admins: ['alice'] });
    // What the store is asked to write: the creator apart, each invited user once.
    expect(create).toHaveBeenCalledWith(expect.objectContaining({ threadId: frame.threadId, kind: 'group', name: 'Trip', lastSeq: 0 }), 'alice', ['bob', 'carol'], 7, {
      requests: [],
      requestedBy: 'alice',
      joinedSeq: 0,
    });
    // Everyone's connections but the one that asked, which gets the frame as its reply.
    expect(recipients()).toEqual(['alice-2', 'bob-1', 'carol-1']);
    expect(notifier.posts.every((post) => post.frame === notifier.posts[0].frame)).toBe(true);
    expect(notifier.posts[0].frame).toEqual(frame);
  });

  it('keeps groups within the member limit, writing nothing beyond it', async () => {
    const { threads, ports, group } = setup();
    await expect(group(['b', 'c', 'd'], 3)).rejects.toMatchObject({ code: 'bad_request', message: /at most 3/ });
    const { threadId } = await group(['b'], 3);
    const add = jest.spyOn(threads, 'addMembers');
    await expect(addMembers({ callerId: 'alice', threadId, userIds: ['c', 'd'], maxMembers: 3, now: 2, ...ports })).rejects.toMatchObject({
      code: 'bad_request',
    });
    expect(add).not.toHaveBeenCalled();
  });

  it('adds only the users not in the group yet, and tells the whole group', async () => {
    const { threads, ports, group, notifier, recipients } = setup();
    const { threadId } = await group(['bob']);
    notifier.attempts.length = 0;
    const add = jest.spyOn(threads, 'addMembers');

    const frame = await addMembers({ callerId: 'alice', threadId, userIds: ['carol', 'bob', 'carol'], maxMembers: 1024, now: 9, ...ports });

    expect(add).toHaveBeenCalledWith(threadId, ['carol'], 1024, 9, { requests: [], requestedBy: 'alice', joinedSeq: 0 });
    expect(frame).toMatchObject({ members: ['alice', 'bob', 'carol'], admins: ['alice'] });
    expect(recipients()).toEqual(['alice-2', 'bob-1', 'carol-1']);
  });

  it('lets only admins add or remove others, and anyone leave; the one who left hears of it once more', async () => {
    const { ports, group, notifier, recipients } = setup();
    const { threadId } = await group();
    const as = (callerId: string) => ({ ...ports, fromConnectionId: `${callerId}-1` });
    await expect(addMembers({ callerId: 'bob', threadId, userIds: ['dave'], maxMembers: 1024, now: 2, ...as('bob') })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(removeMember({ callerId: 'bob', threadId, userId: 'carol', ...as('bob') })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(addMembers({ callerId: 'mallory', threadId, userIds: ['x'], maxMembers: 1024, now: 2, ...as('mallory') })).rejects.toMatchObject({ code: 'forbidden' });
    notifier.attempts.length = 0;

    const left = await removeMember({ callerId: 'bob', threadId, userId: 'bob', ...as('bob') });

    expect(left.members).toEqual(['alice', 'carol']);
    expect(recipients()).toEqual(['alice-1', 'alice-2', 'carol-1']);
    expect(await ports.threads.membership(threadId, 'bob')).toBeUndefined();
  });

  it('tells a removed member once, beside the members who stay', async () => {
    const { ports, group, notifier, recipients } = setup();
    const { threadId } = await group();
    notifier.attempts.length = 0;
    await removeMember({ callerId: 'alice', threadId, userId: 'carol', ...ports });
    expect(recipients()).toEqual(['alice-2', 'bob-1', 'carol-1']);
  });

  it('hands the admin role on when the last admin leaves, in the same write as the leave', async () => {
    const { threads, ports, group } = setup();
    const { threadId } = await group();
    const remove = jest.spyOn(threads, 'removeMember');
    const frame = await removeMember({ callerId: 'alice', threadId, userId: 'alice', ...ports });
    expect(frame.admins).toEqual(['bob']);
    expect(remove).toHaveBeenCalledTimes(1);
    expect(remove).toHaveBeenCalledWith(threadId, { userId: 'alice', role: 'admin', successor: 'bob' });
    expect(await threads.membersWithRoles(threadId)).toEqual([
      { userId: 'bob', role: 'admin' },
      { userId: 'carol', role: 'member' },
    ]);
  });

  it('leaves an admin when two admins leave at once: the removal planned on stale roles is planned again', async () => {
    const { threads, ports, group } = setup();
    const { threadId } = await group();
    // Bob is an admin too (a successor of earlier days): each of the two sees the other stay.
    await threads.removeMember(threadId, { userId: 'bob', role: 'member' });
    await threads.addMembers(threadId, ['bob'], 1024, 2);
    threads.roles.set(`${threadId}/bob`, 'admin');
    const remove = jest.spyOn(threads, 'removeMember');

    const [aliceLeft, bobLeft] = await Promise.all([
      removeMember({ callerId: 'alice', threadId, userId: 'alice', ...ports }),
      removeMember({ callerId: 'bob', threadId, userId: 'bob', ...ports, fromConnectionId: 'bob-1' }),
    ]);

    expect(await threads.membersWithRoles(threadId)).toEqual([{ userId: 'carol', role: 'admin' }]);
    expect(remove).toHaveBeenCalledTimes(3);
    expect([aliceLeft.admins, bobLeft.admins]).toContainEqual(['carol']);
  });

  it('answers rate_limited, having written nothing, when the group keeps changing under a removal', async () => {
    const { threads, ports, group } = setup();
    const { threadId } = await group();
    jest.spyOn(threads, 'removeMember').mockResolvedValue('changed');
    await expect(removeMember({ callerId: 'alice', threadId, userId: 'carol', ...ports })).rejects.toMatchObject({ code: 'rate_limited' });
    expect(await threads.membersOf(threadId)).toEqual(['alice', 'bob', 'carol']);
  });

  it('keeps the cap when adds race: the store refuses what no longer fits, and the caller hears it', async () => {
    const { threads, ports, group } = setup();
    const { threadId } = await group(['bob'], 3);
    const adds = await Promise.allSettled(
      ['carol', 'dave', 'erin'].map((userId) => addMembers({ callerId: 'alice', threadId, userIds: [userId], maxMembers: 3, now: 2, ...ports })),
    );
    expect(adds.map((add) => add.status).sort()).toEqual(['fulfilled', 'rejected', 'rejected']);
    for (const add of adds) if (add.status === 'rejected') expect(add.reason).toMatchObject({ code: 'bad_request', message: /at most 3/ });
    expect(await threads.membersOf(threadId)).toHaveLength(3);
  });

  it('tells the group of those a large add took in before it filled up, and the caller that it filled up', async () => {
    const { threads, ports, group, notifier, recipients } = setup();
    const { threadId } = await group(['bob']);
    jest.spyOn(threads, 'addMembers').mockResolvedValue({ added: ['carol'], refused: ['dave'] });
    notifier.attempts.length = 0;

    await expect(addMembers({ callerId: 'alice', threadId, userIds: ['carol', 'dave'], maxMembers: 1024, now: 2, ...ports })).rejects.toMatchObject({
      code: 'bad_request',
      message: 'userIds: a group holds at most 1024 members; 1 of them were added before it filled up',
    });
    expect(recipients()).toEqual(['alice-2', 'bob-1', 'carol-1']);
    expect(notifier.posts[0].frame).toMatchObject({ type: 'thread', members: ['alice', 'bob', 'carol'] });
  });

  it('answers rate_limited, after telling the group of those it took in, when concurrent changes keep an add from settling', async () => {
    const { threads, ports, group, notifier, recipients } = setup();
    const { threadId } = await group(['bob']);
    jest.spyOn(threads, 'addMembers').mockResolvedValue({ added: ['carol'], refused: [], unsettled: ['dave'] });
    notifier.attempts.length = 0;

    await expect(addMembers({ callerId: 'alice', threadId, userIds: ['carol', 'dave'], maxMembers: 1024, now: 2, ...ports })).rejects.toMatchObject({
      code: 'rate_limited',
      message: 'this group is changing too fast right now; retry the add; 1 of them were added before it stopped',
    });
    expect(recipients()).toEqual(['alice-2', 'bob-1', 'carol-1']);
  });

  it('refuses membership changes to one-to-one threads', async () => {
    const { threads, ports } = setup();
    threads.addThread('dm1', 'dm', ['alice', 'bob']);
    await expect(addMembers({ callerId: 'alice', threadId: 'dm1', userIds: ['carol'], maxMembers: 1024, now: 1, ...ports })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(removeMember({ callerId: 'alice', threadId: 'dm1', userId: 'bob', ...ports })).rejects.toMatchObject({ code: 'bad_request' });
  });
});

describe('receipts', () => {
  function receipts(moved: boolean) {
    const { threads, notifier, ports, recipients } = setup();
    threads.addThread('t1', 'group', ['alice', 'bob', 'carol'], 10);
    // Whether the receipt moves is the store's answer (its conditional writes); what follows from it is the domain's.
    const advance = jest.spyOn(threads, 'advanceReceipt').mockResolvedValue(moved);
    const record = (seq: number, status: 'delivered' | 'read', userId = 'alice') => recordReceipt({ userId, threadId: 't1', seq, status, ...ports });
    return { notifier, advance, record, recipients };
  }

  it("records the receipt and forwards it to the other members' connections when it moved", async () => {
    const { notifier, advance, record, recipients } = receipts(true);

    expect(await record(8, 'read')).toEqual({ threadId: 't1', userId: 'alice', seq: 8, status: 'read' });

    expect(advance).toHaveBeenCalledWith('alice', 't1', 8, 'read');
    expect(recipients()).toEqual(['bob-1', 'carol-1']);
    expect(notifier.posts[0].frame).toEqual({ type: 'receipt', threadId: 't1', userId: 'alice', seq: 8, status: 'read' });
  });

  it('forwards nothing when the receipt was already there', async () => {
    const { notifier, record } = receipts(false);
    expect(await record(4, 'delivered')).toBeUndefined();
    expect(notifier.attempts).toEqual([]);
  });

  it('refuses a seq beyond the last message and callers outside the thread, recording nothing', async () => {
    const { advance, record } = receipts(true);
    await expect(record(11, 'read')).rejects.toMatchObject({ code: 'bad_request', message: /\(10\)/ });
    await expect(record(1, 'read', 'eve')).rejects.toMatchObject({ code: 'forbidden' });
    expect(advance).not.toHaveBeenCalled();
    const { ports } = setup();
    await expect(recordReceipt({ userId: 'bob', threadId: 'nope', seq: 1, status: 'read', ...ports })).rejects.toMatchObject({ code: 'forbidden', message: 'you are not a member of this thread' });
  });
});

describe('listThreads', () => {
  it('pages the store’s order with a cursor it can read back, and takes the newer of the two lastSeqs', async () => {
    const threads = new InMemoryThreadStore();
    const count = THREADS_PAGE_SIZE + 3;
    for (let i = 0; i < count; i++) {
      threads.addThread(`t${i}`, 'dm', ['alice', `peer${i}`], i);
      // The member's row is one message ahead of the head (the head lags in this store), so lastSeq is the row's.
      await threads.advanceActivity(`t${i}`, ['alice'], i + 1, 1000 + i);
    }
    const first = await listThreads({ purse: new InMemoryPurse(), userId: 'alice', threads });
    expect(first.threads).toHaveLength(THREADS_PAGE_SIZE);
    expect(first.cursor).toEqual(expect.any(String));
    const second = await listThreads({ purse: new InMemoryPurse(), userId: 'alice', cursor: first.cursor, threads });
    expect(second.threads.map((thread) => thread.threadId)).toEqual(['t2', 't1', 't0']);
    expect(second.cursor).toBeUndefined();
    expect(second.threads[0]).toEqual({ threadId: 't2', kind: 'dm', members: ['alice', 'peer2'], lastSeq: 3, deliveredSeq: 0, readSeq: 0 });
  });

  it('leaves out a thread whose head is gone', async () => {
    const threads = new InMemoryThreadStore();
    threads.addThread('t1', 'dm', ['alice', 'bob']);
    threads.addThread('t2', 'dm', ['alice', 'carol']);
    threads.headsById.delete('t1');
    expect((await listThreads({ purse: new InMemoryPurse(), userId: 'alice', threads })).threads.map((thread) => thread.threadId)).toEqual(['t2']);
  });

  it('leaves out a thread the caller is no longer a member of, though its row is still there', async () => {
    const threads = new InMemoryThreadStore();
    threads.addThread('t1', 'group', ['alice', 'bob']);
    threads.addThread('t2', 'dm', ['alice', 'carol']);
    // What a removal cut short between its two deletes used to leave: the row without the membership.
    threads.members.get('t1')!.delete('alice');
    expect((await listThreads({ purse: new InMemoryPurse(), userId: 'alice', threads })).threads.map((thread) => thread.threadId)).toEqual(['t2']);
    expect((await listThreads({ purse: new InMemoryPurse(), userId: 'bob', threads })).threads.map((thread) => thread.threadId)).toEqual(['t1']);
  });

  it('refuses a cursor it did not give out', async () => {
    await expect(listThreads({ purse: new InMemoryPurse(), userId: 'alice', cursor: 'not-a-cursor', threads: new InMemoryThreadStore() })).rejects.toMatchObject({ code: 'bad_request' });
  });

  it.each([
    ['an empty thread id', [1, '']],
    ['a thread id over 128 characters', [1, 't'.repeat(129)]],
    ['a fractional position', [1.5, 't1']],
    ['a negative position', [-1, 't1']],
  ])('refuses a well-formed cursor with %s, before it reaches the store', async (_case, parts) => {
    const threads = new InMemoryThreadStore();
    const positionsByActivity = jest.spyOn(threads, 'positionsByActivity');
    const cursor = Buffer.from(JSON.stringify(parts)).toString('base64url');
    await expect(listThreads({ purse: new InMemoryPurse(), userId: 'alice', cursor, threads })).rejects.toMatchObject({ code: 'bad_request' });
    expect(positionsByActivity).not.toHaveBeenCalled();
  });
});
