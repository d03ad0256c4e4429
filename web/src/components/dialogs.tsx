import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Session } from '../session';

const USER_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** User ids typed with commas or spaces between them; invalid ones are left out. */
export function parseUserIds(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter((userId) => USER_ID.test(userId)))];
}

/** A modal dialog: focus moves into it, Escape closes it, focus returns to where it was. */
export function Dialog({ title, submitLabel = title, onClose, onSubmit, children }: { title: string; submitLabel?: string; onClose: () => void; onSubmit: () => void; children: ComponentChildren }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current!;
    const returnFocus = document.activeElement as HTMLElement | null;
    element.showModal();
    return () => returnFocus?.focus();
  }, []);
  return (
    <dialog ref={dialog} aria-labelledby="dialog-title" onClose={onClose}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          onSubmit();
        }}
      >
        <h2 id="dialog-title">{title}</h2>
        {children}
        <div class="dialog-actions">
          <button type="button" class="link" onClick={onClose}>
            Cancel
          </button>
          <button type="submit">{submitLabel}</button>
        </div>
      </form>
    </dialog>
  );
}

export function NewChatDialog({ session, onClose }: { session: Session; onClose: () => void }) {
  const [peer, setPeer] = useState('');
  return (
    <Dialog
      title="Start chat"
      onClose={onClose}
      onSubmit={() => {
        if (!USER_ID.test(peer) || peer === session.userId) return;
        onClose();
        void session.open({ peer });
      }}
    >
      <label for="chat-peer">User id</label>
      <input id="chat-peer" required pattern="[A-Za-z0-9_\-]{1,64}" value={peer} onInput={(event) => setPeer(event.currentTarget.value.trim())} />
    </Dialog>
  );
}

export function NewGroupDialog({ session, onClose }: { session: Session; onClose: () => void }) {
  const [name, setName] = useState('');
  const [members, setMembers] = useState('');
  const [earlierMessages, setEarlierMessages] = useState(true);
  return (
    <Dialog
      title="Create group"
      onClose={onClose}
      onSubmit={() => {
        const userIds = parseUserIds(members).filter((userId) => userId !== session.userId);
        if (name.trim() === '') return;
        onClose();
        const historyForNewMembers = earlierMessages ? 'all' : 'sinceJoined';
        void session.act((client) => client.createGroup(name.trim(), userIds, { historyForNewMembers })).then((thread) => thread && session.open({ threadId: thread.threadId }));
      }}
    >
      <label for="group-name">Group name</label>
      <input id="group-name" required maxLength={100} value={name} onInput={(event) => setName(event.currentTarget.value)} />
      <label for="group-members">Members</label>
      <input id="group-members" aria-describedby="group-members-hint" value={members} onInput={(event) => setMembers(event.currentTarget.value)} />
      <p id="group-members-hint" class="hint">
        User ids, separated by commas or spaces.
      </p>
      <label class="check">
        <input type="checkbox" checked={earlierMessages} onChange={(event) => setEarlierMessages(event.currentTarget.checked)} />
        People added later see earlier messages
      </label>
    </Dialog>
  );
}

/** Asks before blocking, and says what a block does (and that the other person is not told). */
export function BlockDialog({ session, userId, onClose }: { session: Session; userId: string; onClose: () => void }) {
  return (
    <Dialog
      title={`Block ${userId}?`}
      submitLabel="Block"
      onClose={onClose}
      onSubmit={() => {
        onClose();
        void session.perform(() => session.consent.block(userId));
      }}
    >
      <p>
        {userId} won’t be able to message you, add you to groups, see when you’re active or see you typing. They won’t be told that you blocked them.
      </p>
    </Dialog>
  );
}
