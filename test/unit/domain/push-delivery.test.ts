import type { PushDeviceRegistry, PushSender } from '../../../lambdas/domain/ports';
import type { PushDevice } from '../../../lambdas/domain/push';
import { deliverPush } from '../../../lambdas/domain/push-delivery';

function device(userId: string, token: string, platform: 'apns' | 'fcm' = 'fcm'): PushDevice {
  return { userId, deviceKey: `${platform}#${token}`, platform, token, endpointArn: `arn:endpoint/${token}` };
}

class InMemoryRegistry implements PushDeviceRegistry {
  removed: PushDevice[] = [];
  constructor(private readonly devices: PushDevice[]) {}
  async devicesOf(userId: string) {
    return this.devices.filter((candidate) => candidate.userId === userId && !this.removed.includes(candidate));
  }
  async remove(target: PushDevice) {
    this.removed.push(target);
  }
}

const request = { recipients: ['bob', 'carol'], senderId: 'alice', threadId: 't-1', seq: 3, preview: 'hey' };

describe('deliverPush', () => {
  it('sends the notification to every device of every recipient', async () => {
    const registry = new InMemoryRegistry([device('bob', 'b1'), device('bob', 'b2', 'apns'), device('carol', 'c1'), device('dave', 'd1')]);
    const sent: string[] = [];
    const sender: PushSender = { send: async (target, notification) => {
      expect(notification).toEqual({ senderId: 'alice', threadId: 't-1', seq: 3, preview: 'hey' });
      sent.push(target.token);
      return 'sent';
    } };
    expect(await deliverPush({ ...request, registry, sender })).toEqual({ sent: 3, removed: 0 });
    expect(sent.sort()).toEqual(['b1', 'b2', 'c1']);
  });

  it('removes devices the push services report gone, and keeps the others', async () => {
    const registry = new InMemoryRegistry([device('bob', 'gone'), device('bob', 'fine')]);
    const sender: PushSender = { send: async (target) => (target.token === 'gone' ? 'gone' : 'sent') };
    expect(await deliverPush({ ...request, registry, sender })).toEqual({ sent: 1, removed: 1 });
    expect(registry.removed.map((removed) => removed.token)).toEqual(['gone']);
  });

  it('never notifies the sender, and each recipient once', async () => {
    const registry = new InMemoryRegistry([device('alice', 'a1'), device('bob', 'b1')]);
    const sent: string[] = [];
    const sender: PushSender = { send: async (target) => (sent.push(target.token), 'sent') };
    await deliverPush({ ...request, recipients: ['alice', 'bob', 'bob'], registry, sender });
    expect(sent).toEqual(['b1']);
  });

  it('fails, for the request to be retried, when a device cannot be reached', async () => {
    const registry = new InMemoryRegistry([device('bob', 'b1')]);
    const sender: PushSender = { send: async () => Promise.reject(new Error('throttled')) };
    await expect(deliverPush({ ...request, registry, sender })).rejects.toThrow('throttled');
  });
});
