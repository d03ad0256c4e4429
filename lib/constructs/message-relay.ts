import { Duration } from 'aws-cdk-lib';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import type { ChatStore } from './chat-store';
import type { ConnectionRegistry } from './connection-registry';
import { DeadLetterQueue } from './dead-letter-queue';
import type { MessagePipeline } from './message-pipeline';
import { MessengerFunction } from './messenger-function';
import type { PushNotifications } from './push-notifications';
import type { WebSocketGateway } from './websocket-gateway';

export interface MessageRelayProps {
  /** Whose threads table's stream of staged messages is the outbox. */
  readonly chat: ChatStore;
  /** Where messages go to history. */
  readonly pipeline: MessagePipeline;
  /** Whose live connections messages are delivered to, through the gateway. */
  readonly connections: ConnectionRegistry;
  readonly gateway: WebSocketGateway;
  /** Where members with no live connection are pushed. */
  readonly push: PushNotifications;
}

/**
 * The outbox relay: a function on the threads table's stream of staged messages that carries
 * everything after a send's commit (history, delivery and push where the send did not finish
 * them, members' thread rows), so that a send whose function dies after the commit loses
 * nothing (lambdas/domain/chat/outbox-relay.ts).
 */
export class MessageRelay extends Construct {
  public readonly relayFunction: MessengerFunction;
  /** Stream batches the relay failed on after its retries (their shard and range). */
  public readonly deadLetterQueue: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: MessageRelayProps) {
    super(scope, id);
    const { chat, pipeline, connections, gateway, push } = props;
    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetters', {
      alarmDescription:
        'The outbox relay failed after retries: some staged messages may not have reached history or members’ thread lists. See the function logs, then replay the shard range.',
    });
    this.relayFunction = new MessengerFunction(this, 'Function', {
      handler: 'outbox-relay',
      // Long enough for a big group's lease (about 5 s) and a relayed fan-out after it.
      timeout: Duration.seconds(60),
      environment: {
        ...chat.environment,
        ...gateway.connectionsEnvironment,
        CONNECTIONS_TABLE: connections.table.tableName,
        MESSAGE_QUEUE_URL: pipeline.queue.queueUrl,
        PUSH_TOPIC_ARN: push.topic.topicArn,
      },
    });
    this.relayFunction.addEventSource(
      new DynamoEventSource(chat.threads, {
        startingPosition: StartingPosition.LATEST,
        batchSize: 100,
        // A thread's rows move once for all its messages of the second, and a send's mark usually
        // arrives in the same batch as its message, sparing the relay the lease and the re-read. A
        // lone message's batch starts after its 1 s lease, so that a dead send is healed at once.
        maxBatchingWindow: Duration.seconds(1),
        // A batch waiting out a big group's lease holds up only its own share of the shard.
        parallelizationFactor: 10,
        reportBatchItemFailures: true,
        // An outbox never gives up on a message: a failing thread (SQS or DynamoDB down) is retried
        // until it goes through, holding its shard back in order; only records the stream expires
        // (after 24 hours) are described to the dead-letter queue.
        retryAttempts: -1,
        onFailure: new SqsDlq(this.deadLetterQueue.queue),
        // Staged messages only: new ones, and the marks of delivered ones; heads, memberships and released copies are not the relay's.
        filters: [
          FilterCriteria.filter({ eventName: FilterRule.or('INSERT', 'MODIFY'), dynamodb: { Keys: { sk: { S: FilterRule.beginsWith('msg#') } } } }),
        ],
      }),
    );
    chat.grantRelayMessages(this.relayFunction);
    pipeline.grantEnqueue(this.relayFunction);
    connections.grantLookup(this.relayFunction);
    gateway.grantPostToConnections(this.relayFunction);
    push.grantRequestPush(this.relayFunction);
  }
}
