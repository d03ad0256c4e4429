import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { launchChromium } from './chromium';
import { eventually, localCloud } from './local-cloud-env';

/**
 * The web messenger's browser tests' shared parts: Debian's Chromium driven by playwright-core
 * against the shared local cloud that serves the page, and the controls a person sees, found by
 * their roles and labels.
 */

export const DESKTOP = { width: 1000, height: 640 };
export const PHONE = { width: 390, height: 760 };
/** Generous for a loaded 2-core machine; every wait ends as soon as its condition holds. */
export const WAIT_MS = 45_000;

/**
 * A Chromium for a test file: launched before its tests, each test's windows closed after it. The
 * pages' console and their sockets' frames are kept, and shown with a failure (`inBrowser`).
 */
export function webMessengerBrowser() {
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const browserLog: string[] = [];
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** A browser window of its own (cookies, storage). */
  async function newWindow(viewport = DESKTOP): Promise<BrowserContext> {
    const context = await browser.newContext({ viewport });
    context.setDefaultTimeout(WAIT_MS);
    contexts.push(context);
    return context;
  }

  /** A window signed in as `user`, connected. */
  async function signIn(user: string, viewport = DESKTOP): Promise<Page> {
    return signInTab(await (await newWindow(viewport)).newPage(), user);
  }

  /** Signs in a tab; each tab is its own device. */
  async function signInTab(page: Page, user: string): Promise<Page> {
    const note = (line: string) => browserLog.push(`${new Date().toISOString().slice(11, 23)} ${user} ${line}`);
    page.on('console', (entry) => note(`console: ${entry.text()}`));
    page.on('pageerror', (error) => note(`page error: ${error.message}`));
    page.on('websocket', (socket) => {
      note('socket open');
      socket.on('close', () => note('socket closed'));
      socket.on('framereceived', ({ payload }) => {
        if (!String(payload).includes('"pong"')) note(`< ${String(payload).slice(0, 160)}`);
      });
    });
    await page.goto(`${localCloud().baseUrl}/`);
    await page.getByLabel('Your user id').fill(user);
    await page.getByLabel('Your user id').press('Enter');
    await signedIn(page);
    return page;
  }

  /** A test body whose failure carries the browser log. */
  function inBrowser(body: () => Promise<void>): () => Promise<void> {
    return async () => {
      browserLog.length = 0;
      try {
        await body();
      } catch (error) {
        (error as Error).message += `\n\nbrowser log:\n${browserLog.join('\n')}`;
        throw error;
      }
    };
  }

  return { newWindow, signIn, signInTab, inBrowser };
}

/** Waits until the page is signed in and connected (after a sign-in or a reload). */
export async function signedIn(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'New chat' }).waitFor();
  await banner(page).waitFor({ state: 'hidden' });
}

export const banner = (page: Page) => page.locator('.banner');
export const conversations = (page: Page) => page.getByRole('complementary', { name: 'Conversations' });
export const folderTab = (page: Page, name: 'Chats' | 'Requests') => page.getByRole('tab', { name: new RegExp(`^${name}`) });
/** A thread in the folder shown (chats, unless the Requests tab was chosen). */
export const threadButton = (page: Page, title: string) => conversations(page).getByRole('tabpanel').getByRole('button', { name: title });
export const composer = (page: Page) => page.getByRole('textbox', { name: /^Message to / });
export const messages = (page: Page) => page.getByRole('log').getByRole('listitem');
export const message = (page: Page, text: string) => messages(page).filter({ hasText: text });
export const tick = (page: Page, text: string, state: string) => message(page, text).getByRole('img', { name: state });
export const chatSubtitle = (page: Page) => page.locator('.chat-header .subtitle');

export async function send(page: Page, text: string): Promise<void> {
  await composer(page).fill(text);
  await composer(page).press('Enter');
}

/**
 * Types `text` into the composer, then keeps typing (a character and its deletion, which leave the
 * text as it was) until `seen` shows on the other side. The other side shows the indicator from a
 * `start` until the `stop` that goes out 3 s after the last keystroke: on a loaded machine a
 * `start` that arrives late can leave it up for too short a while for a test to see, which a
 * person who is still typing never meets.
 */
export async function typeUntilSeen(page: Page, text: string, seen: Locator, timeoutMs = WAIT_MS): Promise<void> {
  await composer(page).pressSequentially(text);
  const deadline = Date.now() + timeoutMs;
  while (!(await seen.isVisible())) {
    if (Date.now() > deadline) throw new Error(`the other side did not show typing within ${timeoutMs} ms of typing "${text}"`);
    await composer(page).press('x');
    await composer(page).press('Backspace');
    await seen.waitFor({ timeout: 1_000 }).catch(() => undefined);
  }
}

/** Starts a one-to-one chat with `peer` from New chat. */
export async function startChat(page: Page, peer: string): Promise<void> {
  await page.getByRole('button', { name: 'New chat' }).click();
  await page.getByLabel('User id').fill(peer);
  await page.getByLabel('User id').press('Enter');
}

/** Opens a message request from the Requests folder. */
export async function openRequest(page: Page, title: string, hasText?: string): Promise<void> {
  await folderTab(page, 'Requests').click();
  const thread = threadButton(page, title);
  await (hasText === undefined ? thread : thread.filter({ hasText })).click();
}

/** Opens a message request and accepts it: the chat gets its composer back (and moves to the chats). */
export async function acceptRequest(page: Page, title: string, hasText?: string): Promise<void> {
  await openRequest(page, title, hasText);
  const request = page.getByRole('group', { name: 'Message request' });
  await request.getByRole('button', { name: 'Accept' }).click();
  await request.waitFor({ state: 'detached' });
  await composer(page).waitFor();
}

/** The texts of the open chat's messages, in order. */
export async function texts(page: Page): Promise<string[]> {
  return (await messages(page).locator('.text').allInnerTexts()).map((text) => text.trim());
}

/** Waits until the open chat shows exactly these messages, in this order. */
export async function textsAre(page: Page, expected: string[]): Promise<void> {
  await eventually(async () => JSON.stringify(await texts(page)) === JSON.stringify(expected), WAIT_MS, 'the chat’s messages').catch(() => undefined);
  expect(await texts(page)).toEqual(expected);
}

export async function countIs(locator: Locator, count: number, what: string): Promise<void> {
  await eventually(async () => (await locator.count()) === count, WAIT_MS, `${what}: ${count}`);
}
