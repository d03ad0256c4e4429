import { EndpointDisabledException, InvalidParameterException, NotFoundException, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { PushSender } from '../domain/ports';
import { GENERIC_ALERT, type PushDevice, type PushNotification, type PushOutcome } from '../domain/push';

/**
 * The payload for each push service, as SNS expects it with `MessageStructure: json`: `default`
 * for any other, `APNS` (an `aps.alert` of title and body) and `GCM` (an FCM v1 message with a
 * `notification` of title and body). The thread and `seq` travel as data, so the app can open the
 * thread at that message; with a preview, so do the sender and the text. Without one, the alert is
 * GENERIC_ALERT and no field (shown or data) carries the sender or the text.
 */
export function platformPayload(device: PushDevice, notification: PushNotification): string {
  const { preview } = notification;
  const data = {
    threadId: notification.threadId,
    seq: String(notification.seq),
    ...(preview ? { senderId: preview.senderId, preview: preview.text } : {}),
  };
  const alert = preview ? { title: preview.senderId, body: preview.text } : { body: GENERIC_ALERT };
  const platformMessage =
    device.platform === 'apns'
      ? { APNS: JSON.stringify({ aps: { alert, sound: 'default', 'thread-id': notification.threadId }, ...data }) }
      : { GCM: JSON.stringify({ fcmV1Message: { message: { notification: alert, data } } }) };
  return JSON.stringify({ default: preview ? `${preview.senderId}: ${preview.text}` : GENERIC_ALERT, ...platformMessage });
}

/** Sends through the device's SNS platform endpoint. */
export class SnsPushSender implements PushSender {
  constructor(private readonly client: SNSClient) {}

  async send(device: PushDevice, notification: PushNotification): Promise<PushOutcome> {
    try {
      await this.client.send(
        new PublishCommand({ TargetArn: device.endpointArn, MessageStructure: 'json', Message: platformPayload(device, notification) }),
      );
      return 'sent';
    } catch (error) {
      // SNS disables an endpoint once the push service rejects its token; a deleted one is not found.
      if (error instanceof EndpointDisabledException || error instanceof NotFoundException) return 'gone';
      if (error instanceof InvalidParameterException && /endpoint/i.test(error.message)) return 'gone';
      throw error;
    }
  }
}
