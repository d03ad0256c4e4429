import { useEffect, useState } from 'preact/hooks';
import type { WebConfig } from '../config';
import { Session } from '../session';
import { ChatView } from './ChatView';
import { NewChatDialog, NewGroupDialog } from './dialogs';
import { useSession } from './hooks';
import { rateLimitText } from '../rate-limits';
import { Folders, type Folder } from './Folders';
import { SettingsPanel } from './SettingsPanel';

const USER_KEY = 'messenger.user';
const DEVICE_KEY = 'messenger.device';
const USER_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** This tab's device id: kept across reloads of the tab, new in every other tab (each tab is a device). */
function tabDeviceId(): string {
  let deviceId = sessionStorage.getItem(DEVICE_KEY);
  if (deviceId === null) {
    deviceId = `web-${crypto.randomUUID()}`;
    sessionStorage.setItem(DEVICE_KEY, deviceId);
  }
  return deviceId;
}

export function App({ config }: { config: WebConfig }) {
  const [user, setUser] = useState(() => sessionStorage.getItem(USER_KEY) ?? undefined);
  const [session, setSession] = useState<Session>();
  useEffect(() => {
    if (user === undefined) return;
    const started = new Session(user, tabDeviceId(), config);
    setSession(started);
    started.start().catch((error: Error) => console.warn('messenger:', error.message));
    return () => started.close();
  }, [user, config]);

  const signIn = (userId: string) => {
    sessionStorage.setItem(USER_KEY, userId);
    setUser(userId);
  };
  const signOut = () => {
    sessionStorage.removeItem(USER_KEY);
    setSession(undefined);
    setUser(undefined);
  };
  if (user === undefined) return <SignIn onSignIn={signIn} />;
  if (session === undefined || session.userId !== user) return <p class="loading">Connecting…</p>;
  return <Messenger session={session} onSignOut={signOut} />;
}

function SignIn({ onSignIn }: { onSignIn: (userId: string) => void }) {
  const [userId, setUserId] = useState('');
  const valid = USER_ID.test(userId);
  return (
    <main class="sign-in">
      <h1>Messenger</h1>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (valid) onSignIn(userId);
        }}
      >
        <label for="user-id">Your user id</label>
        <input
          id="user-id"
          name="user"
          autoComplete="username"
          autoFocus
          required
          pattern="[A-Za-z0-9_\-]{1,64}"
          aria-describedby="user-id-hint"
          value={userId}
          onInput={(event) => setUserId(event.currentTarget.value.trim())}
        />
        <p id="user-id-hint" class="hint">
          Any name of letters, digits, _ or -. The local cloud signs a development token for it.
        </p>
        <button type="submit" disabled={!valid}>
          Sign in
        </button>
      </form>
    </main>
  );
}

function Messenger({ session, onSignOut }: { session: Session; onSignOut: () => void }) {
  useSession(session);
  const [dialog, setDialog] = useState<'chat' | 'group'>();
  const [folder, setFolder] = useState<Folder>('chats');
  const [settingsOpen, setSettingsOpen] = useState(false);
  const selected = session.selection;
  const openThread = session.openThread();
  // A thread the user left, declined or was removed from closes.
  const showing = selected !== undefined && (openThread === undefined || session.threads().includes(openThread) || session.requests().includes(openThread));
  const open = (threadId: string) => {
    setSettingsOpen(false);
    void session.open({ threadId });
  };
  return (
    <div class="messenger" data-view={showing || settingsOpen ? 'chat' : 'list'}>
      <ConnectionBanner state={session.connection} />
      {session.notice && (
        <div class="notice" role="alert">
          <span>{session.notice}</span>
          <button type="button" onClick={() => session.dismissNotice()}>
            Dismiss
          </button>
        </div>
      )}
      <RateLimitNotice session={session} />
      <aside class="sidebar" aria-label="Conversations">
        <header class="sidebar-header">
          <h1>
            <span class="sr-only">Signed in as </span>
            {session.userId}
          </h1>
          <button type="button" class="link" aria-pressed={settingsOpen} onClick={() => setSettingsOpen(!settingsOpen)}>
            Settings
          </button>
          <button type="button" class="link" onClick={onSignOut}>
            Sign out
          </button>
        </header>
        <div class="actions">
          <button type="button" onClick={() => setDialog('chat')}>
            New chat
          </button>
          <button type="button" onClick={() => setDialog('group')}>
            New group
          </button>
        </div>
        <Folders session={session} folder={folder} onChoose={setFolder} onOpen={open} />
      </aside>
      <main class="chat-pane">
        {settingsOpen ? (
          <SettingsPanel session={session} onClose={() => setSettingsOpen(false)} />
        ) : showing ? (
          <ChatView session={session} onBack={() => back(session)} onAccepted={() => setFolder('chats')} />
        ) : (
          <p class="placeholder">Choose a conversation, or start one.</p>
        )}
      </main>
      {dialog === 'chat' && <NewChatDialog session={session} onClose={() => setDialog(undefined)} />}
      {dialog === 'group' && <NewGroupDialog session={session} onClose={() => setDialog(undefined)} />}
    </div>
  );
}

/** Over the budget: says what waits and for how long, counting down, without stopping anything. */
function RateLimitNotice({ session }: { session: Session }) {
  const limit = session.rateLimit.current;
  const [, setNow] = useState(0);
  useEffect(() => {
    if (limit === undefined) return;
    const tick = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(tick);
  }, [limit]);
  return (
    <div class={`rate-limit${limit ? ' visible' : ''}`} role="status" aria-live="polite">
      {limit ? rateLimitText(limit) : ''}
    </div>
  );
}

/** Closes the chat (on a phone: back to the list) and puts focus on the thread it showed. */
function back(session: Session): void {
  const threadId = session.openThread()?.threadId;
  void session.open(undefined);
  requestAnimationFrame(() => document.querySelector<HTMLElement>(`[data-thread-id="${threadId}"]`)?.focus());
}

/** Always in the page, so that screen readers announce its changes. */
function ConnectionBanner({ state }: { state: Session['connection'] }) {
  const text = state === 'reconnecting' ? 'Connection lost. Reconnecting…' : state === 'connecting' ? 'Connecting…' : state === 'closed' ? 'Disconnected.' : '';
  return (
    <div class={`banner${text ? ' visible' : ''}`} role="status" aria-live="assertive">
      {text}
    </div>
  );
}
