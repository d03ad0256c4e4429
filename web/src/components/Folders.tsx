import type { Session } from '../session';
import { ThreadList } from './ThreadList';

export type Folder = 'chats' | 'requests';

const FOLDERS: ReadonlyArray<{ id: Folder; label: string; empty: string }> = [
  { id: 'chats', label: 'Chats', empty: 'No conversations yet.' },
  { id: 'requests', label: 'Requests', empty: 'No message requests. Messages from people you haven’t accepted land here.' },
];

/**
 * The chats and the message requests, as two tabs (Messenger keeps requests in a folder of their
 * own). Arrow keys, Home and End move between the tabs, as the ARIA tabs pattern has it.
 */
export function Folders({ session, folder, onChoose, onOpen }: { session: Session; folder: Folder; onChoose: (folder: Folder) => void; onOpen: (threadId: string) => void }) {
  const requests = session.requests();
  const shown = FOLDERS.find(({ id }) => id === folder)!;
  const choose = (id: Folder) => {
    onChoose(id);
    requestAnimationFrame(() => document.getElementById(`folder-tab-${id}`)?.focus());
  };
  const onKeyDown = (event: KeyboardEvent) => {
    const index = FOLDERS.findIndex(({ id }) => id === folder);
    const next = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: FOLDERS.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    choose(FOLDERS[(next + FOLDERS.length) % FOLDERS.length].id);
  };
  return (
    <>
      <div class="folders" role="tablist" aria-label="Folders" onKeyDown={onKeyDown}>
        {FOLDERS.map(({ id, label }) => (
          <button
            key={id}
            type="button"
            role="tab"
            id={`folder-tab-${id}`}
            aria-selected={id === folder}
            aria-controls="folder-panel"
            tabIndex={id === folder ? 0 : -1}
            onClick={() => onChoose(id)}
          >
            {label}
            {id === 'requests' && requests.length > 0 && (
              <span class="badge">
                <span aria-hidden="true">{requests.length}</span>
                <span class="sr-only"> ({requests.length} new)</span>
              </span>
            )}
          </button>
        ))}
      </div>
      <div class="folder" role="tabpanel" id="folder-panel" aria-labelledby={`folder-tab-${folder}`}>
        <ThreadList session={session} threads={folder === 'chats' ? session.threads() : requests} empty={shown.empty} onOpen={onOpen} />
      </div>
    </>
  );
}
