import { EndpointDisabledException, InvalidParameterException, NotFoundException, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { PushSender } from '../domain/ports';
import type { PushDevice, PushNotification, PushOutcome } from '../domain/push';

/**
 * The payload for each push service, as SNS expects it with `MessageStructure: json`. The
 * notification's fields travel as data too, so the app can open the thread at `seq`.
 */
export function platformPayload(device: PushDevice, notification: PushNotification): string {
  const data = {
    senderId: notification.senderId,
    threadId: notification.threadId,
    seq: String(notification.seq),
    preview: notification.preview,
  };
  const alert = { title: notification.senderId, body: notification.preview };
  const platformMessage =
    device.platform === 'apns'
      ? { APNS: JSON.stringify({ aps: { alert, sound: 'default', 'thread-id': notification.threadId }, ...data }) }
      : { GCM: JSON.stringify({ fcmV1Message: { message: { notification: alert, data } } }) };
  return JSON.stringify({ default: `${notification.senderId}: ${notification.preview}`, ...platformMessage });
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
