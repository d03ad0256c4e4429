import { ACTION_UNITS, DEFAULT_FRAME_UNITS, UNITS_PER_MEMBER_TOLD, UNITS_PER_MESSAGE_RECIPIENT } from '../../../../lambdas/domain/budget';
import { commitMessage } from '../../../../lambdas/domain/chat/commit-message';
import { createGroup, updateGroup } from '../../../../lambdas/domain/chat/groups';
import { recordReceipt } from '../../../../lambdas/domain/chat/receipts';
import { InMemoryConnections, InMemoryPurse, InMemoryRateCounter, InMemoryThreadStore, RecordingNotifier } from '../../../support/in-memory-chat';

const NOW = 1_764_000_000_000;
const members = ['alice', ...Array.from({ length: 9 }, (_, i) => `m${i}`)];

/** A 10-member group with one message, its head counting its members as the DynamoDB store's does. */
function groupOfTen() {
  const threads = new InMemoryThreadStore();
  threads.addThread('g1', 'group', members, 1);
  threads.headsById.set('g1', { ...threads.headsById.get('g1')!, memberCount: members.length });
  const rate = new InMemoryRateCounter();
  return { threads, rate };
}

describe('what a frame pays after its reads', () => {
  it('charges a group message 3 units for each member beyond two, before it commits', async () => {
    const { threads, rate } = groupOfTen();
    const purse = new InMemoryPurse();
    await commitMessage({ senderId: 'alice', clientMsgId: 'c1', threadId: 'g1', text: 'hi all', threads, rate, purse, clock: () => NOW });
    expect(purse.spentOn()).toBe(UNITS_PER_MESSAGE_RECIPIENT * (members.length - 2));
  });

  // Charged before the membership check, a stranger's send drained their budget by the group's
  // size, and retryAfterMs then told them that the group exists and how big it is.
  it('charges nothing by members for a send from a non-member, who gets the one answer for any thread', async () => {
    const { threads, rate } = groupOfTen();
    const purse = new InMemoryPurse();
    await expect(commitMessage({ senderId: 'mallory', clientMsgId: 'c1', threadId: 'g1', text: 'hi', threads, rate, purse, clock: () => NOW })).rejects.toMatchObject({ code: 'forbidden' });
    expect(purse.spentOn()).toBe(0);
  });

  it('refuses a group message its budget cannot hold: nothing is staged and the send rate gets its count back', async () => {
    const { threads, rate } = groupOfTen();
    const purse = new InMemoryPurse({ actions: 10 });
    await expect(commitMessage({ senderId: 'alice', clientMsgId: 'c1', threadId: 'g1', text: 'hi all', threads, rate, purse, clock: () => NOW })).rejects.toMatchObject({
      code: 'rate_limited',
      retryAfterMs: 1000,
    });
    expect(threads.staged.get('g1') ?? []).toEqual([]);
    expect(threads.headsById.get('g1')!.lastSeq).toBe(1);
    expect(rate.countAt('alice', NOW)).toBe(0);
  });

  it('gives a retry of a sent message its units back, but for what any frame costs', async () => {
    const threads = new InMemoryThreadStore();
    const rate = new InMemoryRateCounter();
    const purse = new InMemoryPurse();
    const send = () => commitMessage({ senderId: 'alice', clientMsgId: 'c1', to: 'bob', text: 'hi', threads, rate, purse, clock: () => NOW });
    await send();
    expect(purse.spentOn()).toBe(0);
    await send();
    expect(purse.spentOn()).toBe(-(ACTION_UNITS.sendMessage - DEFAULT_FRAME_UNITS));
  });

  it('charges a receipt 2 units for each other member, and moves nothing when the budget cannot hold it', async () => {
    const { threads } = groupOfTen();
    const notifier = new RecordingNotifier();
    const ports = { threads, connections: new InMemoryConnections([{ userId: 'm0', connectionId: 'm0-1' }]), notifier, fromConnectionId: 'alice-1' };
    const refusing = new InMemoryPurse({ actions: 5 });
    await expect(recordReceipt({ userId: 'alice', threadId: 'g1', seq: 1, status: 'read', ...ports, purse: refusing })).rejects.toMatchObject({ code: 'rate_limited' });
    expect(threads.receipts.get('alice/g1')).toMatchObject({ readSeq: 0, deliveredSeq: 0 });
    expect(notifier.posts).toEqual([]);

    const purse = new InMemoryPurse();
    await recordReceipt({ userId: 'alice', threadId: 'g1', seq: 1, status: 'read', ...ports, purse });
    expect(purse.spentOn()).toBe(UNITS_PER_MEMBER_TOLD * (members.length - 1));
  });

  // updateGroup tells every member of the change; it was charged what any frame is, whatever the group's size.
  it('charges a group setting change 2 units for each member told, and changes nothing when the budget cannot hold it', async () => {
    const { threads } = groupOfTen();
    threads.roles.set('g1/alice', 'admin');
    const notifier = new RecordingNotifier();
    const ports = { threads, pairs: threads.pairs, connections: new InMemoryConnections([{ userId: 'm0', connectionId: 'm0-1' }]), notifier, fromConnectionId: 'alice-1' };
    const refusing = new InMemoryPurse({ actions: 5 });
    await expect(updateGroup({ callerId: 'alice', threadId: 'g1', historyForNewMembers: 'sinceJoined', ...ports, purse: refusing })).rejects.toMatchObject({ code: 'rate_limited' });
    expect(threads.headsById.get('g1')?.historyForNewMembers).toBeUndefined();
    expect(notifier.posts).toEqual([]);

    const purse = new InMemoryPurse();
    await updateGroup({ callerId: 'alice', threadId: 'g1', historyForNewMembers: 'sinceJoined', ...ports, purse });
    expect(purse.spentOn()).toBe(UNITS_PER_MEMBER_TOLD * members.length);
    expect(threads.headsById.get('g1')?.historyForNewMembers).toBe('sinceJoined');
  });

  it('refuses a group over the groups-an-hour cap, creates nothing, and gives back the members it had counted', async () => {
    const threads = new InMemoryThreadStore();
    const purse = new InMemoryPurse({ groupsCreated: 0 });
    const ports = { threads, pairs: threads.pairs, connections: new InMemoryConnections([]), notifier: new RecordingNotifier(), fromConnectionId: 'alice-1', purse };
    await expect(createGroup({ creatorId: 'alice', name: 'Too many', members: ['bob', 'carol'], maxMembers: 1024, now: NOW, ...ports })).rejects.toMatchObject({ code: 'rate_limited' });
    expect(threads.headsById.size).toBe(0);
    expect(purse.spentOn('membersAdded')).toBe(0);
    expect(purse.refusals).toEqual([{ units: 1, budget: 'groupsCreated' }]);
  });
});
