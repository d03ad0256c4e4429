import type { MessengerClient, Thread } from '@messenger/client';
import type { Consent } from './consent';

/** A thread heard of but not listed yet is listed again after this wait, doubling up to the most. */
const RELIST_FIRST_MS = 500;
const RELIST_MOST_MS = 30_000;

/**
 * Where each of the user's threads goes: the chats, the requests, or nowhere yet. Only a listing
 * says whether a thread is a request, and a new thread's row can reach the listing a moment after
 * its first message or `thread` frame: such a thread shows nowhere (so that it never jumps from
 * the chats to the requests) and is listed again, later and later, until it is in.
 */
export class ThreadDirectory {
  loading = true;
  /** The other member of one-to-one threads that this tab started, until their listing arrives. */
  private readonly peers = new Map<string, string>();
  /** Threads known to be a request or not: listed, or acted on by the user. */
  private readonly classified = new Set<string>();
  private listing: Promise<void> | undefined;
  /** The listing asked for while one was on its way, which starts when that one ends. */
  private nextListing: Promise<void> | undefined;
  private relistTimer: ReturnType<typeof setTimeout> | undefined;
  private relistDelayMs = RELIST_FIRST_MS;

  constructor(
    private readonly client: MessengerClient,
    private readonly userId: string,
    private readonly consent: Consent,
    private readonly listed: (thread: Thread) => void,
    private readonly changed: () => void,
  ) {}

  /** The user's chats (threads they are a member of, requests aside), most recent activity first. */
  chats(): Thread[] {
    return this.shown().filter((thread) => !thread.request);
  }

  /** Message requests not accepted or declined yet, most recent activity first. */
  requests(): Thread[] {
    return this.shown().filter((thread) => thread.request);
  }

  /** Chats and requests. */
  shown(): Thread[] {
    const shown = (thread: Thread) => this.isMember(thread) && this.isClassified(thread) && !this.consent.isDeclined(thread.threadId);
    const activity = (thread: Thread) => thread.messages[thread.messages.length - 1]?.sentAt ?? Number.MAX_SAFE_INTEGER;
    return this.client.threads().filter(shown).sort((a, b) => activity(b) - activity(a));
  }

  /** A one-to-one thread's other member, or undefined for a group. */
  peerOf(thread: Thread): string | undefined {
    if (thread.kind === 'group') return undefined;
    return thread.members.find((member) => member !== this.userId) ?? this.peers.get(thread.threadId) ?? thread.messages.find((message) => message.senderId !== this.userId)?.senderId;
  }

  /** The user wrote to `peer` first: the thread is theirs, no request. */
  started(threadId: string, peer: string): void {
    this.peers.set(threadId, peer);
  }

  /** The user acted on the thread (created it, accepted it): it is no (longer a) request. */
  actedOn(threadId: string): void {
    this.classified.add(threadId);
  }

  /** A message or `thread` frame: a thread not listed yet is listed to find out where it goes. */
  heard(thread: Thread): void {
    if (thread.kind === undefined || (this.isMember(thread) && !this.isClassified(thread))) void this.listAll();
  }

  /**
   * Lists every page of the user's threads, one listing at a time. A call during a listing is
   * answered by one more after it: the listing on its way may have been read before what made
   * the call (a thread the user's outbox just created, say), and a thread heard of and missed then
   * would not be listed again once it is classified.
   */
  listAll(): Promise<void> {
    if (this.listing !== undefined) {
      this.nextListing ??= this.listing.then(() => {
        this.nextListing = undefined;
        return this.listAll();
      });
      return this.nextListing;
    }
    this.listing = this.listPages().finally(() => {
      this.listing = undefined;
      this.loading = false;
      this.relistWhileUnclassified();
      this.changed();
    });
    return this.listing;
  }

  close(): void {
    clearTimeout(this.relistTimer);
  }

  private async listPages(): Promise<void> {
    let cursor: string | undefined;
    try {
      do {
        const page = await this.client.listThreads(cursor);
        for (const thread of page.threads) {
          this.classified.add(thread.threadId);
          this.listed(thread);
        }
        cursor = page.cursor;
      } while (cursor !== undefined);
    } catch (error) {
      // The next message, reconnect or relist tries again.
      console.warn('messenger:', (error as Error).message);
    }
  }

  private relistWhileUnclassified(): void {
    if (!this.client.threads().some((thread) => this.isMember(thread) && !this.isClassified(thread))) {
      this.relistDelayMs = RELIST_FIRST_MS;
      return;
    }
    if (this.relistTimer !== undefined) return;
    this.relistTimer = setTimeout(() => {
      this.relistTimer = undefined;
      void this.listAll();
    }, this.relistDelayMs);
    this.relistDelayMs = Math.min(this.relistDelayMs * 2, RELIST_MOST_MS);
  }

  private isMember(thread: Thread): boolean {
    return thread.members.length === 0 || thread.members.includes(this.userId);
  }

  /** Listed, acted on, started or written in by the user. */
  private isClassified(thread: Thread): boolean {
    return this.classified.has(thread.threadId) || this.peers.has(thread.threadId) || thread.messages.some((message) => message.senderId === this.userId);
  }
}
