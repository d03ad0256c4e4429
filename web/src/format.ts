/** "14:05" today, "Mon 14:05" this week, "3 Nov" before. */
export function shortTime(epochMs: number, now = Date.now()): string {
  const date = new Date(epochMs);
  const time = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  if (new Date(now).toDateString() === date.toDateString()) return time;
  if (now - epochMs < 6 * 24 * 3600_000) return `${date.toLocaleDateString([], { weekday: 'short' })} ${time}`;
  return date.toLocaleDateString([], { day: 'numeric', month: 'short' });
}

/** "last seen just now", "last seen 5 min ago", "last seen 2 h ago", then the date. */
export function lastSeen(epochMs: number | undefined, now = Date.now()): string {
  if (epochMs === undefined) return 'offline';
  const minutes = Math.floor((now - epochMs) / 60_000);
  if (minutes < 1) return 'last seen just now';
  if (minutes < 60) return `last seen ${minutes} min ago`;
  if (minutes < 24 * 60) return `last seen ${Math.floor(minutes / 60)} h ago`;
  return `last seen ${shortTime(epochMs, now)}`;
}
