import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';

const KEY_ID = 'messenger-local-1';
export const LOCAL_AUDIENCE = 'messenger-local';
const USER_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The local stand-in for the user pool: signs RS256 tokens for any user and publishes its public
 * key as a JWKS. The key pair is kept in the data folder, so tokens outlive restarts.
 */
export class LocalIdentity {
  private constructor(
    private readonly privateKey: CryptoKey,
    private readonly publicJwk: JWK,
    public readonly issuerUrl: string,
  ) {}

  static async open(dataDir: string, issuerUrl: string): Promise<LocalIdentity> {
    const keyFile = path.join(dataDir, 'identity', 'signing-key.jwk.json');
    let privateJwk: JWK;
    if (existsSync(keyFile)) {
      privateJwk = JSON.parse(await readFile(keyFile, 'utf8')) as JWK;
    } else {
      const { privateKey } = await generateKeyPair('RS256', { extractable: true });
      privateJwk = { ...(await exportJWK(privateKey)), kid: KEY_ID, alg: 'RS256', use: 'sig' };
      await mkdir(path.dirname(keyFile), { recursive: true });
      await writeFile(keyFile, JSON.stringify(privateJwk), { mode: 0o600 });
    }
    const { kty, n, e, kid, alg, use } = privateJwk;
    const privateKey = (await importJWK(privateJwk, 'RS256')) as CryptoKey;
    return new LocalIdentity(privateKey, { kty, n, e, kid, alg, use }, issuerUrl);
  }

  get jwksUri(): string {
    return `${this.issuerUrl}/jwks.json`;
  }

  jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }

  /** A token whose `sub` is `userId`, valid for `expiresInSeconds`. */
  async issueToken(userId: string, expiresInSeconds: number): Promise<string> {
    if (!USER_ID.test(userId)) throw new RangeError('user must be 1-64 characters of A-Z, a-z, 0-9, _ or -');
    if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > 86_400) {
      throw new RangeError('expiresIn must be a whole number of seconds from 1 to 86400');
    }
    return new SignJWT({ token_use: 'id' })
      .setProtectedHeader({ alg: 'RS256', kid: this.publicJwk.kid, typ: 'JWT' })
      .setSubject(userId)
      .setIssuer(this.issuerUrl)
      .setAudience(LOCAL_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${expiresInSeconds}s`)
      .sign(this.privateKey);
  }
}
