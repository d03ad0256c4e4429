import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium';
import { clientsClosedAfterEach, eventually, localCloud, uniqueUser } from '../support/local-cloud-env';

/**
 * The web messenger in a real browser: Debian's Chromium driven by playwright-core, against the
 * shared local cloud that serves the page. Every step goes through what a person sees and uses:
 * labelled controls, the keyboard, the page's live regions.
 */
jest.setTimeout(180_000);

const DESKTOP = { width: 1000, height: 640 };
const PHONE = { width: 390, height: 760 };
/** Generous for a loaded 2-core machine; every wait ends as soon as its condition holds. */
const WAIT_MS = 45_000;
const SCREENSHOT = path.join(__dirname, '..', '..', 'docs', 'web.png');

let browser: Browser;
const contexts: BrowserContext[] = [];
/** What the pages said and what went over their sockets, shown with a failure. */
const browserLog: string[] = [];
const connect = clientsClosedAfterEach();

beforeAll(async () => {
  browser = await launchChromium();
});
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close()));
});
afterAll(async () => {
  await browser?.close();
});

/** A browser window (its own context: cookies, storage) signed in as `user`, connected. */
async function signIn(user: string, viewport = DESKTOP): Promise<Page> {
  const context = await browser.newContext({ viewport });
  context.setDefaultTimeout(WAIT_MS);
  contexts.push(context);
  return signInTab(await context.newPage(), user);
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
  await page.getByRole('button', { name: 'New chat' }).waitFor();
  await banner(page).waitFor({ state: 'hidden' });
  return page;
}

const banner = (page: Page) => page.locator('.banner');
const conversations = (page: Page) => page.getByRole('complementary', { name: 'Conversations' });
const threadButton = (page: Page, title: string) => conversations(page).getByRole('button', { name: title });
const composer = (page: Page) => page.getByRole('textbox', { name: /^Message to / });
const messages = (page: Page) => page.getByRole('log').getByRole('listitem');
const message = (page: Page, text: string) => messages(page).filter({ hasText: text });
const tick = (page: Page, text: string, state: string) => message(page, text).getByRole('img', { name: state });
const chatSubtitle = (page: Page) => page.locator('.chat-header .subtitle');

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

async function send(page: Page, text: string): Promise<void> {
  await composer(page).fill(text);
  await composer(page).press('Enter');
}

/** Waits until the open chat shows exactly these messages, in this order. */
async function textsAre(page: Page, expected: string[]): Promise<void> {
  await eventually(async () => JSON.stringify(await texts(page)) === JSON.stringify(expected), WAIT_MS, 'the chat’s messages').catch(() => undefined);
  expect(await texts(page)).toEqual(expected);
}

/** The texts of the open chat's messages, in order. */
async function texts(page: Page): Promise<string[]> {
  return (await messages(page).locator('.text').allInnerTexts()).map((text) => text.trim());
}

async function countIs(locator: Locator, count: number, what: string): Promise<void> {
  await eventually(async () => (await locator.count()) === count, WAIT_MS, `${what}: ${count}`);
}

test('alice and bob chat: the thread list shows unread and the last message, ticks move to read, typing shows, presence flips, a second tab is a second device', inBrowser(async () => {
  // Short ids read better in the screenshot; four random characters still keep runs apart.
  const run = Math.random().toString(36).slice(2, 6);
  const [alice, bob] = [`alice-${run}`, `bob-${run}`];
  const a = await signIn(alice);
  const b = await signIn(bob);

  await a.getByRole('button', { name: 'New chat' }).click();
  await a.getByLabel('User id').fill(bob);
  await a.getByLabel('User id').press('Enter');
  await send(a, 'hi bob');
  await tick(a, 'hi bob', 'Delivered').waitFor();

  const thread = threadButton(b, alice);
  await thread.filter({ hasText: '1 unread' }).filter({ hasText: 'hi bob' }).waitFor();
  await thread.click();
  await tick(a, 'hi bob', 'Read').waitFor();
  await thread.filter({ hasText: 'unread' }).waitFor({ state: 'detached' });

  await composer(b).pressSequentially('first line');
  await a.getByText(`${bob} is typing…`).waitFor();
  await chatSubtitle(a).getByText('online', { exact: true }).waitFor();
  // Shift+Enter breaks the line; Enter sends, and the message ends the indicator.
  await composer(b).press('Shift+Enter');
  await composer(b).pressSequentially('second line');
  await composer(b).press('Enter');
  await message(a, 'second line').waitFor();
  expect(await message(a, 'second line').locator('.text').innerText()).toBe('first line\nsecond line');
  await a.getByText(`${bob} is typing…`).waitFor({ state: 'detached' });

  // The same user in a second tab: another device, with the conversation and what the first tab sends.
  const a2 = await signInTab(await a.context().newPage(), alice);
  await threadButton(a2, bob).click();
  await message(a2, 'second line').waitFor();
  await send(a, 'from the first tab');
  await message(a2, 'from the first tab').and(a2.locator('.own')).waitFor();
  await message(b, 'from the first tab').waitFor();
  await tick(a, 'from the first tab', 'Read').waitFor();

  await composer(b).pressSequentially('see you');
  await a.getByText(`${bob} is typing…`).waitFor();
  await mkdir(path.dirname(SCREENSHOT), { recursive: true });
  await a.screenshot({ path: SCREENSHOT });

  await b.context().close();
  await chatSubtitle(a).getByText(/^last seen/).waitFor();
}));

test('a group of three: created, messages reach everyone, members added and removed, a member leaves', inBrowser(async () => {
  const [alice, bob, carol, dave] = ['alice', 'bob', 'carol', 'dave'].map(uniqueUser);
  const a = await signIn(alice);
  const b = await signIn(bob);
  const c = await signIn(carol, PHONE);

  await a.getByRole('button', { name: 'New group' }).click();
  await a.getByLabel('Group name').fill('Trip');
  await a.getByLabel('Members').fill(`${bob}, ${carol}`);
  await a.getByLabel('Members').press('Enter');
  await a.getByRole('heading', { name: 'Trip' }).waitFor();
  await send(a, 'hello group');

  await threadButton(b, 'Trip').filter({ hasText: 'hello group' }).click();
  await message(b, 'hello group').waitFor();
  // On a phone the list and the chat take turns.
  await threadButton(c, 'Trip').click();
  await expect(conversations(c).isVisible()).resolves.toBe(false);
  await send(c, 'hi from carol');
  await message(a, 'hi from carol').getByText(carol).waitFor();
  await message(b, 'hi from carol').waitFor();
  await tick(c, 'hi from carol', 'Read').waitFor();

  await a.getByRole('button', { name: 'Members', exact: true }).click();
  const members = a.getByRole('region', { name: 'Members' }).getByRole('listitem');
  await countIs(members, 3, 'members');
  await a.getByLabel('Add members').fill(dave);
  await a.getByLabel('Add members').press('Enter');
  const d = await signIn(dave);
  await threadButton(d, 'Trip').waitFor();
  await countIs(members, 4, 'members after adding dave');

  await a.getByRole('button', { name: `Remove ${carol}` }).click();
  await countIs(members, 3, 'members after removing carol');
  // Carol's open chat closes and the group leaves her list.
  await conversations(c).waitFor();
  await threadButton(c, 'Trip').waitFor({ state: 'detached' });

  await b.getByRole('button', { name: 'Members', exact: true }).click();
  await b.getByRole('button', { name: 'Leave group' }).click();
  await threadButton(b, 'Trip').waitFor({ state: 'detached' });
  await members.filter({ hasText: bob }).waitFor({ state: 'detached' });
  await send(a, 'after bob left');
  await threadButton(d, 'Trip').filter({ hasText: 'after bob left' }).waitFor();
}));

test('a window taken offline misses messages, shows the reconnect banner, then catches up without duplicates', inBrowser(async () => {
  const alice = uniqueUser('alice');
  const bob = uniqueUser('bob');
  const a = await signIn(alice);
  const b = await signIn(bob, PHONE);
  await a.getByRole('button', { name: 'New chat' }).click();
  await a.getByLabel('User id').fill(bob);
  await a.getByLabel('User id').press('Enter');
  await send(a, 'before');
  await threadButton(b, alice).click();
  await tick(a, 'before', 'Read').waitFor();

  await b.context().setOffline(true);
  await banner(b).getByText('Reconnecting').waitFor();
  for (const text of ['missed one', 'missed two', 'missed three']) await send(a, text);
  for (const text of ['missed one', 'missed two', 'missed three']) await tick(a, text, 'Sent').waitFor();
  expect(await messages(b).allInnerTexts()).toEqual([expect.stringContaining('before')]);
  // Written offline: it waits in the outbox.
  await send(b, 'written offline');
  await tick(b, 'written offline', 'Sending').waitFor();

  await b.context().setOffline(false);
  await banner(b).waitFor({ state: 'hidden' });
  await tick(a, 'missed three', 'Read').waitFor();
  await tick(b, 'written offline', 'Read').waitFor();
  const all = ['before', 'missed one', 'missed two', 'missed three', 'written offline'];
  await textsAre(b, all);
  await textsAre(a, all);
}));

test('a message written while the server never answers is sent after the page reloads: the outbox keeps it in IndexedDB', inBrowser(async () => {
  const alice = uniqueUser('alice');
  const bob = uniqueUser('bob');
  const b = await signIn(bob);
  const context = await browser.newContext({ viewport: DESKTOP });
  context.setDefaultTimeout(WAIT_MS);
  contexts.push(context);
  const a = await context.newPage();
  // Until the reload, the page's sockets open but reach nothing: no reply, no ack ever comes.
  let cutOff = true;
  await a.routeWebSocket(/.*/, (socket) => {
    if (!cutOff) socket.connectToServer();
  });
  await signInTab(a, alice);
  await a.getByRole('button', { name: 'New chat' }).click();
  await a.getByLabel('User id').fill(bob);
  await a.getByLabel('User id').press('Enter');
  await send(a, 'kept across a reload');
  await tick(a, 'kept across a reload', 'Sending').waitFor();

  cutOff = false;
  await a.reload();
  await threadButton(b, alice).filter({ hasText: 'kept across a reload' }).click();
  await threadButton(a, bob).filter({ hasText: 'You: kept across a reload' }).waitFor();
  await textsAre(b, ['kept across a reload']);
}));

test('scroll-back loads older messages page by page, in order', inBrowser(async () => {
  const alice = uniqueUser('alice');
  const bob = uniqueUser('bob');
  const sender = await connect(bob);
  for (let i = 1; i <= 40; i++) {
    const ack = await sender.request({ action: 'sendMessage', clientMsgId: `old-${i}`, to: alice, text: `old ${i}` }, WAIT_MS);
    expect(ack).toMatchObject({ type: 'ack', seq: i });
  }
  const context = await browser.newContext({ viewport: DESKTOP });
  context.setDefaultTimeout(WAIT_MS);
  contexts.push(context);
  const a = await context.newPage();
  // The chat's first page (the one before its newest message) is held back until after the wheel:
  // a person who scrolls up while it is on its way must still get to the top.
  let releaseFirstPage!: () => void;
  const firstPageReleased = new Promise<void>((resolve) => (releaseFirstPage = resolve));
  let held = false;
  await a.routeWebSocket(/.*/, (socket) => {
    const server = socket.connectToServer();
    server.onMessage((frame) => {
      const text = String(frame);
      if (!held && text.includes('"type":"messages"') && text.includes('"old 39"')) {
        held = true;
        void firstPageReleased.then(() => socket.send(text));
      } else socket.send(frame);
    });
  });
  await signInTab(a, alice);
  await threadButton(a, bob).filter({ hasText: '40 unread' }).click();
  await message(a, 'old 40').waitFor();
  await eventually(async () => held, WAIT_MS, 'the first page on its way');
  expect(await texts(a)).toEqual(['old 40']);

  // Scrolling to the top loads the pages before; then there is nothing older to offer.
  await a.getByRole('log').hover();
  await a.mouse.wheel(0, -20_000);
  releaseFirstPage();
  await a.getByRole('button', { name: 'Load older messages' }).waitFor({ state: 'detached' });
  await textsAre(
    a,
    Array.from({ length: 40 }, (_, i) => `old ${i + 1}`),
  );
}));

test('the local cloud serves the built web app at /: its files with their types, nothing else from disk, GET and HEAD only', async () => {
  const base = localCloud().baseUrl;
  const page = await fetch(`${base}/`);
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
  const html = await page.text();
  expect(html).toContain('<script type="module" src="/app.js">');
  for (const [file, type] of [['/app.js', 'text/javascript'], ['/app.css', 'text/css'], ['/config.json', 'application/json']]) {
    const response = await fetch(`${base}${file}`);
    expect([file, response.status, response.headers.get('content-type')]).toEqual([file, 200, `${type}; charset=utf-8`]);
  }
  const head = await fetch(`${base}/`, { method: 'HEAD' });
  expect([head.status, Number(head.headers.get('content-length'))]).toEqual([200, Buffer.byteLength(html)]);

  for (const outside of ['/index.html/../../package.json', '/%2e%2e/package.json', '/web/index.html', '/src/main.tsx', '/..%2fpackage.json']) {
    expect([outside, (await fetch(`${base}${outside}`)).status]).toEqual([outside, 404]);
  }
  const post = await fetch(`${base}/`, { method: 'POST', body: '{}' });
  expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
});
