import type { BudgetDrain } from './budget';
import type { ConnectionNotifier } from './chat/ports';
import type { ConnectionCloser } from './ports';
import { errorFrame } from './protocol';

/**
 * When a user counts as flooding (docs/protocol.md, "Budgets and caps"): this many frames refused
 * over budget within the window, as one execution environment sees them. A client that waits
 * `retryAfterMs` after a refusal, as the SDK does, meets a handful; one that keeps sending
 * regardless meets this many within a fraction of a second.
 */
export const FLOOD_LIMIT = { refusals: 50, windowMs: 60_000 } as const;

/**
 * How long a user closed for flooding stays out: their budget is emptied and kept empty this much
 * longer, so that a handshake (paid from it) is refused until then and reconnecting in a loop
 * buys no new round of refused frames. Within the window above, so an environment that saw the
 * flood still knows it when the user comes back.
 */
export const FLOOD_COOL_OFF_MS = 10_000;

/** Users remembered per execution environment; beyond this the memory is started afresh. */
const MAX_REMEMBERED = 10_000;

const CLOSING =
  'this connection kept sending after its budget ran out, and is closed; reconnect after retryAfterMs and wait retryAfterMs after each rate_limited';

export interface FloodGuardPorts {
  readonly budget: BudgetDrain;
  readonly notifier: ConnectionNotifier & ConnectionCloser;
  readonly clock: () => number;
}

/**
 * Closes the connections of a user who keeps sending frames over budget. A refused frame costs no
 * reads or writes, but still an inbound message, an invocation and a reply: without this only the
 * stage's shared throttle would bound a flood of them. The count is kept in memory, per execution
 * environment and user (no call of its own on the refusal path, which is what the flood pays
 * for): once a user has passed FLOOD_LIMIT in an environment, each connection of theirs whose frame
 * is refused there gets a final `rate_limited` frame and is closed (DELETE @connections), and their
 * budget is emptied for FLOOD_COOL_OFF_MS. Each closing is done once per connection and environment.
 */
export class FloodGuard {
  private readonly refusals = new Map<string, number[]>();
  private readonly closed = new Set<string>();

  constructor(private readonly ports: FloodGuardPorts) {}

  /** Notes a refused frame of the connection; closes it when its user is flooding. */
  async noteRefusal(caller: { readonly userId: string; readonly connectionId: string }): Promise<void> {
    const now = this.ports.clock();
    const recent = (this.refusals.get(caller.userId) ?? []).filter((at) => at > now - FLOOD_LIMIT.windowMs);
    recent.push(now);
    // Only the last FLOOD_LIMIT matter: the memory of a flooder stays small.
    if (recent.length > FLOOD_LIMIT.refusals) recent.shift();
    if (this.refusals.size >= MAX_REMEMBERED && !this.refusals.has(caller.userId)) this.refusals.clear();
    this.refusals.set(caller.userId, recent);
    if (recent.length < FLOOD_LIMIT.refusals || this.closed.has(caller.connectionId)) return;

    if (this.closed.size >= MAX_REMEMBERED) this.closed.clear();
    this.closed.add(caller.connectionId);
    await this.ports.budget.drain(caller.userId, 'actions', FLOOD_COOL_OFF_MS, now);
    // The client learns why before the close, and when to come back; a connection gone meanwhile is closed already.
    await this.ports.notifier.post(caller.connectionId, errorFrame('rate_limited', CLOSING, undefined, FLOOD_COOL_OFF_MS));
    await this.ports.notifier.close(caller.connectionId);
  }
}
