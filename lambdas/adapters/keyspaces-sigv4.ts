import { createHash, createHmac } from 'node:crypto';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import type { auth as authTypes } from 'cassandra-driver';
import { auth } from '../shared/cassandra-driver';

const SERVICE = 'cassandra';

// The driver checks `instanceof` against these runtime classes, which its typings declare as interfaces.
const runtimeAuth = auth as unknown as Record<'Authenticator' | 'AuthProvider', new () => object>;
const AuthenticatorBase = runtimeAuth.Authenticator as new () => authTypes.Authenticator;
const AuthProviderBase = runtimeAuth.AuthProvider as new () => authTypes.AuthProvider;

function sha256Hex(data: string): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/**
 * The answer to Amazon Keyspaces' SigV4 challenge: a SigV4 signature of a fixed `PUT /authenticate`
 * request whose payload is the server's nonce. Keyspaces documents the scheme with its
 * authentication plugins; this is the same computation on Node's own crypto, without the plugin's
 * dependency on the AWS SDK v2.
 */
export function signKeyspacesChallenge(
  nonce: string,
  region: string,
  credentials: AwsCredentialIdentity,
  date: Date,
): string {
  const amzDate = date.toISOString();
  const day = amzDate.slice(0, 10).replace(/-/g, '');
  const scope = `${day}/${region}/${SERVICE}/aws4_request`;
  const query = [
    'X-Amz-Algorithm=AWS4-HMAC-SHA256',
    `X-Amz-Credential=${credentials.accessKeyId}%2F${encodeURIComponent(scope)}`,
    `X-Amz-Date=${encodeURIComponent(amzDate)}`,
    'X-Amz-Expires=900',
  ]
    .sort()
    .join('&');
  const canonicalRequest = `PUT\n/authenticate\n${query}\nhost:${SERVICE}\n\nhost\n${sha256Hex(nonce)}`;
  const stringToSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256Hex(canonicalRequest)}`;
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), region), SERVICE), 'aws4_request');
  const signature = createHmac('sha256', signingKey).update(stringToSign).digest('hex');
  const session = credentials.sessionToken ? `,session_token=${credentials.sessionToken}` : '';
  return `signature=${signature},access_key=${credentials.accessKeyId},amzdate=${amzDate}${session}`;
}

class SigV4Authenticator extends AuthenticatorBase {
  constructor(
    private readonly region: string,
    private readonly credentials: AwsCredentialIdentityProvider,
  ) {
    super();
  }

  initialResponse(callback: (error: Error | null, response?: Buffer) => void): void {
    callback(null, Buffer.from('SigV4\0\0', 'utf8'));
  }

  onAuthenticationSuccess(): void {}

  evaluateChallenge(challenge: Buffer, callback: (error: Error | null, response?: Buffer) => void): void {
    const nonce = /nonce=([^,]+)/.exec(challenge.toString())?.[1];
    if (nonce === undefined) {
      callback(new Error('Keyspaces sent a SigV4 challenge without a nonce'));
      return;
    }
    this.credentials().then(
      (credentials) => callback(null, Buffer.from(signKeyspacesChallenge(nonce, this.region, credentials, new Date()))),
      (error: Error) => callback(error),
    );
  }
}

/** Authenticates to Amazon Keyspaces with the function's IAM role (SigV4), not with stored passwords. */
export class KeyspacesSigV4AuthProvider extends AuthProviderBase {
  constructor(
    private readonly region: string,
    private readonly credentials: AwsCredentialIdentityProvider,
  ) {
    super();
  }

  newAuthenticator(): authTypes.Authenticator {
    return new SigV4Authenticator(this.region, this.credentials);
  }
}
