import { inPool } from './pool';
import type { PushDeviceRegistry, PushSender } from './ports';
import { notificationFor, type PushDevice, type PushNotification, type PushRequest } from './push';
import type { UserSettingsStore } from './settings';

/** Deliveries (one device each) in flight at once, so that a large group floods neither the push services nor the registry. */
const DELIVERY_CONCURRENCY = 16;

/** One notification for one device: what is sent, and what is retried on its own when it fails. */
export interface PushDelivery {
  readonly device: PushDevice;
  readonly notification: PushNotification;
}

export interface PushDeliveryReport {
  readonly sent: number;
  /** Devices the push services reported gone, which were removed from the registry. */
  readonly removed: number;
  /** Deliveries that failed, with why: each is to be retried on its own, the others are done. */
  readonly failed: Array<PushDelivery & { readonly error: unknown }>;
}

/** Where failed deliveries wait to be tried again, each on its own. */
export interface PushRetries {
  /** Queues the deliveries for a later try; returns those it could not queue. */
  retryLater(deliveries: readonly PushDelivery[]): Promise<PushDelivery[]>;
}

export interface PushDeliveryPorts {
  readonly registry: PushDeviceRegistry;
  readonly sender: PushSender;
}

/**
 * Sends each delivery on its own: a device that cannot be reached fails only its own delivery,
 * which the report names for a retry, and never holds up, fails or repeats the others. Devices the
 * push services say are gone are forgotten.
 */
export async function sendDeliveries({ deliveries, registry, sender }: PushDeliveryPorts & { readonly deliveries: readonly PushDelivery[] }): Promise<PushDeliveryReport> {
  let sent = 0;
  let removed = 0;
  const failed: Array<PushDelivery & { error: unknown }> = [];
  await inPool(deliveries, DELIVERY_CONCURRENCY, async (delivery) => {
    try {
      if ((await sender.send(delivery.device, delivery.notification)) === 'sent') {
        sent += 1;
      } else {
        await registry.remove(delivery.device);
        removed += 1;
      }
    } catch (error) {
      failed.push({ ...delivery, error });
    }
  });
  return { sent, removed, failed };
}

/**
 * Sends one notification to every registered device of every recipient but the sender, each
 * built as the recipient's previews setting has it (off: no sender and no text anywhere in it).
 * A recipient by message request is left out when their `requestNotifications` setting is off.
 * Reading the devices or the settings fails the whole request (nothing was sent yet, so its retry
 * repeats nothing); a device that cannot be reached fails only its own delivery (see sendDeliveries).
 */
export async function deliverPush({
  registry,
  sender,
  settings,
  ...request
}: PushRequest & PushDeliveryPorts & { readonly settings: UserSettingsStore }): Promise<PushDeliveryReport> {
  const byRequest = [...new Set(request.requestRecipients ?? [])].filter((recipient) => recipient !== request.senderId);
  const optedOut = new Set(
    byRequest.length === 0 ? [] : [...(await settings.settingsOf(byRequest))].filter(([, chosen]) => !chosen.requestNotifications).map(([userId]) => userId),
  );
  const recipients = [...new Set([...request.recipients, ...byRequest])].filter((recipient) => recipient !== request.senderId && !optedOut.has(recipient));
  if (recipients.length === 0) return { sent: 0, removed: 0, failed: [] };
  const [previews, devices] = await Promise.all([
    settings.settingsOf(recipients),
    (async () => {
      const found: PushDevice[] = [];
      await inPool(recipients, DELIVERY_CONCURRENCY, async (recipient) => {
        found.push(...(await registry.devicesOf(recipient)));
      });
      return found;
    })(),
  ]);
  const deliveries = devices.map((device) => ({ device, notification: notificationFor(request, previews.get(device.userId)!.pushPreviews) }));
  return sendDeliveries({ deliveries, registry, sender });
}

/**
 * What came of a retried delivery: sent (with the preview withheld when the recipient turned
 * previews off since), the device reported gone (and forgotten), or dropped unsent because the
 * device is no longer the recipient's.
 */
export type RetryOutcome = { readonly outcome: 'sent' | 'gone'; readonly previewWithheld: boolean } | { readonly outcome: 'unregistered' };

/**
 * Tries one failed delivery again, as things stand now rather than when it failed: a device its
 * user has since unregistered, or that was evicted or taken over by another user (a handed-on
 * phone), is not sent to, and a recipient who has since turned previews off gets the notification
 * without sender and text. Reading either fails the retry before anything is sent; a failed send
 * throws, to be retried again.
 */
export async function retryDelivery({
  delivery,
  registry,
  sender,
  settings,
}: PushDeliveryPorts & { readonly settings: UserSettingsStore; readonly delivery: PushDelivery }): Promise<RetryOutcome> {
  const { userId, deviceKey } = delivery.device;
  const [device, chosen] = await Promise.all([registry.deviceOf(userId, deviceKey), settings.settingsOf([userId])]);
  if (device === undefined) return { outcome: 'unregistered' };
  const { preview, ...withoutPreview } = delivery.notification;
  const previewWithheld = preview !== undefined && !chosen.get(userId)!.pushPreviews;
  const outcome = await sender.send(device, previewWithheld ? withoutPreview : delivery.notification);
  if (outcome === 'gone') await registry.remove(device);
  return { outcome, previewWithheld };
}
