import { createHash } from 'node:crypto';
import { BadRequestError } from './errors';
import type { PushPlatform } from './push';

/**
 * Most devices one user keeps registered for push. Registering one more evicts the user's least
 * recently registered device (as many services do), so a user who lost phones is never locked out,
 * and no user can make one message cost more than this many pushes.
 */
export const MAX_PUSH_DEVICES_PER_USER = 10;

/** The device registry entry of a token: one per platform and token, whoever holds it. */
export function deviceKeyOf(platform: PushPlatform, token: string): string {
  return `${platform}#${createHash('sha256').update(token).digest('base64url').slice(0, 32)}`;
}

/** Where a token's notifications go: the SNS platform endpoint for it. */
export interface PlatformEndpoints {
  /**
   * Creates (or takes over) the endpoint of a token for `userId` and enables it. Returns its ARN,
   * and the user who held the token before, if someone else did.
   */
  claim(platform: PushPlatform, token: string, userId: string): Promise<{ endpointArn: string; previousUserId?: string }>;
  remove(endpointArn: string): Promise<void>;
  /** Whether this deployment can reach the platform's push service at all. */
  supports(platform: PushPlatform): boolean;
}

/** A user's device as eviction sees it. */
export interface RegisteredDevice {
  readonly deviceKey: string;
  /** Epoch ms of its latest registration. */
  readonly registeredAt: number;
}

export interface DeviceRecords {
  /** The user's devices, read strongly consistently. */
  devicesOf(userId: string): Promise<RegisteredDevice[]>;
  put(device: { userId: string; deviceKey: string; platform: PushPlatform; token: string; endpointArn: string; registeredAt: number }): Promise<void>;
  /** Removes a user's record of a device; returns the endpoint it pointed at, if there was one. */
  remove(userId: string, deviceKey: string): Promise<string | undefined>;
}

/** A device's registration as its user asks for it. */
export interface DeviceRequest {
  readonly userId: string;
  readonly platform: PushPlatform;
  readonly token: string;
}

export interface PushRegistrationPorts {
  readonly endpoints: PlatformEndpoints;
  readonly records: DeviceRecords;
}

/**
 * Registers a device for push: its SNS endpoint, and the record the push function reads. A token
 * that another user registered before (a handed-on phone) now notifies only its new holder.
 * Registering again moves a device to the newest; past MAX_PUSH_DEVICES_PER_USER, the least
 * recently registered ones are unregistered (record and endpoint).
 */
export async function registerPushDevice({
  endpoints,
  records,
  ...request
}: DeviceRequest & { readonly now: number } & PushRegistrationPorts): Promise<void> {
  if (!endpoints.supports(request.platform)) {
    throw new BadRequestError(`platform: ${request.platform} push is not configured on this server`);
  }
  const deviceKey = deviceKeyOf(request.platform, request.token);
  const { endpointArn, previousUserId } = await endpoints.claim(request.platform, request.token, request.userId);
  if (previousUserId !== undefined && previousUserId !== request.userId) await records.remove(previousUserId, deviceKey);
  await records.put({ userId: request.userId, deviceKey, platform: request.platform, token: request.token, endpointArn, registeredAt: request.now });

  const devices = await records.devicesOf(request.userId);
  const evicted = devices
    .filter((device) => device.deviceKey !== deviceKey)
    .sort((a, b) => a.registeredAt - b.registeredAt)
    .slice(0, Math.max(0, devices.length - MAX_PUSH_DEVICES_PER_USER));
  for (const device of evicted) {
    const evictedEndpoint = await records.remove(request.userId, device.deviceKey);
    if (evictedEndpoint !== undefined) await endpoints.remove(evictedEndpoint);
  }
}

/** Unregisters a device: no more pushes reach it. Unregistering an unknown device changes nothing. */
export async function unregisterPushDevice({ endpoints, records, ...request }: DeviceRequest & PushRegistrationPorts): Promise<void> {
  const endpointArn = await records.remove(request.userId, deviceKeyOf(request.platform, request.token));
  if (endpointArn !== undefined) await endpoints.remove(endpointArn);
}
