import type { UserSettings } from '../../protocol/server-frames';

export type { UserSettings };

/**
 * A user who never changed a setting: seen online by anyone, previews shown, and message requests
 * pushed. The presence audience and request notifications default to what the client contract
 * promises every client (subscribePresence answers anyone's state; every offline member of a
 * thread is pushed each message); Messenger's stricter behaviour is one setting away.
 */
export const DEFAULT_SETTINGS: UserSettings = { activeStatus: true, pushPreviews: true, presenceAudience: 'everyone', requestNotifications: true };

/** Each user's settings, one record per user; a user without one has the defaults. */
export interface UserSettingsStore {
  /** The users' settings, defaults filled in, keyed by user id (every id asked for is in the answer). */
  settingsOf(userIds: readonly string[]): Promise<Map<string, UserSettings>>;
  /** Changes the given settings and returns them as they were before and are now. */
  update(userId: string, changes: Partial<UserSettings>): Promise<{ readonly before: UserSettings; readonly after: UserSettings }>;
}
