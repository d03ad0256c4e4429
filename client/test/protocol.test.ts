import { clientFrames, parseServerFrame } from '../../protocol';

/** The contract's own examples of server frames. */
const contractExamples = [
  { type: 'error', reqId: 'r1', code: 'bad_request', message: 'text must be 1-4000 characters' },
  { type: 'ack', reqId: 'r1', status: 'sent', clientMsgId: 'c-123', threadId: 't', seq: 7, messageId: 'm', sentAt: 1764000000000 },
  { type: 'message', threadId: 't', seq: 7, messageId: 'm', senderId: 'alice', clientMsgId: 'c-123', text: 'hi', sentAt: 1764000000000 },
  { type: 'receipt', threadId: 't', userId: 'bob', seq: 7, status: 'delivered' },
  { type: 'thread', reqId: 'r3', threadId: 't', kind: 'group', name: 'Trip', members: ['alice', 'bob', 'carol'], admins: ['alice'] },
  {
    type: 'threads',
    reqId: 'r6',
    threads: [{ threadId: 't', kind: 'dm', members: ['alice', 'bob'], lastSeq: 7, deliveredSeq: 7, readSeq: 5, lastMessage: { seq: 7, senderId: 'bob', text: 'hi', sentAt: 1764000000000 } }],
  },
  { type: 'messages', reqId: 'r7', threadId: 't', messages: [{ seq: 6, messageId: 'm', senderId: 'bob', clientMsgId: 'c-9', text: '...', sentAt: 1764000000000 }], hasMore: false },
  { type: 'presence', reqId: 'r9', users: [{ userId: 'bob', status: 'online' }, { userId: 'carol', status: 'offline', lastSeen: 1764000000000 }] },
  { type: 'typing', threadId: 't', userId: 'alice', state: 'start' },
  { type: 'pushRegistered', reqId: 'r10' },
  { type: 'pong', reqId: 'r11' },
  // Extensions of the repository's protocol (docs/protocol.md).
  { type: 'settings', reqId: 'r12', activeStatus: false, pushPreviews: true, presenceAudience: 'threads', requestNotifications: false },
];

describe('protocol schemas', () => {
  it.each(contractExamples.map((frame) => [frame.type, frame]))('accept the contract’s %s frame as it is', (_type, frame) => {
    expect(parseServerFrame(JSON.stringify(frame))).toEqual({ kind: 'frame', frame });
  });

  it('refuse a known frame that breaks its schema, and set apart types they do not know', () => {
    expect(parseServerFrame(JSON.stringify({ type: 'receipt', threadId: 't', userId: 'bob', seq: 7, status: 'seen' }))).toMatchObject({ kind: 'invalid' });
    expect(parseServerFrame(JSON.stringify({ type: 'ack', status: 'sent', clientMsgId: 'c', threadId: 't', seq: 1, messageId: 'm' }))).toMatchObject({ kind: 'invalid' });
    expect(parseServerFrame(JSON.stringify({ type: 'error', code: 'teapot', message: 'no' }))).toMatchObject({ kind: 'invalid' });
    expect(parseServerFrame(JSON.stringify({ type: 'reaction', emoji: '+1' }))).toEqual({ kind: 'unknown', type: 'reaction' });
    expect(parseServerFrame(JSON.stringify({ message: 'Internal server error', connectionId: 'c', requestId: 'r' }))).toEqual({
      kind: 'gatewayError',
      message: 'Internal server error',
    });
    expect(parseServerFrame(JSON.stringify({ connectionId: 'c' }))).toEqual({ kind: 'invalid', problem: 'no type' });
  });

  it('refuse a settings frame without both settings, and an updateSettings that changes nothing', () => {
    expect(parseServerFrame(JSON.stringify({ type: 'settings', activeStatus: true }))).toMatchObject({ kind: 'invalid' });
    expect(clientFrames.updateSettings.safeParse({ action: 'updateSettings' }).success).toBe(false);
    expect(clientFrames.updateSettings.safeParse({ action: 'updateSettings', pushPreviews: false }).success).toBe(true);
  });

  it('keep the client frames the Lambdas validate with', () => {
    expect(clientFrames.sendMessage.safeParse({ action: 'sendMessage', clientMsgId: 'c', to: 'bob', threadId: 't', text: 'hi' }).success).toBe(false);
    expect(clientFrames.getMessages.parse({ action: 'getMessages', threadId: 't' })).toEqual({ action: 'getMessages', threadId: 't', limit: 50 });
    expect(clientFrames.subscribePresence.safeParse({ action: 'subscribePresence', userIds: Array(501).fill('bob') }).success).toBe(false);
  });
});
