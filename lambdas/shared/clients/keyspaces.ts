import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Client, policies, types } from '../cassandra-driver';
import { KeyspacesSigV4AuthProvider } from '../../adapters/keyspaces-sigv4';
import { StatementMeter } from '../statement-meter';
import * as z from '../../domain/schema';
import { env, loadConfig } from '../config';

/**
 * Amazon Keyspaces' endpoint is `cassandra.<region>.amazonaws.com:9142`, over TLS with SigV4.
 * `AWS_ENDPOINT_URL_KEYSPACES` (`host:port`) points the client at a self-managed Cassandra instead,
 * as `AWS_ENDPOINT_URL_<SERVICE>` does for the AWS SDK's clients: plain (no TLS), SigV4-signed as
 * on Keyspaces, and in Cassandra's default data center. The local cloud sets it to its IAM proxy
 * in front of its Cassandra.
 */
const config = loadConfig({
  AWS_REGION: env.name(),
  AWS_ENDPOINT_URL_KEYSPACES: z.optional(z.string().check(z.regex(/^[\w.-]+:\d{1,5}$/, 'must be host:port'))),
});

/**
 * A function lives minutes, not months: after an outage it should find the database again within
 * a second, not after the driver's default exponential backoff, while SQS redelivers its batch.
 */
const reconnection = () => new policies.reconnection.ConstantReconnectionPolicy(1000);

/**
 * Amazon Keyspaces' port. The driver dials every endpoint listed in `system.peers` (the Keyspaces
 * developer guide, "Optimize client driver connections") at `protocolOptions.port`, 9042 unless
 * set: the contact point's own port does not carry over to the peers.
 */
export const KEYSPACES_PORT = 9142;

/**
 * The driver's defaults (5 s to connect, 12 s for an answer) would let one slow read outlast the
 * history reader's 10 s timeout; these fail a read early enough for getMessages to fall back to
 * the staged copies and still answer within API Gateway's 29 s.
 */
export const socketOptions = { connectTimeout: 2000, readTimeout: 4000 } as const;

function keyspacesClient(region: string): Client {
  const host = `cassandra.${region}.amazonaws.com`;
  return new Client({
    contactPoints: [host],
    protocolOptions: { port: KEYSPACES_PORT },
    localDataCenter: region,
    sslOptions: { host, servername: host, rejectUnauthorized: true },
    authProvider: new KeyspacesSigV4AuthProvider(region, defaultProvider()),
    socketOptions,
    policies: { reconnection: reconnection() },
    queryOptions: { consistency: types.consistencies.localQuorum, prepare: true },
    requestTracker: new StatementMeter(),
  });
}

function selfManagedClient(endpoint: string): Client {
  return new Client({
    contactPoints: [endpoint],
    localDataCenter: 'datacenter1',
    socketOptions,
    // Signed as the function's role, which the local cloud's Keyspaces IAM proxy checks each statement against.
    authProvider: new KeyspacesSigV4AuthProvider(config.AWS_REGION, defaultProvider()),
    policies: { reconnection: reconnection() },
    queryOptions: { consistency: types.consistencies.localQuorum, prepare: true },
    requestTracker: new StatementMeter(),
  });
}

/** Created once per execution environment; the driver connects on first use. */
export const cassandraClient = config.AWS_ENDPOINT_URL_KEYSPACES
  ? selfManagedClient(config.AWS_ENDPOINT_URL_KEYSPACES)
  : keyspacesClient(config.AWS_REGION);
