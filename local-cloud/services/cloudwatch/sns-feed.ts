import type { TopicActivity } from '../sns/sns-server';
import type { MetricStore } from './metric-store';

/**
 * A topic's metrics (namespace AWS/SNS, by TopicName): NumberOfMessagesPublished and PublishSize
 * (bytes) per message published, NumberOfNotificationsDelivered per delivery to a subscription,
 * NumberOfNotificationsFailed per message a subscription gave up on (for a function SNS counts it
 * once, however many attempts it made).
 */
export function putTopicActivity(store: MetricStore, activity: TopicActivity): void {
  const dimensions = { TopicName: activity.topicArn.slice(activity.topicArn.lastIndexOf(':') + 1) };
  const put = (metricName: string, value: number) => store.put({ namespace: 'AWS/SNS', metricName, dimensions }, value, activity.at);
  switch (activity.kind) {
    case 'published':
      put('NumberOfMessagesPublished', 1);
      return put('PublishSize', activity.bytes);
    case 'delivered':
      return put('NumberOfNotificationsDelivered', 1);
    case 'failed':
      return put('NumberOfNotificationsFailed', 1);
  }
}
