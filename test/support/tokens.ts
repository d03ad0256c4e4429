import { createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';

/** An RS256 signing key and the JWKS that publishes it, for tests that need real signatures. */
export class TestSigner {
  readonly privateKey: KeyObject;
  readonly jwks: { keys: object[] };

  constructor(readonly kid = 'test-key') {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = privateKey;
    this.jwks = { keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }] };
  }

  sign(claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const signingInput = `${encode({ alg: 'RS256', typ: 'JWT', kid: this.kid, ...header })}.${encode(claims)}`;
    const signature = createSign('RSA-SHA256').update(signingInput).sign(this.privateKey).toString('base64url');
    return `${signingInput}.${signature}`;
  }
}

/** Replaces the payload of a signed token, keeping its signature: a forgery. */
export function tamper(token: string, claims: Record<string, unknown>): string {
  const [header, , signature] = token.split('.');
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}
