import { ACTION_UNITS, DEFAULT_FRAME_UNITS, UNITS_PER_MEMBER_TOLD, UNITS_PER_MESSAGE_RECIPIENT, type BudgetName } from '../../../../lambdas/domain/budget';
import { commitMessage } from '../../../../lambdas/domain/chat/commit-message';
import { createGroup, updateGroup } from '../../../../lambdas/domain/chat/groups';
import { recordReceipt } from '../../../../lambdas/domain/chat/receipts';
import { InMemoryConnections, InMemoryPurse, InMemoryThreadStore, RecordingNotifier } from '../../../support/in-memory-chat';

const NOW = 1_764_000_000_000;
const members = ['alice', ...Array.from({ length: 9 }, (_, i) => `m${i}`)];

/** A 10-member group with one message, its head counting its members as the DynamoDB store's does. */
function groupOfTen() {
  const threads = new InMemoryThreadStore();
  threads.addThread('g1', 'group', members, 1);
  threads.headsById.set('g1', { ...threads.headsById.get('g1')!, memberCount: members.length });
  return { threads };
}

describe('what a frame pays after its reads', () => {
  it('charges a group message 3 units for each member beyond two, before it commits', async () => {
    const { threads } = groupOfTen();
    const purse = new InMemoryPurse();
    await commitMessage({ senderId: 'alice', clientMsgId: 'c1', threadId: 'g1', text: 'hi all', threads, purse, clock: () => NOW });
    expect(purse.spentOn('sends')).toBe(ACTION_UNITS.sendMessage + UNITS_PER_MESSAGE_RECIPIENT * (members.length - 2));
    expect(purse.spentOn('actions')).toBe(0);
  });

  // Charged before the membership check, a stranger's send drained their budget by the group's
  // size, and retryAfterMs then told them that the group exists and how big it is.
  it('charges nothing by members for a send from a non-member, who gets the one answer for any thread', async () => {
    const { threads } = groupOfTen();
    const purse = new InMemoryPurse();
    await expect(commitMessage({ senderId: 'mallory', clientMsgId: 'c1', threadId: 'g1', text: 'hi', threads, purse, clock: () => NOW })).rejects.toMatchObject({ code: 'forbidden' });
    expect(purse.spentOn('sends')).toBe(ACTION_UNITS.sendMessage);
    expect(purse.messages).toBe(0);
  });

  it('refuses a group message its budget cannot hold: nothing is staged and the send rate gets its message back', async () => {
    const { threads } = groupOfTen();
    const purse = new InMemoryPurse({ sends: ACTION_UNITS.sendMessage + 10 });
    await expect(commitMessage({ senderId: 'alice', clientMsgId: 'c1', threadId: 'g1', text: 'hi all', threads, purse, clock: () => NOW })).rejects.toMatchObject({
      code: 'rate_limited',
      retryAfterMs: 1000,
    });
    expect(threads.staged.get('g1') ?? []).toEqual([]);
    expect(threads.headsById.get('g1')!.lastSeq).toBe(1);
    expect(purse.messages).toBe(0);
  });

  it('gives a retry of a sent message its units back, but for what any frame costs', async () => {
    const threads = new InMemoryThreadStore();
    const purse = new InMemoryPurse();
    const send = () => commitMessage({ senderId: 'alice', clientMsgId: 'c1', to: 'bob', text: 'hi', threads, purse, clock: () => NOW });
    await send();
    expect([purse.spentOn('sends'), purse.messages]).toEqual([ACTION_UNITS.sendMessage, 1]);
    await send();
    expect([purse.spentOn('sends'), purse.messages]).toEqual([ACTION_UNITS.sendMessage + DEFAULT_FRAME_UNITS, 1]);
  });

  it('answers a retry of a sent message even when the send budget is spent, for what any frame costs, and refuses a new one', async () => {
    const threads = new InMemoryThreadStore();
    const send = (clientMsgId: string, purse: InMemoryPurse) => commitMessage({ senderId: 'alice', clientMsgId, to: 'bob', text: 'hi', threads, purse, clock: () => NOW });
    const first = await send('c1', new InMemoryPurse());
    const spent = new InMemoryPurse({ sends: 0 });
    await expect(send('c1', spent)).resolves.toMatchObject({ isNew: false, message: { seq: first.message.seq } });
    expect([spent.spentOn('sends'), spent.spentOn('actions'), spent.messages]).toEqual([0, DEFAULT_FRAME_UNITS, 0]);
    await expect(send('c2', spent)).rejects.toMatchObject({ code: 'rate_limited' });
    expect(threads.headsById.get(first.message.threadId)!.lastSeq).toBe(1);
  });

  it('charges a receipt its frame and 2 units for each other member, and moves nothing when the budget cannot hold it', async () => {
    const { threads } = groupOfTen();
    const notifier = new RecordingNotifier();
    const ports = { threads, connections: new InMemoryConnections([{ userId: 'm0', connectionId: 'm0-1' }]), notifier, fromConnectionId: 'alice-1' };
    const refusing = new InMemoryPurse({ acks: 5 });
    await expect(recordReceipt({ userId: 'alice', threadId: 'g1', seq: 1, status: 'read', ...ports, purse: refusing })).rejects.toMatchObject({ code: 'rate_limited' });
    expect(threads.receipts.get('alice/g1')).toMatchObject({ readSeq: 0, deliveredSeq: 0 });
    expect(notifier.posts).toEqual([]);

    const purse = new InMemoryPurse();
    await recordReceipt({ userId: 'alice', threadId: 'g1', seq: 1, status: 'read', ...ports, purse });
    // From the acks budget, never from the one sends pay from.
    expect(purse.spentOn('acks')).toBe(ACTION_UNITS.ack + UNITS_PER_MEMBER_TOLD * (members.length - 1));
    expect([purse.spentOn('actions'), purse.spentOn('sends')]).toEqual([0, 0]);
  });

  // Receipts only move forward: an ack at or behind where the receipt stands tells nobody, so its
  // members' part was charged for nothing (a 1024-member group's ack is 2,046 units of it).
  it('charges a one-to-one receipt once: its frame and the one other member together', async () => {
    const threads = new InMemoryThreadStore();
    threads.addThread('d1', 'dm', ['alice', 'bob'], 1);
    const charges: Array<{ units: number; budget: string | undefined }> = [];
    const purse = new (class extends InMemoryPurse {
      override async spend(units: number, budget?: BudgetName, messages?: number) {
        if (units > 0) charges.push({ units, budget });
        return super.spend(units, budget, messages);
      }
    })();
    const ports = { threads, connections: new InMemoryConnections([{ userId: 'bob', connectionId: 'bob-1' }]), notifier: new RecordingNotifier(), fromConnectionId: 'alice-1' };
    await expect(recordReceipt({ userId: 'alice', threadId: 'd1', seq: 1, status: 'read', ...ports, purse })).resolves.toMatchObject({ seq: 1 });
    expect(charges).toEqual([{ units: ACTION_UNITS.ack + UNITS_PER_MEMBER_TOLD, budget: 'acks' }]);
  });

  it('charges a refused receipt what any frame pays: the member’s part goes back', async () => {
    const threads = new InMemoryThreadStore();
    threads.addThread('d1', 'dm', ['bob', 'carol'], 1);
    const ports = { threads, connections: new InMemoryConnections([]), notifier: new RecordingNotifier(), fromConnectionId: 'alice-1' };
    const purse = new InMemoryPurse();
    await expect(recordReceipt({ userId: 'alice', threadId: 'd1', seq: 1, status: 'read', ...ports, purse })).rejects.toMatchObject({ code: 'forbidden' });
    threads.addThread('d2', 'dm', ['alice', 'bob'], 1);
    await expect(recordReceipt({ userId: 'alice', threadId: 'd2', seq: 9, status: 'read', ...ports, purse })).rejects.toMatchObject({ code: 'bad_request' });
    expect(purse.spentOn('acks')).toBe(2 * ACTION_UNITS.ack);
  });

  it('gives back the members\' part of a receipt that did not move, and tells nobody', async () => {
    const { threads } = groupOfTen();
    const notifier = new RecordingNotifier();
    const ports = { threads, connections: new InMemoryConnections([{ userId: 'm0', connectionId: 'm0-1' }]), notifier, fromConnectionId: 'alice-1' };
    const purse = new InMemoryPurse();
    await recordReceipt({ userId: 'alice', threadId: 'g1', seq: 1, status: 'read', ...ports, purse });
    const posted = notifier.posts.length;

    // Read at 1 implies delivered at 1; the same read again moves nothing either.
    await expect(recordReceipt({ userId: 'alice', threadId: 'g1', seq: 1, status: 'delivered', ...ports, purse })).resolves.toBeUndefined();
    await expect(recordReceipt({ userId: 'alice', threadId: 'g1', seq: 1, status: 'read', ...ports, purse })).resolves.toBeUndefined();
    // Each frame's own part stays spent.
    expect(purse.spentOn('acks')).toBe(3 * ACTION_UNITS.ack + UNITS_PER_MEMBER_TOLD * (members.length - 1));
    expect(notifier.posts).toHaveLength(posted);
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
