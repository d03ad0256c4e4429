import type { UserSettings } from '../../protocol/server-frames';

export type { UserSettings };

/** A user who never changed a setting: seen online by their contacts, and previews shown (as Messenger does). */
export const DEFAULT_SETTINGS: UserSettings = { activeStatus: true, pushPreviews: true };

/** Each user's settings, one record per user; a user without one has the defaults. */
export interface UserSettingsStore {
  /** The users' settings, defaults filled in, keyed by user id (every id asked for is in the answer). */
  settingsOf(userIds: readonly string[]): Promise<Map<string, UserSettings>>;
  /** Changes the given settings and returns them as they were before and are now. */
  update(userId: string, changes: Partial<UserSettings>): Promise<{ readonly before: UserSettings; readonly after: UserSettings }>;
}
