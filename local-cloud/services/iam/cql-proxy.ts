/**
 * IAM for Keyspaces, in front of the Cassandra stand-in: a native-protocol proxy that plays
 * Keyspaces' SigV4 authenticator (a nonce challenge, answered with a SigV4 signature that names
 * the caller's access key), then checks every statement the connection runs (QUERY, PREPARE,
 * EXECUTE of a prepared id, each statement of a BATCH) as `cassandra:Select` or `cassandra:Modify`
 * on its table, and refuses the rest with an Unauthorized error before Cassandra sees them.
 */
import { randomBytes } from 'node:crypto';
import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { signKeyspacesChallenge } from '../../../lambdas/adapters/keyspaces-sigv4';
import { BodyReader, bytesBody, encodeFrame, ERROR_CODE, errorBody, FrameReader, OPCODE, responseTo, stringBody, type Frame, type ReceivedFrame } from './cql-frames';
import { answerOfErrorCode, type CqlRequestOutcome, type TableStatement } from './cql-requests';
import { cassandraTableArn, classifyCql, UnclassifiableStatementError, type CqlStatement } from './cql-statements';
import { accessDeniedMessage } from './denials';
import { LOCAL_SECRET_ACCESS_KEY, type EnforcerView } from './enforcer';
import type { FunctionPrincipal } from './principals';

export interface CqlIamProxyOptions {
  /** Cassandra's native port, `host:port`. */
  readonly upstream: string;
  readonly enforcer: EnforcerView;
  /** The region and account of the ARNs statements are checked on (and the region signatures name). */
  readonly placement: () => { readonly region: string; readonly account: string };
  readonly log: (message: string) => void;
  /** Told of each request that runs table statements, once it is answered (CloudWatch's AWS/Cassandra feed). */
  readonly observe?: (outcome: CqlRequestOutcome) => void;
}

export interface RunningCqlIamProxy {
  /** `127.0.0.1:PORT`, for `AWS_ENDPOINT_URL_KEYSPACES`. */
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** The signature's validity, as `X-Amz-Expires=900` in the signed request says. */
const SIGNATURE_LIFETIME_MS = 900_000;
const AUTHENTICATOR = 'com.amazonaws.cassandra.auth.SigV4Authenticator';

/** Skips the tracing id, warnings and custom payload a response's flags announce, to reach its body. */
function responseBody(frame: Frame): BodyReader {
  const reader = new BodyReader(frame.body);
  if (frame.flags & 0x02) reader.skip(16);
  if (frame.flags & 0x08) for (let n = reader.short(); n > 0; n--) reader.string();
  if (frame.flags & 0x04) for (let n = reader.short(); n > 0; n--) (reader.string(), reader.bytes());
  return reader;
}

class ProxiedConnection {
  private readonly fromClient = new FrameReader();
  private readonly fromUpstream = new FrameReader();
  private state: 'starting' | 'authenticating' | 'ready' = 'starting';
  private startupStream?: number;
  private nonce?: string;
  private principal?: FunctionPrincipal;
  private keyspace?: string;
  /** PREPAREs awaiting their result, by stream. */
  private readonly preparing = new Map<number, CqlStatement>();
  /**
   * Prepared statements this connection's principal was allowed to run: each EXECUTE of one is
   * not decided again. Only allows are kept (a refusal is decided and reported each time), and
   * only for this connection, whose principal and policies are fixed once it has authenticated.
   */
  private readonly allowed = new WeakSet<CqlStatement>();
  /** Requests running table statements, awaiting their answer, by stream. */
  private readonly running = new Map<number, { statements: TableStatement[]; startedAt: number; requestBytes: number }>();

  constructor(
    private readonly client: Socket,
    private readonly upstream: Socket,
    private readonly prepared: Map<string, CqlStatement>,
    private readonly options: CqlIamProxyOptions,
  ) {
    const fail = (error: Error) => {
      options.log(`Keyspaces IAM proxy: ${error.message}`);
      client.destroy();
      upstream.destroy();
    };
    // The frames of one chunk (a driver sends a batch's statements together) leave in one write
    // each way, not a write and a TCP segment apiece: the sockets are corked while a chunk is read.
    const readChunk = (frames: FrameReader, chunk: Buffer, onFrame: (frame: ReceivedFrame) => void) => {
      client.cork();
      upstream.cork();
      try {
        for (const frame of frames.push(chunk)) onFrame(frame);
      } catch (error) {
        fail(error as Error);
      } finally {
        client.uncork();
        upstream.uncork();
      }
    };
    client.on('data', (chunk: Buffer) => readChunk(this.fromClient, chunk, (frame) => this.onClientFrame(frame)));
    upstream.on('data', (chunk: Buffer) => readChunk(this.fromUpstream, chunk, (frame) => this.onUpstreamFrame(frame)));
    for (const socket of [client, upstream]) {
      socket.on('error', fail);
      socket.on('close', () => (socket === client ? upstream : client).end());
    }
  }

  private reply(request: Frame, opcode: number, body: Buffer): void {
    this.client.write(encodeFrame(responseTo(request, opcode, body)));
  }

  private refuse(request: Frame, code: number, message: string, unpreparedId?: Buffer): void {
    if (code === ERROR_CODE.UNAUTHORIZED) this.options.log(`IAM denied a Keyspaces statement: ${message}`);
    this.reply(request, OPCODE.ERROR, errorBody(code, message, unpreparedId));
  }

  private onClientFrame(frame: ReceivedFrame): void {
    if ((frame.version & 0x7f) === 5) {
      // Protocol v5 frames its messages differently after STARTUP; the driver falls back to v4 on this answer.
      return this.refuse(frame, ERROR_CODE.PROTOCOL, 'Invalid or unsupported protocol version (5)');
    }
    if (frame.opcode === OPCODE.STARTUP) {
      const reader = new BodyReader(frame.body);
      for (let n = reader.short(); n > 0; n--) {
        if (reader.string().toUpperCase() === 'COMPRESSION' && reader.string() !== '') {
          return this.refuse(frame, ERROR_CODE.PROTOCOL, 'the local Keyspaces IAM proxy reads statements, so it does not accept compression');
        }
      }
      this.startupStream = frame.stream;
    } else if (frame.opcode === OPCODE.AUTH_RESPONSE) {
      return this.authenticate(frame);
    } else if (this.state !== 'ready' && frame.opcode !== 0x05 /* OPTIONS */) {
      return this.refuse(frame, ERROR_CODE.PROTOCOL, 'authenticate first');
    } else if ([OPCODE.QUERY, OPCODE.PREPARE, OPCODE.EXECUTE, OPCODE.BATCH].includes(frame.opcode as never)) {
      if ((frame.flags & 0x01) !== 0) return this.refuse(frame, ERROR_CODE.PROTOCOL, 'compressed frames are not accepted');
      const startedAt = Date.now();
      const statements = this.authorize(frame);
      if (statements === undefined) return;
      const tableStatements = statements.filter((statement): statement is TableStatement => statement.kind === 'access');
      if (frame.opcode !== OPCODE.PREPARE && tableStatements.length > 0) this.running.set(frame.stream, { statements: tableStatements, startedAt, requestBytes: frame.body.length });
    }
    this.upstream.write(frame.bytes);
  }

  /** The statements a request runs; undefined once it has been answered (an id Cassandra must prepare again). */
  private statementsOf(frame: Frame): CqlStatement[] | undefined {
    const reader = new BodyReader(frame.body);
    const preparedStatement = (id: Buffer) => {
      const statement = this.prepared.get(id.toString('hex'));
      if (statement === undefined) this.refuse(frame, ERROR_CODE.UNPREPARED, 'Prepared statement unknown to the local IAM proxy', id);
      return statement;
    };
    switch (frame.opcode) {
      case OPCODE.QUERY:
        return [classifyCql(reader.longString(), this.keyspace)];
      case OPCODE.PREPARE: {
        const statement = classifyCql(reader.longString(), this.keyspace);
        this.preparing.set(frame.stream, statement);
        return [statement];
      }
      case OPCODE.EXECUTE: {
        const statement = preparedStatement(reader.shortBytes());
        return statement && [statement];
      }
      default: {
        reader.byte(); // batch type
        const statements: CqlStatement[] = [];
        for (let n = reader.short(); n > 0; n--) {
          const statement = reader.byte() === 0 ? classifyCql(reader.longString(), this.keyspace) : preparedStatement(reader.shortBytes());
          if (statement === undefined) return undefined;
          statements.push(statement);
          for (let values = reader.short(); values > 0; values--) reader.bytes();
        }
        return statements;
      }
    }
  }

  /** Checks every statement of a request: returns them, or answers and returns undefined when one is refused. */
  private authorize(frame: Frame): CqlStatement[] | undefined {
    let statements: CqlStatement[] | undefined;
    try {
      statements = this.statementsOf(frame);
    } catch (error) {
      if (!(error instanceof UnclassifiableStatementError)) throw error;
      this.refuse(frame, ERROR_CODE.UNAUTHORIZED, error.message);
      return undefined;
    }
    if (statements === undefined) return undefined;
    const { region, account } = this.options.placement();
    const { enforcer } = this.options;
    for (const statement of statements) {
      if (statement.kind === 'use' || this.allowed.has(statement)) continue;
      const arn = cassandraTableArn(region, account, statement.keyspace, statement.table);
      const decision = enforcer.decide(this.principal!, statement.action, arn);
      if (decision.allowed) {
        // A prepared statement is the same object at each EXECUTE; a QUERY's is new each time, so it is decided each time.
        if (frame.opcode === OPCODE.EXECUTE || frame.opcode === OPCODE.BATCH) this.allowed.add(statement);
        continue;
      }
      const reason = decision.reason === 'implicit' ? { kind: 'implicit' as const } : { kind: 'explicit' as const, policyKind: decision.policyKind };
      this.refuse(frame, ERROR_CODE.UNAUTHORIZED, accessDeniedMessage('keyspaces', this.principal!.sessionArn, statement.action, arn, reason));
      this.preparing.delete(frame.stream);
      if (frame.opcode !== OPCODE.PREPARE) this.report([statement], 'user-error', Date.now(), frame.body.length, 0);
      return undefined;
    }
    return statements;
  }

  private report(statements: TableStatement[], answer: CqlRequestOutcome['answer'], startedAt: number, requestBytes: number, responseBytes: number): void {
    const at = Date.now();
    this.options.observe?.({ statements, answer, latencyMs: at - startedAt, requestBytes, responseBytes, at });
  }

  /** Keyspaces' SigV4 exchange: `SigV4\0\0`, a nonce challenge, then the signature over it. */
  private authenticate(frame: Frame): void {
    if (this.state !== 'authenticating') return this.refuse(frame, ERROR_CODE.PROTOCOL, 'unexpected AUTH_RESPONSE');
    const token = new BodyReader(frame.body).bytes()?.toString('utf8') ?? '';
    if (this.nonce === undefined) {
      if (!token.startsWith('SigV4')) return this.refuse(frame, ERROR_CODE.BAD_CREDENTIALS, 'Authentication failure: expected a SigV4 initial response');
      this.nonce = randomBytes(16).toString('hex');
      return this.reply(frame, OPCODE.AUTH_CHALLENGE, bytesBody(Buffer.from(`nonce=${this.nonce}`)));
    }
    const fields = Object.fromEntries(token.split(',').map((field) => [field.slice(0, field.indexOf('=')), field.slice(field.indexOf('=') + 1)]));
    const principal = this.options.enforcer.principalFor(fields.access_key ?? '');
    const signedAt = new Date(fields.amzdate ?? '');
    const expected =
      principal &&
      !Number.isNaN(signedAt.getTime()) &&
      signKeyspacesChallenge(this.nonce, this.options.placement().region, { accessKeyId: principal.accessKeyId, secretAccessKey: LOCAL_SECRET_ACCESS_KEY }, signedAt);
    if (!expected || expected.split(',')[0] !== `signature=${fields.signature}` || Math.abs(Date.now() - signedAt.getTime()) > SIGNATURE_LIFETIME_MS) {
      return this.refuse(frame, ERROR_CODE.BAD_CREDENTIALS, 'Authentication failure: The security token included in the request is invalid.');
    }
    this.principal = principal;
    this.state = 'ready';
    this.reply(frame, OPCODE.AUTH_SUCCESS, bytesBody(undefined));
  }

  private onUpstreamFrame(frame: ReceivedFrame): void {
    if (frame.opcode === OPCODE.READY && this.state === 'starting' && frame.stream === this.startupStream) {
      // Cassandra runs without authentication; the proxy asks for Keyspaces' instead.
      this.state = 'authenticating';
      return void this.client.write(encodeFrame({ ...frame, opcode: OPCODE.AUTHENTICATE, body: stringBody(AUTHENTICATOR) }));
    }
    const request = this.running.get(frame.stream);
    if (request !== undefined && (frame.opcode === OPCODE.RESULT || frame.opcode === OPCODE.ERROR)) {
      this.running.delete(frame.stream);
      const answer = frame.opcode === OPCODE.RESULT ? 'ok' : answerOfErrorCode(responseBody(frame).int());
      this.report(request.statements, answer, request.startedAt, request.requestBytes, frame.body.length);
    }
    if (frame.opcode === OPCODE.RESULT) {
      const reader = responseBody(frame);
      const kind = reader.int();
      if (kind === 0x0003) this.keyspace = reader.string();
      const statement = this.preparing.get(frame.stream);
      if (kind === 0x0004 && statement !== undefined) this.prepared.set(reader.shortBytes().toString('hex'), statement);
    }
    this.preparing.delete(frame.stream);
    this.client.write(frame.bytes);
  }
}

export async function startCqlIamProxy(options: CqlIamProxyOptions): Promise<RunningCqlIamProxy> {
  const [host, port] = options.upstream.split(':');
  // Prepared ids are the server's, shared by every connection: whoever executes one is checked.
  const prepared = new Map<string, CqlStatement>();
  const sockets = new Set<Socket>();
  // Without TCP_NODELAY, Nagle's algorithm holds a small frame back until the previous one is
  // acknowledged, and the peer delays that ACK (40 ms on Linux): every statement of a function
  // that sends several at once waited about 40 ms here. Keyspaces answers in milliseconds.
  const server = createServer({ noDelay: true }, (client) => {
    const upstream = connect({ port: Number(port), host, noDelay: true });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    new ProxiedConnection(client, upstream, prepared, options);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    endpoint: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
