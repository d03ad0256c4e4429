import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { PushRequester } from '../domain/chat/ports';

/** Publishes push requests to the push topic of `lib/constructs/push-notifications.ts`. */
export class SnsPushRequester implements PushRequester {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async request(push: Parameters<PushRequester['request']>[0]): Promise<void> {
    await this.client.send(new PublishCommand({ TopicArn: this.topicArn, Message: JSON.stringify(push) }));
  }
}
