import type { Thread } from '@messenger/client';
import { useRef, useState } from 'preact/hooks';
import type { Session } from '../session';
import { BlockDialog } from './dialogs';

/**
 * A one-to-one chat's options: block or unblock the other person. A disclosure, not an ARIA menu:
 * its items are ordinary buttons in tab order; Escape closes it and focus goes back to its button.
 */
export function ChatMenu({ session, peer }: { session: Session; peer: string }) {
  const [expanded, setExpanded] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const toggle = useRef<HTMLButtonElement>(null);
  const close = () => {
    setExpanded(false);
    toggle.current?.focus();
  };
  const blocked = session.consent.isBlocked(peer);
  return (
    <div
      class="chat-menu"
      onKeyDown={(event) => {
        if (event.key === 'Escape' && expanded) {
          event.preventDefault();
          close();
        }
      }}
      onFocusOut={(event) => {
        // Tabbing or clicking away closes it.
        if (!(event.currentTarget as HTMLElement).contains(event.relatedTarget as Node | null)) setExpanded(false);
      }}
    >
      <button type="button" ref={toggle} class="icon" aria-label="Chat options" aria-expanded={expanded} aria-controls="chat-options" onClick={() => setExpanded(!expanded)}>
        ⋯
      </button>
      {expanded && (
        <div id="chat-options" class="menu-items">
          {blocked ? (
            <button
              type="button"
              onClick={() => {
                close();
                void session.perform(() => session.consent.unblock(peer));
              }}
            >
              Unblock {peer}
            </button>
          ) : (
            <button
              type="button"
              class="danger"
              onClick={() => {
                setExpanded(false);
                setConfirming(true);
              }}
            >
              Block {peer}
            </button>
          )}
        </div>
      )}
      {confirming && (
        <BlockDialog
          session={session}
          userId={peer}
          onClose={() => {
            setConfirming(false);
            toggle.current?.focus();
          }}
        />
      )}
    </div>
  );
}

/**
 * Instead of the composer while a thread is a message request: accept (it moves to the chats),
 * decline (it goes), or block the sender. The sender sees no "read" until the user accepts.
 */
export function RequestBar({ session, thread, title, peer, onAccepted }: { session: Session; thread: Thread; title: string; peer: string | undefined; onAccepted: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const text =
    thread.kind === 'group'
      ? `You were added to ${title} by someone you haven’t accepted. Accept to join the conversation, or decline to leave the group.`
      : `${title} wants to send you a message. They won’t know you’ve seen it until you accept.`;
  return (
    <div class="request-bar" role="group" aria-label="Message request">
      <p>{text}</p>
      <div class="request-actions">
        <button type="button" onClick={() => void session.accept(thread.threadId).then((accepted) => accepted && onAccepted())}>
          Accept
        </button>
        <button type="button" class="secondary" onClick={() => void session.decline(thread.threadId)}>
          Decline
        </button>
        {peer !== undefined && (
          <button type="button" class="secondary danger-text" onClick={() => setConfirming(true)}>
            Block
          </button>
        )}
      </div>
      {confirming && peer !== undefined && <BlockDialog session={session} userId={peer} onClose={() => setConfirming(false)} />}
    </div>
  );
}

/** Above the disabled composer of a chat with someone the user blocked. */
export function BlockedBar({ session, peer }: { session: Session; peer: string }) {
  return (
    <div class="consent-bar" role="status">
      <span>You blocked {peer}. You can’t message each other in this chat.</span>
      <button type="button" class="link" onClick={() => void session.perform(() => session.consent.unblock(peer))}>
        Unblock
      </button>
    </div>
  );
}
