import type { PushDeviceRegistry, PushSender } from './ports';
import type { PushRequest } from './push';

/** Recipients handled at once, so that a large group neither floods the push services nor the registry. */
const RECIPIENT_CONCURRENCY = 16;

export interface PushDeliveryReport {
  readonly sent: number;
  /** Devices the push services reported gone, which were removed from the registry. */
  readonly removed: number;
}

/**
 * Sends one notification to every registered device of every recipient, and forgets the devices
 * the push services say are gone. A failure to reach a device fails the whole request, so that it
 * is retried (sending again to a device that already got it is the lesser harm than losing it).
 */
export async function deliverPush({
  registry,
  sender,
  ...request
}: PushRequest & { readonly registry: PushDeviceRegistry; readonly sender: PushSender }): Promise<PushDeliveryReport> {
  const notification = { senderId: request.senderId, threadId: request.threadId, seq: request.seq, preview: request.preview };
  let sent = 0;
  let removed = 0;
  const recipients = [...new Set(request.recipients)].filter((recipient) => recipient !== request.senderId);
  for (let start = 0; start < recipients.length; start += RECIPIENT_CONCURRENCY) {
    await Promise.all(
      recipients.slice(start, start + RECIPIENT_CONCURRENCY).map(async (recipient) => {
        for (const device of await registry.devicesOf(recipient)) {
          if ((await sender.send(device, notification)) === 'sent') {
            sent += 1;
          } else {
            await registry.remove(device);
            removed += 1;
          }
        }
      }),
    );
  }
  return { sent, removed };
}
