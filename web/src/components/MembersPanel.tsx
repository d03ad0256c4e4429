import type { Thread } from '@messenger/client';
import { useState } from 'preact/hooks';
import type { Session } from '../session';
import { parseUserIds } from './dialogs';
import { PresenceDot, presenceText } from './Presence';

/** A group's members with their presence; admins add and remove, anyone leaves. */
export function MembersPanel({ session, thread }: { session: Session; thread: Thread }) {
  const [adding, setAdding] = useState('');
  // Listings do not say who the admins are: until a membership event tells, let the server decide.
  const mayManage = thread.admins.length === 0 || thread.admins.includes(session.userId);
  return (
    <section id="members" class="members" aria-label="Members">
      <ul>
        {thread.members.map((member) => (
          <li key={member}>
            <PresenceDot session={session} userId={member} />
            <span class="member-name">
              {member === session.userId ? `${member} (you)` : member}
              {thread.admins.includes(member) && <span class="role"> admin</span>}
            </span>
            <span class="member-presence">{member === session.userId ? '' : presenceText(session, member)}</span>
            {mayManage && member !== session.userId && (
              <button type="button" class="link" aria-label={`Remove ${member}`} onClick={() => void session.act((client) => client.removeMember(thread.threadId, member))}>
                Remove
              </button>
            )}
          </li>
        ))}
      </ul>
      {mayManage && (
        <form
          class="add-members"
          onSubmit={(event) => {
            event.preventDefault();
            const userIds = parseUserIds(adding);
            if (userIds.length === 0) return;
            void session.act((client) => client.addMembers(thread.threadId, userIds)).then((done) => done && setAdding(''));
          }}
        >
          <label for="add-member">Add members</label>
          <input id="add-member" value={adding} placeholder="user ids" onInput={(event) => setAdding(event.currentTarget.value)} />
          <button type="submit">Add</button>
        </form>
      )}
      {mayManage && <HistorySetting session={session} thread={thread} />}
      <button
        type="button"
        class="danger"
        onClick={() => {
          void session.act((client) => client.leave(thread.threadId)).then((left) => left && session.open(undefined));
        }}
      >
        Leave group
      </button>
    </section>
  );
}

type HistoryForNewMembers = NonNullable<Thread['historyForNewMembers']>;

const HISTORY_CHOICES: ReadonlyArray<{ value: HistoryForNewMembers; label: string }> = [
  { value: 'all', label: 'All earlier messages' },
  { value: 'sinceJoined', label: 'Only messages sent after they join' },
];

/** Admins: what members added later may read. Saved as soon as it is chosen. */
function HistorySetting({ session, thread }: { session: Session; thread: Thread }) {
  const current = thread.historyForNewMembers;
  return (
    <fieldset class="group-setting">
      <legend>History for new members</legend>
      {HISTORY_CHOICES.map(({ value, label }) => (
        <label key={value} class="check">
          <input
            type="radio"
            name={`history-${thread.threadId}`}
            checked={current === value}
            onChange={() => void session.act((client) => client.updateGroup(thread.threadId, { historyForNewMembers: value }))}
          />
          {label}
        </label>
      ))}
      {current === undefined && <p class="hint">This device hasn’t heard the group’s setting yet (it shows once the group changes); choose one to set it.</p>}
    </fieldset>
  );
}
