import type { UserSettings } from '@messenger/client';
import { useEffect, useState } from 'preact/hooks';
import type { Session } from '../session';
import { useSession } from './hooks';

type Saving = 'saving' | 'saved' | undefined;

/**
 * The user's privacy settings, read with `getSettings` when the panel opens and each saved with
 * `updateSettings` as soon as it changes (a refused change goes back), and the people they blocked.
 */
export function SettingsPanel({ session, onClose }: { session: Session; onClose: () => void }) {
  useSession(session);
  const [settings, setSettings] = useState<UserSettings>();
  const [saving, setSaving] = useState<Saving>();
  useEffect(() => {
    void session.perform(async () => setSettings(await session.client.getSettings()));
    if (!session.consent.blocksLoaded) void session.perform(() => session.consent.loadMoreBlocks());
  }, [session]);

  const change = (changes: Partial<UserSettings>) => {
    const before = settings!;
    setSettings({ ...before, ...changes });
    setSaving('saving');
    void session
      .perform(async () => setSettings(await session.client.updateSettings(changes)))
      .then((saved) => {
        if (!saved) setSettings(before);
        setSaving(saved ? 'saved' : undefined);
      });
  };
  const toggle = (key: 'activeStatus' | 'pushPreviews' | 'requestNotifications', label: string, hint: string) => (
    <div class="setting">
      <label class="check">
        <input type="checkbox" role="switch" checked={settings?.[key] ?? false} disabled={settings === undefined} aria-describedby={`${key}-hint`} onChange={(event) => change({ [key]: event.currentTarget.checked })} />
        {label}
      </label>
      <p id={`${key}-hint`} class="hint">
        {hint}
      </p>
    </div>
  );

  return (
    <section class="settings" aria-labelledby="settings-title">
      <header class="chat-header">
        <button type="button" class="back visible" aria-label="Close settings" onClick={onClose}>
          ←
        </button>
        <h2 id="settings-title">Settings</h2>
        <p class="saving" role="status">
          {saving === 'saving' ? 'Saving…' : saving === 'saved' ? 'Saved' : settings === undefined ? 'Loading settings…' : ''}
        </p>
      </header>
      <div class="settings-body">
        <fieldset>
          <legend>Active status</legend>
          {toggle('activeStatus', 'Show when you’re active', 'Off: nobody sees when you’re active or when you were last seen, and you don’t see theirs.')}
          <fieldset class="audience" disabled={settings === undefined}>
            <legend>Who sees your active status</legend>
            {(['everyone', 'threads'] as const).map((audience) => (
              <label key={audience} class="check">
                <input type="radio" name="presence-audience" checked={settings?.presenceAudience === audience} onChange={() => change({ presenceAudience: audience })} />
                {audience === 'everyone' ? 'Everyone' : 'Only people you chat with'}
              </label>
            ))}
          </fieldset>
        </fieldset>
        <fieldset>
          <legend>Notifications</legend>
          {toggle('pushPreviews', 'Show message previews', 'Off: notifications say only “New message”, with no name or text on the lock screen.')}
          {toggle('requestNotifications', 'Notify me of message requests', 'Off: nothing of a message request reaches your devices until you accept it.')}
        </fieldset>
        <BlockedPeople session={session} />
      </div>
    </section>
  );
}

/** Everyone the user blocked, a page at a time, each with Unblock. */
function BlockedPeople({ session }: { session: Session }) {
  const { consent } = session;
  const [loading, setLoading] = useState(false);
  const blocked = consent.blocked;
  const more = async () => {
    setLoading(true);
    await session.perform(() => consent.loadMoreBlocks());
    setLoading(false);
  };
  return (
    <section class="blocked" aria-labelledby="blocked-title">
      <h3 id="blocked-title">Blocked people</h3>
      {blocked.length === 0 ? (
        <p class="hint">{consent.blocksLoaded ? 'You haven’t blocked anyone.' : 'Loading…'}</p>
      ) : (
        <ul>
          {blocked.map((userId) => (
            <li key={userId}>
              <span class="member-name">{userId}</span>
              <button type="button" class="link" aria-label={`Unblock ${userId}`} onClick={() => void session.perform(() => consent.unblock(userId))}>
                Unblock
              </button>
            </li>
          ))}
        </ul>
      )}
      {consent.blocksLoaded && consent.moreBlocks && (
        <button type="button" class="link" disabled={loading} onClick={() => void more()}>
          {loading ? 'Loading…' : 'Show more'}
        </button>
      )}
    </section>
  );
}
