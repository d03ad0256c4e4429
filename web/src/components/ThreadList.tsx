import type { Thread } from '@messenger/client';
import { shortTime } from '../format';
import type { Session } from '../session';
import { PresenceDot } from './Presence';

/** The chats, or the message requests: `threads` in order, `empty` when there are none. */
export function ThreadList({ session, threads, empty, onOpen }: { session: Session; threads: Thread[]; empty: string; onOpen: (threadId: string) => void }) {
  const openId = session.openThread()?.threadId;
  if (threads.length === 0) {
    return <p class="empty">{session.directory.loading ? 'Loading conversations…' : empty}</p>;
  }
  return (
    <ul class="threads">
      {threads.map((thread) => {
        const title = session.titleOf(thread);
        const peer = session.peerOf(thread);
        const last = thread.messages[thread.messages.length - 1];
        const unread = session.unreadIn(thread);
        const typing = session.client.typingIn(thread.threadId);
        const preview = typing.length > 0 ? `${typing.join(', ')} typing…` : last ? `${last.senderId === session.userId ? 'You: ' : thread.kind === 'group' ? `${last.senderId}: ` : ''}${last.text}` : thread.kind === 'group' ? 'New group' : '';
        return (
          <li key={thread.threadId}>
            <button type="button" class="thread" data-thread-id={thread.threadId} aria-current={thread.threadId === openId ? 'true' : undefined} onClick={() => onOpen(thread.threadId)}>
              <span class="avatar" aria-hidden="true">
                {title.slice(0, 1).toUpperCase()}
              </span>
              <span class="thread-main">
                <span class="thread-title">{title}</span>
                {peer !== undefined && <PresenceDot session={session} userId={peer} />}
                <span class={`thread-preview${typing.length > 0 ? ' typing' : ''}`}>{preview}</span>
              </span>
              <span class="thread-meta">
                {last && <time dateTime={new Date(last.sentAt).toISOString()}>{shortTime(last.sentAt)}</time>}
                {unread > 0 && (
                  <span class="badge">
                    <span aria-hidden="true">{unread}</span>
                    <span class="sr-only">{unread} unread</span>
                  </span>
                )}
              </span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}
