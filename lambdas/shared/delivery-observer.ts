import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DeliveryObserver } from '../domain/chat/ports';
import { logger, metrics } from './observability';

/**
 * How a message's delivery shows in logs and metrics (docs/operations.md lists them), the same
 * for the send's own delivery and for the outbox relay's, so that one alarm watches both. Only
 * the count of frames delivered is named apart, to tell how often the relay had to step in.
 */
export function deliveryObserver(deliveredBy: 'send' | 'relay'): DeliveryObserver {
  return {
    delivered(report) {
      // Counts of zero are left out: each metric is bytes of every send's log line (docs/operations.md, "Custom metrics").
      if (report.delivered > 0) metrics.addMetric(deliveredBy === 'relay' ? 'RelayedFramesDelivered' : 'FramesDelivered', MetricUnit.Count, report.delivered);
      if (report.gone > 0) metrics.addMetric('DeliveriesGone', MetricUnit.Count, report.gone);
      if (report.failed > 0) metrics.addMetric('DeliveriesFailed', MetricUnit.Count, report.failed);
      if (report.failed > 0) logger.warn('some deliveries failed', { ...report });
    },
    pushFailed(error) {
      metrics.addMetric('PushRequestsNotPublished', MetricUnit.Count, 1);
      logger.error('push request not published', { error: error as Error });
    },
    markFailed: (error) => logger.warn('staged message not marked delivered; it may be delivered again', { error: error as Error }),
  };
}
