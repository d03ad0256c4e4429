import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ChatStore } from './constructs/chat-store';
import { ConnectionRegistry } from './constructs/connection-registry';
import { HistoryStore } from './constructs/history-store';
import { Identity, type TokenIssuer } from './constructs/identity';
import { MessagePipeline } from './constructs/message-pipeline';
import { MessageRelay } from './constructs/message-relay';
import { MessengerFunction } from './constructs/messenger-function';
import { Monitoring } from './constructs/monitoring';
import { Presence } from './constructs/presence';
import { UserSettings } from './constructs/user-settings';
import { PushNotifications, type PushPlatformApplications } from './constructs/push-notifications';
import { WebSocketGateway } from './constructs/websocket-gateway';

/** The client actions (docs/protocol.md) that the chat function serves. */
const CHAT_ACTIONS = [
  'sendMessage',
  'ack',
  'createGroup',
  'addMembers',
  'removeMember',
  'updateGroup',
  'listThreads',
  'blockUser',
  'unblockUser',
  'listBlocks',
  'acceptRequest',
  'declineRequest',
] as const;

export interface MessengerStackProps extends StackProps {
  /**
   * Accept tokens from this issuer instead of the stack's Cognito user pool (the local cloud
   * signs its own).
   * @default the user pool's ID tokens
   */
  readonly externalTokenIssuer?: TokenIssuer;
  /**
   * Seconds without a frame after which a connection counts as stale. API Gateway closes idle
   * connections after 10 minutes; the local cloud shortens this for its tests.
   * @default 600
   */
  readonly idleTimeoutSeconds?: number;
  /**
   * The SNS platform applications for APNs and FCM, which CloudFormation cannot create.
   * @default none: no device can register for push
   */
  readonly pushPlatformApplications?: PushPlatformApplications;
  /**
   * Members a group may hold.
   * @default 1024
   */
  readonly maxGroupMembers?: number;
  /**
   * Whether the stack sets API Gateway's CloudWatch Logs role for the account and region, which the
   * stage's logs need; false when another stack there already set it.
   * @default true
   */
  readonly setApiGatewayAccountLogRole?: boolean;
  /**
   * An address the alarm topic emails (after it confirms the subscription).
   * @default none: subscribe to the alarm topic yourself
   */
  readonly alarmEmail?: string;
  /**
   * How long, in seconds, a message may wait for history before the history-lag alarm fires.
   * @default 300
   */
  readonly historyLagAlarmSeconds?: number;
  /**
   * Groups one user may create an hour.
   * @default the functions' own: 20 (lambdas/domain/budget.ts)
   */
  readonly groupsCreatedPerHour?: number;
}

/** API Gateway's longest wait for an integration; a function behind a route must be done before it. */
const GATEWAY_INTEGRATION_TIMEOUT_SECONDS = 29;

/** The messenger: WebSocket API, its Lambdas, and the stores behind them. */
export class MessengerStack extends Stack {
  public readonly identity: Identity;
  public readonly connections: ConnectionRegistry;
  public readonly gateway: WebSocketGateway;
  public readonly history: HistoryStore;
  public readonly messagePipeline: MessagePipeline;
  public readonly push: PushNotifications;
  public readonly chat: ChatStore;
  public readonly relay: MessageRelay;
  public readonly presence: Presence;
  public readonly settings: UserSettings;
  public readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: MessengerStackProps = {}) {
    super(scope, id, props);

    this.identity = new Identity(this, 'Identity', { externalTokenIssuer: props.externalTokenIssuer });
    this.connections = new ConnectionRegistry(this, 'Connections');

    const connectionEnvironment = {
      CONNECTIONS_TABLE: this.connections.table.tableName,
      IDLE_TIMEOUT_SECONDS: String(props.idleTimeoutSeconds ?? 600),
    };
    // Memory sizing rule (docs/benchmark.md): the smallest size whose CPU adds at most 50 ms to its part of the handshake.
    const connect = new MessengerFunction(this, 'Connect', { handler: 'connect', memorySize: 256, environment: connectionEnvironment });
    const disconnect = new MessengerFunction(this, 'Disconnect', { handler: 'disconnect', environment: connectionEnvironment });
    const unknownAction = new MessengerFunction(this, 'UnknownAction', { handler: 'default' });
    const presence = new MessengerFunction(this, 'PresenceActions', { handler: 'presence', environment: connectionEnvironment });

    this.connections.grantOpen(connect);
    this.connections.grantClose(disconnect);

    this.gateway = new WebSocketGateway(this, 'Gateway', {
      tokenIssuer: this.identity.tokenIssuer,
      connectHandler: connect,
      disconnectHandler: disconnect,
      defaultHandler: unknownAction,
      setAccountLogRole: props.setApiGatewayAccountLogRole,
      groupsCreatedPerHour: props.groupsCreatedPerHour,
    });
    this.gateway.addAction('ping', presence);

    // A connection lasts as long as its token: the sweep closes those whose token expired
    // unrenewed, and `renewToken` moves a connection's end to a fresh token's expiry.
    const sweeper = this.connections.staleConnectionSweeper;
    for (const [name, value] of Object.entries(this.gateway.connectionsEnvironment)) sweeper.addEnvironment(name, value);
    this.gateway.grantCloseConnections(sweeper);
    // Whether a stale connection is still open decides whether it stays on its user's list.
    this.gateway.grantConnectionStatus(sweeper);
    const renewToken = new MessengerFunction(this, 'RenewToken', {
      handler: 'renew-token',
      environment: { ...connectionEnvironment, ...this.gateway.tokenEnvironment, ...this.gateway.connectionsEnvironment },
    });
    this.connections.grantKeepAlive(renewToken);
    // Asks the gateway whether a connection whose record is gone is still open.
    this.gateway.grantConnectionStatus(renewToken);
    this.gateway.addAction('renewToken', renewToken);

    this.history = new HistoryStore(this, 'History');
    this.messagePipeline = new MessagePipeline(this, 'MessagePipeline', { history: this.history });
    this.settings = new UserSettings(this, 'UserSettings');
    this.push = new PushNotifications(this, 'Push', { platformApplications: props.pushPlatformApplications, settings: this.settings });

    this.chat = new ChatStore(this, 'Chat');
    const chat = new MessengerFunction(this, 'ChatActions', {
      handler: 'chat',
      // Memory sizing rule (docs/benchmark.md): the smallest size whose CPU adds at most 50 ms to a 1:1 arrival.
      memorySize: 512,
      // The longest a group's fan-out may take, and still within the gateway's wait.
      timeout: Duration.seconds(GATEWAY_INTEGRATION_TIMEOUT_SECONDS - 1),
      environment: {
        ...this.chat.environment,
        ...this.gateway.connectionsEnvironment,
        CONNECTIONS_TABLE: this.connections.table.tableName,
        MAX_GROUP_MEMBERS: String(props.maxGroupMembers ?? 1024),
        IDLE_TIMEOUT_SECONDS: connectionEnvironment.IDLE_TIMEOUT_SECONDS,
        PUSH_TOPIC_ARN: this.push.topic.topicArn,
      },
    });
    this.chat.grantSendMessages(chat);
    this.chat.grantRecordReceipts(chat);
    this.chat.grantManageGroups(chat);
    this.chat.grantListThreads(chat);
    this.chat.grantManageConsent(chat);
    this.connections.grantLookup(chat);
    this.connections.grantKeepAlive(chat);
    this.push.grantRequestPush(chat);
    this.gateway.grantPostToConnections(chat);
    this.gateway.grantConnectionStatus(chat);
    for (const action of CHAT_ACTIONS) this.gateway.addAction(action, chat);

    // Everything after a send's commit survives the send: the relay carries it from the outbox.
    this.relay = new MessageRelay(this, 'Relay', {
      chat: this.chat,
      pipeline: this.messagePipeline,
      connections: this.connections,
      gateway: this.gateway,
      push: this.push,
    });
    // History takes a message, then the persistence function releases its staged copy.
    this.messagePipeline.persistFunction.addEnvironment('THREADS_TABLE', this.chat.threads.tableName);
    this.chat.grantReleaseStagedMessages(this.messagePipeline.persistFunction);

    // History reads have a function of their own: only it carries the Cassandra driver.
    const getMessages = new MessengerFunction(this, 'GetMessages', {
      handler: 'get-messages',
      // Memory sizing rule (docs/benchmark.md): not measured by the benchmark, so it keeps the size it had.
      memorySize: 256,
      environment: { ...this.chat.environment, ...this.history.environment, ...connectionEnvironment, ...this.gateway.connectionsEnvironment },
    });
    // Asks the gateway whether a connection whose record is gone is still open.
    this.gateway.grantConnectionStatus(getMessages);
    this.chat.grantReadThreads(getMessages);
    this.history.grantReadMessages(getMessages);
    this.connections.grantKeepAlive(getMessages);
    this.gateway.addAction('getMessages', getMessages);

    // Typing signals go to the other members: presence reads memberships and posts to connections.
    for (const [name, value] of Object.entries({ ...this.chat.environment, ...this.gateway.connectionsEnvironment })) {
      presence.addEnvironment(name, value);
    }
    this.chat.grantTypingSignals(presence);
    // Typing is hidden between users who blocked one another.
    this.chat.grantReadBlocks(presence);
    this.connections.grantKeepAlive(presence);
    this.connections.grantLookup(presence);
    this.gateway.grantPostToConnections(presence);
    this.gateway.grantConnectionStatus(presence);
    this.gateway.addAction('typing', presence);

    this.presence = new Presence(this, 'Presence', { connections: this.connections, gateway: this.gateway, chat: this.chat, settings: this.settings });
    for (const [name, value] of Object.entries({ ...this.presence.environment, ...this.settings.environment })) presence.addEnvironment(name, value);
    this.presence.grantSubscribe(presence);
    this.chat.grantFindSharedThreads(presence);
    this.settings.grantReadWrite(presence);
    for (const action of ['subscribePresence', 'getSettings', 'updateSettings']) this.gateway.addAction(action, presence);

    const pushDevices = new MessengerFunction(this, 'PushDevices', {
      handler: 'push-devices',
      environment: this.push.registrationEnvironment,
    });
    this.push.grantRegisterDevices(pushDevices);
    for (const action of ['registerPush', 'unregisterPush']) this.gateway.addAction(action, pushDevices);

    // Last: it watches every function, table, dead-letter queue and stream mapping made above.
    this.monitoring = new Monitoring(this, 'Monitoring', {
      messageQueue: this.messagePipeline.queue,
      pushTopic: this.push.topic,
      gateway: this.gateway,
      history: this.history,
      alarmEmail: props.alarmEmail,
      historyLagAlarmSeconds: props.historyLagAlarmSeconds,
    });
  }
}
