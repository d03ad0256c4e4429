import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { shortTime } from '../format';
import type { Session, ShownMessage } from '../session';
import { BlockedBar, ChatMenu, RequestBar } from './consent-bars';
import { MembersPanel } from './MembersPanel';
import { presenceText } from './Presence';

const TICKS: Record<NonNullable<ShownMessage['status']>, { symbol: string; label: string }> = {
  sending: { symbol: '○', label: 'Sending' },
  sent: { symbol: '✓', label: 'Sent' },
  delivered: { symbol: '✓✓', label: 'Delivered' },
  read: { symbol: '✓✓', label: 'Read' },
  failed: { symbol: '!', label: 'Not sent' },
};

/** Closer than this to the bottom, the view follows new messages. */
const FOLLOW_PX = 48;

export function ChatView({ session, onBack, onAccepted }: { session: Session; onBack: () => void; onAccepted: () => void }) {
  const thread = session.openThread();
  const selection = session.selection!;
  const peer = thread ? session.peerOf(thread) : 'peer' in selection ? selection.peer : undefined;
  const title = thread ? session.titleOf(thread) : (peer ?? '');
  const isGroup = thread?.kind === 'group';
  const messages = session.messagesOfOpen();
  const typing = thread ? session.client.typingIn(thread.threadId) : [];
  const [showMembers, setShowMembers] = useState(false);
  const scroller = useRef<HTMLDivElement>(null);
  const follow = useRef(true);
  /** The scroll height before older messages were put on top, to keep the same ones in view. */
  const heightBeforeOlder = useRef<number>();
  const [loadingOlder, setLoadingOlder] = useState(false);
  /** Scrolling and the button can both ask before a render shows the first ask. */
  const olderInFlight = useRef(false);

  useLayoutEffect(() => {
    const element = scroller.current;
    if (element === null) return;
    if (heightBeforeOlder.current !== undefined) {
      // Older messages went on top: the ones in view stay in view.
      element.scrollTop += element.scrollHeight - heightBeforeOlder.current;
      heightBeforeOlder.current = element.scrollHeight;
      if (!loadingOlder) heightBeforeOlder.current = undefined;
    } else if (follow.current) {
      element.scrollTop = element.scrollHeight;
    }
  });

  const loadOlder = async () => {
    if (olderInFlight.current || !thread?.hasOlder) return;
    olderInFlight.current = true;
    heightBeforeOlder.current = scroller.current?.scrollHeight;
    setLoadingOlder(true);
    await session.loadOlder();
    olderInFlight.current = false;
    setLoadingOlder(false);
  };
  const onScroll = () => {
    const element = scroller.current!;
    follow.current = element.scrollHeight - element.scrollTop - element.clientHeight < FOLLOW_PX;
    if (element.scrollTop < FOLLOW_PX) void loadOlder();
  };
  /** A chat too short to scroll sends no scroll events: wheeling up at the top asks for older ones too. */
  const onWheel = (event: WheelEvent) => {
    if (event.deltaY < 0 && scroller.current!.scrollTop < FOLLOW_PX) void loadOlder();
  };

  const subtitle = isGroup ? `${thread!.members.length} members` : peer ? presenceText(session, peer) : '';
  const blocked = !isGroup && peer !== undefined && session.consent.isBlocked(peer);
  return (
    <section class="chat" aria-labelledby="chat-title">
      <header class="chat-header">
        <button type="button" class="back" aria-label="Back to conversations" onClick={onBack}>
          ←
        </button>
        <div class="chat-heading">
          <h2 id="chat-title">{title}</h2>
          <p class="subtitle">{subtitle}</p>
        </div>
        {isGroup && (
          <button type="button" aria-expanded={showMembers} aria-controls="members" onClick={() => setShowMembers(!showMembers)}>
            Members
          </button>
        )}
        {!isGroup && peer !== undefined && <ChatMenu session={session} peer={peer} />}
      </header>
      {isGroup && showMembers && <MembersPanel session={session} thread={thread!} />}
      <div class="scroller" ref={scroller} onScroll={onScroll} onWheel={onWheel}>
        {thread?.hasOlder && (
          <button type="button" class="older" disabled={loadingOlder} onClick={() => void loadOlder()}>
            {loadingOlder ? 'Loading…' : 'Load older messages'}
          </button>
        )}
        <ol class="messages" role="log" aria-live="polite" aria-label={`Messages in ${title}`}>
          {messages.map((message) => (
            <MessageRow key={message.key} message={message} own={message.senderId === session.userId} showSender={isGroup} />
          ))}
        </ol>
      </div>
      <p class="typing-indicator" aria-live="polite">
        {typing.length > 0 ? `${typing.join(', ')} ${typing.length === 1 ? 'is' : 'are'} typing…` : ''}
      </p>
      {thread?.request ? (
        <RequestBar session={session} thread={thread} title={title} peer={peer} onAccepted={onAccepted} />
      ) : (
        <>
          {blocked && <BlockedBar session={session} peer={peer!} />}
          {!blocked && peer !== undefined && session.consent.isUnavailable(peer) && (
            <p class="consent-bar" role="status">
              This person is unavailable right now.
            </p>
          )}
          <Composer
            key={thread?.threadId ?? peer}
            label={`Message to ${title}`}
            disabled={blocked}
            onSend={(text) => {
              follow.current = true;
              session.send(text);
            }}
            onTyping={() => session.typing()}
          />
        </>
      )}
    </section>
  );
}

function MessageRow({ message, own, showSender }: { message: ShownMessage; own: boolean; showSender: boolean }) {
  const tick = message.status && TICKS[message.status];
  return (
    <li class={`message ${own ? 'own' : 'theirs'}`}>
      <span class={showSender && !own ? 'sender' : 'sr-only'}>{own ? 'You' : message.senderId}: </span>
      <span class="text">{message.text}</span>
      <span class="meta">
        {message.sentAt !== undefined && <time dateTime={new Date(message.sentAt).toISOString()}>{shortTime(message.sentAt)}</time>}
        {tick && (
          <span class={`tick ${message.status}`} role="img" aria-label={tick.label} title={tick.label}>
            {tick.symbol}
          </span>
        )}
      </span>
    </li>
  );
}

/** Enter sends, Shift+Enter starts a new line. */
function Composer({ label, disabled, onSend, onTyping }: { label: string; disabled: boolean; onSend: (text: string) => void; onTyping: () => void }) {
  const [text, setText] = useState('');
  const send = () => {
    if (text.trim() === '') return;
    onSend(text);
    setText('');
  };
  return (
    <form
      class="composer"
      onSubmit={(event) => {
        event.preventDefault();
        send();
      }}
    >
      <textarea
        rows={1}
        aria-label={label}
        placeholder={disabled ? 'You can’t reply to this conversation' : 'Message'}
        disabled={disabled}
        autoFocus
        maxLength={4000}
        value={text}
        onInput={(event) => {
          setText(event.currentTarget.value);
          onTyping();
        }}
        onKeyDown={(event) => {
          if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
            event.preventDefault();
            send();
          }
        }}
      />
      <button type="submit" disabled={disabled || text.trim() === ''}>
        Send
      </button>
    </form>
  );
}
