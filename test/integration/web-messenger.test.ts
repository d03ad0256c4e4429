import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { clientsClosedAfterEach, eventually, localCloud, uniqueUser } from '../support/local-cloud-env';
import {
  PHONE,
  WAIT_MS,
  acceptRequest,
  banner,
  chatSubtitle,
  composer,
  conversations,
  countIs,
  folderTab,
  message,
  messages,
  openRequest,
  send,
  startChat,
  texts,
  textsAre,
  threadButton,
  tick,
  typeUntilSeen,
  webMessengerBrowser,
} from '../support/web-messenger';

/**
 * The web messenger in a real browser: Debian's Chromium driven by playwright-core, against the
 * shared local cloud that serves the page. Every step goes through what a person sees and uses:
 * labelled controls, the keyboard, the page's live regions. A first message from someone the user
 * never wrote to is a message request (web-consent.test.ts tests those): here it is accepted first.
 */
jest.setTimeout(180_000);

const SCREENSHOT = path.join(__dirname, '..', '..', 'docs', 'web.png');

const { newWindow, signIn, signInTab, inBrowser } = webMessengerBrowser();
const connect = clientsClosedAfterEach();

test('alice and bob chat: the thread list shows unread and the last message, ticks move to read, typing shows, presence flips, a second tab is a second device', inBrowser(async () => {
  // Short ids read better in the screenshot; four random characters still keep runs apart.
  const run = Math.random().toString(36).slice(2, 6);
  const [alice, bob] = [`alice-${run}`, `bob-${run}`];
  const a = await signIn(alice);
  const b = await signIn(bob);

  await startChat(a, bob);
  await send(a, 'hi bob');
  await tick(a, 'hi bob', 'Sent').waitFor();

  // A first message from alice is a request for bob: neither delivered nor read (either would tell
  // her when he is online) until he accepts it.
  await openRequest(b, alice, '1 unread');
  await message(b, 'hi bob').waitFor();
  expect(await tick(a, 'hi bob', 'Sent').isVisible()).toBe(true);
  await acceptRequest(b, alice);
  const thread = threadButton(b, alice);
  await tick(a, 'hi bob', 'Read').waitFor();
  await thread.filter({ hasText: 'unread' }).waitFor({ state: 'detached' });

  await typeUntilSeen(b, 'first line', a.getByText(`${bob} is typing…`));
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

  await typeUntilSeen(b, 'see you', a.getByText(`${bob} is typing…`));
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

  // Put in a group by someone they never accepted: a request for both.
  await acceptRequest(b, 'Trip', 'hello group');
  await message(b, 'hello group').waitFor();
  // On a phone the list and the chat take turns.
  await acceptRequest(c, 'Trip');
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
  await folderTab(d, 'Requests').click();
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
  await startChat(a, bob);
  await send(a, 'before');
  await acceptRequest(b, alice);
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
  const a = await (await newWindow()).newPage();
  // Until the reload, the page's sockets open but reach nothing: no reply, no ack ever comes.
  let cutOff = true;
  await a.routeWebSocket(/.*/, (socket) => {
    if (!cutOff) socket.connectToServer();
  });
  await signInTab(a, alice);
  await startChat(a, bob);
  await send(a, 'kept across a reload');
  await tick(a, 'kept across a reload', 'Sending').waitFor();

  cutOff = false;
  await a.reload();
  await openRequest(b, alice, 'kept across a reload');
  await threadButton(a, bob).filter({ hasText: 'You: kept across a reload' }).waitFor();
  await textsAre(b, ['kept across a reload']);
}));

test('scroll-back loads older messages page by page, in order', inBrowser(async () => {
  const alice = uniqueUser('alice');
  const bob = uniqueUser('bob');
  const sender = await connect(bob);
  for (let i = 1; i <= 40; i++) {
    const frame = { action: 'sendMessage', clientMsgId: `old-${i}`, to: alice, text: `old ${i}` };
    let reply = await sender.request(frame, WAIT_MS);
    // 40 sends in a row can pass the 20-a-second send limit: wait as the server says, as a client does.
    while (reply.code === 'rate_limited') {
      await new Promise((resolve) => setTimeout(resolve, Number(reply.retryAfterMs)));
      reply = await sender.request(frame, WAIT_MS);
    }
    expect(reply).toMatchObject({ type: 'ack', seq: i });
  }
  const a = await (await newWindow()).newPage();
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
  await openRequest(a, bob, '40 unread');
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
