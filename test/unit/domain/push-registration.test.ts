import { deviceKeyOf, MAX_PUSH_DEVICES_PER_USER, registerPushDevice, unregisterPushDevice, type DeviceRecords, type PlatformEndpoints } from '../../../lambdas/domain/push-registration';
import type { PushPlatform } from '../../../lambdas/domain/push';

class FakeEndpoints implements PlatformEndpoints {
  readonly owners = new Map<string, string>();
  readonly removed: string[] = [];
  constructor(private readonly configured: PushPlatform[] = ['apns', 'fcm']) {}
  supports(platform: PushPlatform) {
    return this.configured.includes(platform);
  }
  async claim(platform: PushPlatform, token: string, userId: string) {
    const endpointArn = `arn:endpoint/${platform}/${token}`;
    const previousUserId = this.owners.get(endpointArn);
    this.owners.set(endpointArn, userId);
    return { endpointArn, ...(previousUserId && previousUserId !== userId ? { previousUserId } : {}) };
  }
  async remove(endpointArn: string) {
    this.removed.push(endpointArn);
  }
}

class FakeRecords implements DeviceRecords {
  readonly items = new Map<string, Parameters<DeviceRecords['put']>[0]>();
  async put(device: Parameters<DeviceRecords['put']>[0]) {
    this.items.set(`${device.userId}/${device.deviceKey}`, device);
  }
  async devicesOf(userId: string) {
    return [...this.items.values()].filter((item) => item.userId === userId).map(({ deviceKey, registeredAt }) => ({ deviceKey, registeredAt }));
  }
  async remove(userId: string, deviceKey: string) {
    const item = this.items.get(`${userId}/${deviceKey}`);
    this.items.delete(`${userId}/${deviceKey}`);
    return item?.endpointArn;
  }
}

describe('push registration', () => {
  it('keeps at most MAX_PUSH_DEVICES_PER_USER devices per user, unregistering the least recently registered (record and endpoint)', async () => {
    const [endpoints, records] = [new FakeEndpoints(), new FakeRecords()];
    for (let i = 1; i <= MAX_PUSH_DEVICES_PER_USER + 2; i++) await registerPushDevice({ userId: 'bob', platform: 'fcm', token: `tok-${i}`, now: i, endpoints, records });
    // Registering tok-1 again makes it the newest: tok-4 goes next.
    await registerPushDevice({ userId: 'bob', platform: 'fcm', token: 'tok-1', now: 100, endpoints, records });
    await registerPushDevice({ userId: 'carol', platform: 'fcm', token: 'c-1', now: 101, endpoints, records });
    const tokensOf = (user: string) => [...records.items.values()].filter((item) => item.userId === user).map((item) => item.token).sort();
    expect(tokensOf('bob')).toHaveLength(MAX_PUSH_DEVICES_PER_USER);
    expect(tokensOf('bob')).not.toEqual(expect.arrayContaining(['tok-2', 'tok-3']));
    expect(tokensOf('bob')).toContain('tok-1');
    expect(tokensOf('carol')).toEqual(['c-1']);
    expect(endpoints.removed).toEqual(['arn:endpoint/fcm/tok-1', 'arn:endpoint/fcm/tok-2', 'arn:endpoint/fcm/tok-3']);
  });

  it('records the device under its user with its endpoint', async () => {
    const [endpoints, records] = [new FakeEndpoints(), new FakeRecords()];
    await registerPushDevice({ userId: 'bob', platform: 'fcm', token: 'tok', now: 5, endpoints, records });
    expect([...records.items.values()]).toEqual([
      { userId: 'bob', deviceKey: deviceKeyOf('fcm', 'tok'), platform: 'fcm', token: 'tok', endpointArn: 'arn:endpoint/fcm/tok', registeredAt: 5 },
    ]);
  });

  it('moves a token handed on to another user, so its former holder gets no more pushes on it', async () => {
    const [endpoints, records] = [new FakeEndpoints(), new FakeRecords()];
    await registerPushDevice({ userId: 'bob', platform: 'apns', token: 'phone', now: 1, endpoints, records });
    await registerPushDevice({ userId: 'carol', platform: 'apns', token: 'phone', now: 2, endpoints, records });
    expect([...records.items.values()].map((device) => device.userId)).toEqual(['carol']);
  });

  it('answers bad_request for a platform this deployment has no application for', async () => {
    await expect(
      registerPushDevice({ userId: 'bob', platform: 'apns', token: 't', now: 1, endpoints: new FakeEndpoints(['fcm']), records: new FakeRecords() }),
    ).rejects.toMatchObject({ code: 'bad_request', message: /apns push is not configured/ });
  });

  it('unregisters by deleting the record and the endpoint, and ignores unknown devices', async () => {
    const [endpoints, records] = [new FakeEndpoints(), new FakeRecords()];
    await registerPushDevice({ userId: 'bob', platform: 'fcm', token: 'tok', now: 1, endpoints, records });
    await unregisterPushDevice({ userId: 'bob', platform: 'fcm', token: 'tok', endpoints, records });
    await unregisterPushDevice({ userId: 'bob', platform: 'fcm', token: 'never', endpoints, records });
    expect(records.items.size).toBe(0);
    expect(endpoints.removed).toEqual(['arn:endpoint/fcm/tok']);
  });
});
