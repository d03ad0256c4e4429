import { renewConnectionToken, type ConnectionPolicy } from './connections';
import { BadRequestError, ForbiddenError } from './errors';
import type { ConnectionLiveness, ConnectionRegistry } from './ports';
import type { ServerFrameOf } from '../../protocol/server-frames';
import { TokenRejectedError, type TokenVerifier } from './tokens';

export interface TokenRenewal extends ConnectionPolicy {
  /** The connection renewing, as its authorizer context has it. */
  readonly caller: { readonly userId: string; readonly connectionId: string; readonly deviceId?: string };
  readonly token: string;
  readonly now: number;
  readonly verifier: TokenVerifier;
  readonly registry: ConnectionRegistry;
  readonly gateway: ConnectionLiveness;
}

/**
 * `renewToken`: a new token, checked as the authorizer checks one at `$connect`, for the same user,
 * moves the connection's end to the new token's expiry. Refused, the connection keeps its old end.
 */
export async function renewToken({ caller, token, now, verifier, ...ports }: TokenRenewal): Promise<ServerFrameOf<'tokenRenewed'>> {
  let verified;
  try {
    verified = await verifier.verify(token);
  } catch (error) {
    if (error instanceof TokenRejectedError) throw new BadRequestError('token is not valid: expired, badly signed, not for this messenger, or longer-lived than allowed');
    throw error;
  }
  if (verified.userId !== caller.userId) throw new ForbiddenError('the token is for another user than this connection');
  await renewConnectionToken({ ...caller, tokenExpiresAt: verified.expiresAt, now, ...ports });
  return { type: 'tokenRenewed', expiresAt: verified.expiresAt * 1000 };
}
