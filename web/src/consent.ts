import type { MessengerClient } from '@messenger/client';

/** What the server answers the one who blocked when they write to the person they blocked. */
const YOU_BLOCKED = /^you have blocked/i;

/**
 * Whom the user blocked, as far as this tab knows: the pages of `listBlocks` loaded so far, plus
 * what the user blocked or unblocked here, plus what a refused send told. Also the one-to-one
 * peers who are "unavailable right now" (the server's answer to a blocked user, which does not
 * say why) and the requests declined in this tab.
 */
export class Consent {
  private readonly blockedIds = new Set<string>();
  private readonly unavailableIds = new Set<string>();
  private readonly declinedIds = new Set<string>();
  /** Where the next page of `listBlocks` starts; undefined once every page is in. */
  private cursor: string | undefined;
  private loadedFirstPage = false;

  constructor(
    private readonly client: MessengerClient,
    private readonly changed: () => void,
  ) {}

  /** The blocked users loaded so far, in the order they came. */
  get blocked(): string[] {
    return [...this.blockedIds];
  }

  /** Whether the first page of `listBlocks` is in. */
  get blocksLoaded(): boolean {
    return this.loadedFirstPage;
  }

  /** Whether `listBlocks` has more pages than those loaded. */
  get moreBlocks(): boolean {
    return !this.loadedFirstPage || this.cursor !== undefined;
  }

  isBlocked(userId: string): boolean {
    return this.blockedIds.has(userId);
  }

  isUnavailable(userId: string): boolean {
    return this.unavailableIds.has(userId);
  }

  isDeclined(threadId: string): boolean {
    return this.declinedIds.has(threadId);
  }

  /** Loads the next page of blocked users (the first one at the first call). */
  async loadMoreBlocks(): Promise<void> {
    if (!this.moreBlocks) return;
    const page = await this.client.listBlocks(this.cursor);
    for (const userId of page.userIds) this.blockedIds.add(userId);
    this.cursor = page.cursor;
    this.loadedFirstPage = true;
    this.changed();
  }

  async block(userId: string): Promise<void> {
    await this.client.block(userId);
    this.blockedIds.add(userId);
    this.changed();
  }

  async unblock(userId: string): Promise<void> {
    await this.client.unblock(userId);
    this.blockedIds.delete(userId);
    this.unavailableIds.delete(userId);
    this.changed();
  }

  async decline(threadId: string): Promise<void> {
    await this.client.declineRequest(threadId);
    this.declinedIds.add(threadId);
    this.changed();
  }

  /** Writing to someone undoes declining their request (the server accepts them then too). */
  wroteTo(threadId: string, peer: string | undefined): void {
    this.declinedIds.delete(threadId);
    if (peer !== undefined) this.unavailableIds.delete(peer);
  }

  /**
   * A one-to-one send refused as `forbidden`: either the user blocked the peer (beyond the pages
   * loaded, or from another device) or the peer is unavailable, which is all the server tells.
   */
  refusedSend(peer: string, message: string): void {
    if (YOU_BLOCKED.test(message)) this.blockedIds.add(peer);
    else this.unavailableIds.add(peer);
    this.changed();
  }
}
