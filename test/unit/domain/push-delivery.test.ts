import type { PushDeviceRegistry, PushSender } from '../../../lambdas/domain/ports';
import type { PushDevice } from '../../../lambdas/domain/push';
import { deliverPush, retryDelivery } from '../../../lambdas/domain/push-delivery';
import { DEFAULT_SETTINGS, type UserSettings, type UserSettingsStore } from '../../../lambdas/domain/settings';

/** Previews on for everyone but the users named. */
function settingsWithPreviewsOff(...users: string[]): UserSettingsStore {
  return {
    settingsOf: async (ids) => new Map(ids.map((id): [string, UserSettings] => [id, { ...DEFAULT_SETTINGS, pushPreviews: !users.includes(id) }])),
    update: async () => Promise.reject(new Error('not used')),
  };
}
const settings = settingsWithPreviewsOff();

function device(userId: string, token: string, platform: 'apns' | 'fcm' = 'fcm'): PushDevice {
  return { userId, deviceKey: `${platform}#${token}`, platform, token, endpointArn: `arn:endpoint/${token}` };
}

class InMemoryRegistry implements PushDeviceRegistry {
  removed: PushDevice[] = [];
  constructor(private readonly devices: PushDevice[]) {}
  async devicesOf(userId: string) {
    return this.devices.filter((candidate) => candidate.userId === userId && !this.removed.includes(candidate));
  }
  async deviceOf(userId: string, deviceKey: string) {
    return (await this.devicesOf(userId)).find((candidate) => candidate.deviceKey === deviceKey);
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
      expect(notification).toEqual({ threadId: 't-1', seq: 3, preview: { senderId: 'alice', text: 'hey' } });
      sent.push(target.token);
      return 'sent';
    } };
    expect(await deliverPush({ ...request, registry, sender, settings })).toEqual({ sent: 3, removed: 0, failed: [] });
    expect(sent.sort()).toEqual(['b1', 'b2', 'c1']);
  });

  it('removes devices the push services report gone, and keeps the others', async () => {
    const registry = new InMemoryRegistry([device('bob', 'gone'), device('bob', 'fine')]);
    const sender: PushSender = { send: async (target) => (target.token === 'gone' ? 'gone' : 'sent') };
    expect(await deliverPush({ ...request, registry, sender, settings })).toEqual({ sent: 1, removed: 1, failed: [] });
    expect(registry.removed.map((removed) => removed.token)).toEqual(['gone']);
  });

  it('never notifies the sender, and each recipient once', async () => {
    const registry = new InMemoryRegistry([device('alice', 'a1'), device('bob', 'b1')]);
    const sent: string[] = [];
    const sender: PushSender = { send: async (target) => (sent.push(target.token), 'sent') };
    await deliverPush({ ...request, recipients: ['alice', 'bob', 'bob'], registry, sender, settings });
    expect(sent).toEqual(['b1']);
  });

  it('sends to every other device when one cannot be reached, and reports only that one for its own retry', async () => {
    const registry = new InMemoryRegistry([device('bob', 'b1'), device('bob', 'broken'), device('carol', 'c1')]);
    const sent: string[] = [];
    const sender: PushSender = {
      send: async (target) => {
        if (target.token === 'broken') throw new Error('throttled');
        sent.push(target.token);
        return 'sent';
      },
    };
    const report = await deliverPush({ ...request, registry, sender, settings });
    expect(sent.sort()).toEqual(['b1', 'c1']);
    expect(report).toEqual({
      sent: 2,
      removed: 0,
      failed: [{ device: device('bob', 'broken'), notification: { threadId: 't-1', seq: 3, preview: { senderId: 'alice', text: 'hey' } }, error: new Error('throttled') }],
    });
  });

  it('leaves the sender and the text out of the notifications of a recipient with previews off', async () => {
    const registry = new InMemoryRegistry([device('bob', 'b1'), device('carol', 'c1')]);
    const notifications = new Map<string, unknown>();
    const sender: PushSender = { send: async (target, notification) => (notifications.set(target.userId, notification), 'sent') };
    await deliverPush({ ...request, registry, sender, settings: settingsWithPreviewsOff('bob') });
    expect(notifications).toEqual(
      new Map([
        ['bob', { threadId: 't-1', seq: 3 }],
        ['carol', { threadId: 't-1', seq: 3, preview: { senderId: 'alice', text: 'hey' } }],
      ]),
    );
  });

  it('pushes a recipient by message request like any other, unless they turned request notifications off', async () => {
    const registry = new InMemoryRegistry([device('bob', 'b1'), device('carol', 'c1'), device('dave', 'd1')]);
    const sent: string[] = [];
    const sender: PushSender = { send: async (target) => (sent.push(target.token), 'sent') };
    const requestsOffFor = (...users: string[]): UserSettingsStore => ({
      settingsOf: async (ids) => new Map(ids.map((id): [string, UserSettings] => [id, { ...DEFAULT_SETTINGS, requestNotifications: !users.includes(id) }])),
      update: async () => Promise.reject(new Error('not used')),
    });
    // dave turned request notifications off, but is an ordinary recipient here: pushed.
    await deliverPush({ ...request, recipients: ['dave'], requestRecipients: ['bob', 'carol'], registry, sender, settings: requestsOffFor('carol', 'dave') });
    expect(sent.sort()).toEqual(['b1', 'd1']);

    sent.length = 0;
    expect(await deliverPush({ ...request, recipients: [], requestRecipients: ['carol'], registry, sender, settings: requestsOffFor('carol') })).toEqual({ sent: 0, removed: 0, failed: [] });
    expect(sent).toEqual([]);
  });

  it('fails the whole request, before sending anything, when the devices cannot be read', async () => {
    const registry = new InMemoryRegistry([]);
    jest.spyOn(registry, 'devicesOf').mockRejectedValue(new Error('throttled'));
    const sender: PushSender = { send: jest.fn() };
    await expect(deliverPush({ ...request, registry, sender, settings })).rejects.toThrow('throttled');
    expect(sender.send).not.toHaveBeenCalled();
  });
});

describe('retryDelivery', () => {
  const withPreview = { threadId: 't-1', seq: 3, preview: { senderId: 'alice', text: 'your code is 493021' } };
  const sentTo = () => {
    const sent: Array<{ device: PushDevice; notification: unknown }> = [];
    const sender: PushSender = { send: async (target, notification) => (sent.push({ device: target, notification }), 'sent') };
    return { sent, sender };
  };

  it('sends a still registered device the notification as it was', async () => {
    const registry = new InMemoryRegistry([device('bob', 'b1')]);
    const { sent, sender } = sentTo();
    expect(await retryDelivery({ delivery: { device: device('bob', 'b1'), notification: withPreview }, registry, sender, settings })).toEqual({ outcome: 'sent', previewWithheld: false });
    expect(sent).toEqual([{ device: device('bob', 'b1'), notification: withPreview }]);
  });

  it('drops, unsent, the delivery to a device its user unregistered since it failed', async () => {
    const registry = new InMemoryRegistry([device('bob', 'b2')]);
    const { sent, sender } = sentTo();
    expect(await retryDelivery({ delivery: { device: device('bob', 'b1'), notification: withPreview }, registry, sender, settings })).toEqual({ outcome: 'unregistered' });
    expect(sent).toEqual([]);
  });

  it('drops, unsent, the delivery to a device that another user registered since (a handed-on phone)', async () => {
    // Registering the token for carol removed bob's record of it: the same key, now under carol.
    const registry = new InMemoryRegistry([{ ...device('carol', 'b1') }]);
    const { sent, sender } = sentTo();
    expect(await retryDelivery({ delivery: { device: device('bob', 'b1'), notification: withPreview }, registry, sender, settings })).toEqual({ outcome: 'unregistered' });
    expect(sent).toEqual([]);
  });

  it('withholds the sender and the text from a recipient who turned previews off since it failed', async () => {
    const registry = new InMemoryRegistry([device('bob', 'b1')]);
    const { sent, sender } = sentTo();
    const retried = await retryDelivery({ delivery: { device: device('bob', 'b1'), notification: withPreview }, registry, sender, settings: settingsWithPreviewsOff('bob') });
    expect(retried).toEqual({ outcome: 'sent', previewWithheld: true });
    expect(sent).toEqual([{ device: device('bob', 'b1'), notification: { threadId: 't-1', seq: 3 } }]);
  });

  it('sends to the device as registered now, and forgets it when the push service reports it gone', async () => {
    const current = { ...device('bob', 'b1'), endpointArn: 'arn:endpoint/b1-again' };
    const registry = new InMemoryRegistry([current]);
    const sender: PushSender = { send: jest.fn(async () => 'gone' as const) };
    expect(await retryDelivery({ delivery: { device: device('bob', 'b1'), notification: withPreview }, registry, sender, settings })).toEqual({ outcome: 'gone', previewWithheld: false });
    expect(sender.send).toHaveBeenCalledWith(current, withPreview);
    expect(registry.removed).toEqual([current]);
  });

  it('throws, sending nothing, when the device or the settings cannot be read, and throws a failed send, so that the queue retries it', async () => {
    const registry = new InMemoryRegistry([device('bob', 'b1')]);
    const { sent, sender } = sentTo();
    jest.spyOn(registry, 'deviceOf').mockRejectedValueOnce(new Error('throttled'));
    await expect(retryDelivery({ delivery: { device: device('bob', 'b1'), notification: withPreview }, registry, sender, settings })).rejects.toThrow('throttled');
    const unreadable: UserSettingsStore = { ...settings, settingsOf: async () => Promise.reject(new Error('settings throttled')) };
    await expect(retryDelivery({ delivery: { device: device('bob', 'b1'), notification: withPreview }, registry, sender, settings: unreadable })).rejects.toThrow('settings throttled');
    expect(sent).toEqual([]);
    const failing: PushSender = { send: async () => Promise.reject(new Error('unavailable')) };
    await expect(retryDelivery({ delivery: { device: device('bob', 'b1'), notification: withPreview }, registry, sender: failing, settings })).rejects.toThrow('unavailable');
  });
});
