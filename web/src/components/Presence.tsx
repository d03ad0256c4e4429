import { lastSeen } from '../format';
import type { Session } from '../session';

/** A dot, green while the user is online; its label is what a screen reader says. */
export function PresenceDot({ session, userId }: { session: Session; userId: string }) {
  const presence = session.presenceOf(userId);
  const status = presence?.status ?? 'unknown';
  const label = status === 'online' ? 'online' : status === 'offline' ? lastSeen(presence?.lastSeen) : 'presence unknown';
  return <span class={`dot ${status}`} role="img" aria-label={label} title={label} />;
}

/** "online", or when the user was last seen. */
export function presenceText(session: Session, userId: string): string {
  const presence = session.presenceOf(userId);
  if (presence === undefined) return '';
  return presence.status === 'online' ? 'online' : lastSeen(presence.lastSeen);
}
