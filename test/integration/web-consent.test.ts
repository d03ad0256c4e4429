import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { clientsClosedAfterEach, eventually, uniqueUser } from '../support/local-cloud-env';
import {
  WAIT_MS,
  acceptRequest,
  chatSubtitle,
  composer,
  folderTab,
  message,
  openRequest,
  send,
  signedIn,
  startChat,
  texts,
  threadButton,
  tick,
  webMessengerBrowser,
} from '../support/web-messenger';

/**
 * The web messenger's consent and privacy controls in Chromium over the shared local cloud:
 * message requests, blocking, the settings panel, a group's history for new members, and the
 * notice of a spent budget. Strangers are raw WebSocket clients where a second window adds nothing.
 */
jest.setTimeout(180_000);

const SCREENSHOT = path.join(__dirname, '..', '..', 'docs', 'web-requests.png');

const { newWindow, signIn, signInTab, inBrowser } = webMessengerBrowser();
const connect = clientsClosedAfterEach();

const requestBar = (page: Page) => page.getByRole('group', { name: 'Message request' });
const noRequests = (page: Page) => page.getByText(/^No message requests/);
const button = (scope: Page | Locator, name: string) => scope.getByRole('button', { name, exact: true });
const settingSwitch = (page: Page, name: string) => page.getByRole('switch', { name });

async function openSettings(page: Page): Promise<void> {
  await button(page, 'Settings').click();
  // The switches stay disabled until getSettings has answered.
  await eventually(() => settingSwitch(page, 'Show when you’re active').isEnabled(), WAIT_MS, 'the settings loaded');
}

test('a stranger’s first message lands under Requests, live; accepting moves it to the chats, declining takes it away', inBrowser(async () => {
  // Short ids read better in the screenshot; four random characters still keep runs apart.
  const run = Math.random().toString(36).slice(2, 6);
  const [alice, bob, mallory] = [`alice-${run}`, `bob-${run}`, `mallory-${run}`];
  const a = await signIn(alice);
  await folderTab(a, 'Requests').click();
  await noRequests(a).waitFor();

  const b = await connect(bob);
  await b.request({ action: 'sendMessage', clientMsgId: 'first', to: alice, text: 'hi alice, it’s bob from the climbing club' }, WAIT_MS);
  // Live, in the Requests folder with its count on the tab, and not among the chats.
  await folderTab(a, 'Requests').filter({ hasText: '1 new' }).waitFor();
  await threadButton(a, bob).filter({ hasText: 'climbing club' }).click();
  await message(a, 'climbing club').waitFor();
  await requestBar(a).getByText(`${bob} wants to send you a message`).waitFor();
  expect(await composer(a).count()).toBe(0);
  await folderTab(a, 'Chats').click();
  await a.getByText('No conversations yet.').waitFor();
  await folderTab(a, 'Requests').click();
  await mkdir(path.dirname(SCREENSHOT), { recursive: true });
  await a.screenshot({ path: SCREENSHOT });
  // Opening a request tells the sender nothing: "read" only comes with accepting.
  expect(b.frames.filter((frame) => frame.type === 'receipt' && frame.status === 'read')).toEqual([]);

  await button(requestBar(a), 'Accept').click();
  await folderTab(a, 'Chats').and(a.locator('[aria-selected="true"]')).waitFor();
  await threadButton(a, bob).waitFor();
  await b.waitFor((frame) => frame.type === 'receipt' && frame.status === 'read', WAIT_MS);
  await send(a, 'hi bob!');
  await b.waitFor((frame) => frame.type === 'message' && frame.text === 'hi bob!', WAIT_MS);

  const m = await connect(mallory);
  await m.request({ action: 'sendMessage', clientMsgId: 'spam', to: alice, text: 'you won a prize' }, WAIT_MS);
  await folderTab(a, 'Requests').filter({ hasText: '1 new' }).waitFor();
  await openRequest(a, mallory);
  await button(requestBar(a), 'Decline').click();
  await a.getByText('Choose a conversation, or start one.').waitFor();
  await noRequests(a).waitFor();

  // The server keeps both decisions: after a reload bob is a chat, mallory nowhere.
  await a.reload();
  await signedIn(a);
  await threadButton(a, bob).filter({ hasText: 'hi bob!' }).waitFor();
  await folderTab(a, 'Requests').click();
  await noRequests(a).waitFor();
}));

test('blocking from the chat menu disables the composer, the blocked user’s send is refused as unavailable, and Blocked people in Settings unblocks', inBrowser(async () => {
  const [alice, bob] = ['alice', 'bob'].map(uniqueUser);
  const a = await signIn(alice);
  const b = await signIn(bob);
  await startChat(a, bob);
  await send(a, 'hi bob');
  await acceptRequest(b, alice);
  await send(b, 'hi alice');
  await message(a, 'hi alice').waitFor();

  await button(a, 'Chat options').click();
  await button(a, `Block ${bob}`).click();
  await button(a.getByRole('dialog', { name: `Block ${bob}?` }), 'Block').click();
  await a.getByText(`You blocked ${bob}.`).waitFor();
  expect(await composer(a).isDisabled()).toBe(true);

  await send(b, 'are you there?');
  await tick(b, 'are you there?', 'Not sent').waitFor();
  await b.getByText('This person is unavailable right now.').waitFor();
  expect(await texts(a)).toEqual(['hi bob', 'hi alice']);

  // listBlocks tells a reloaded page whom the user blocked.
  await a.reload();
  await signedIn(a);
  await threadButton(a, bob).click();
  await a.getByText(`You blocked ${bob}.`).waitFor();
  expect(await composer(a).isDisabled()).toBe(true);

  await openSettings(a);
  const blocked = a.getByRole('region', { name: 'Blocked people' });
  await blocked.getByText(bob, { exact: true }).waitFor();
  await button(blocked, `Unblock ${bob}`).click();
  await blocked.getByText('You haven’t blocked anyone.').waitFor();
  await button(a, 'Close settings').click();
  await eventually(() => composer(a).isEnabled(), WAIT_MS, 'the composer enabled again');
  await send(b, 'back again');
  await message(a, 'back again').waitFor();
}));

test('turning active status off in Settings makes the user show offline to someone watching, and on again online', inBrowser(async () => {
  const [alice, bob] = ['alice', 'bob'].map(uniqueUser);
  const a = await signIn(alice);
  const b = await signIn(bob);
  await startChat(a, bob);
  await send(a, 'hi bob');
  await acceptRequest(b, alice);
  await chatSubtitle(b).getByText('online', { exact: true }).waitFor();

  await openSettings(a);
  await settingSwitch(a, 'Show when you’re active').uncheck();
  await chatSubtitle(b).getByText('offline', { exact: true }).waitFor();
  await settingSwitch(a, 'Show when you’re active').check();
  await chatSubtitle(b).getByText('online', { exact: true }).waitFor();
}));

test('settings are saved with updateSettings and read back with getSettings after a reload', inBrowser(async () => {
  const alice = uniqueUser('alice');
  const a = await signIn(alice);
  await openSettings(a);
  // The protocol's defaults.
  const states = async () => ({
    activeStatus: await settingSwitch(a, 'Show when you’re active').isChecked(),
    pushPreviews: await settingSwitch(a, 'Show message previews').isChecked(),
    requestNotifications: await settingSwitch(a, 'Notify me of message requests').isChecked(),
    onlyThreads: await a.getByRole('radio', { name: 'Only people you chat with' }).isChecked(),
  });
  expect(await states()).toEqual({ activeStatus: true, pushPreviews: true, requestNotifications: true, onlyThreads: false });

  await settingSwitch(a, 'Show message previews').uncheck();
  await settingSwitch(a, 'Notify me of message requests').uncheck();
  await a.getByRole('radio', { name: 'Only people you chat with' }).check();
  const expected = { activeStatus: true, pushPreviews: false, presenceAudience: 'threads', requestNotifications: false };
  const other = await connect(alice);
  await eventually(async () => JSON.stringify({ ...(await other.request({ action: 'getSettings' })), reqId: undefined, type: undefined }) === JSON.stringify(expected), WAIT_MS, 'the server holds the new settings');

  await a.reload();
  await signedIn(a);
  await openSettings(a);
  expect(await states()).toEqual({ activeStatus: true, pushPreviews: false, requestNotifications: false, onlyThreads: true });
}));

test('an admin sets a group’s history for new members: someone added afterwards reads only what follows', inBrowser(async () => {
  const [alice, bob, dave] = ['alice', 'bob', 'dave'].map(uniqueUser);
  const a = await signIn(alice);
  await a.getByRole('button', { name: 'New group' }).click();
  await a.getByLabel('Group name').fill('Club');
  await a.getByLabel('Members').fill(bob);
  await a.getByLabel('Members').press('Enter');
  await a.getByRole('heading', { name: 'Club' }).waitFor();
  await send(a, 'said before dave');
  await tick(a, 'said before dave', 'Sent').waitFor();

  await button(a, 'Members').click();
  const history = a.getByRole('group', { name: 'History for new members' });
  await eventually(() => history.getByRole('radio', { name: 'All earlier messages' }).isChecked(), WAIT_MS, 'the default, all');
  await history.getByRole('radio', { name: 'Only messages sent after they join' }).check();
  await eventually(() => history.getByRole('radio', { name: 'Only messages sent after they join' }).isChecked(), WAIT_MS, 'sinceJoined');

  const d = await connect(dave);
  await a.getByLabel('Add members').fill(dave);
  await a.getByLabel('Add members').press('Enter');
  const added = await d.waitFor((frame) => frame.type === 'thread' && frame.name === 'Club', WAIT_MS);
  const page = await d.request({ action: 'getMessages', threadId: added.threadId, limit: 50 }, WAIT_MS);
  expect(page).toMatchObject({ type: 'messages', messages: [] });
}));

test('a send over the budget shows a notice with the wait, and goes out after it', inBrowser(async () => {
  const [alice, bob] = ['alice', 'bob'].map(uniqueUser);
  const a = await (await newWindow()).newPage();
  // The server's answer to a spent budget, given once to the first send (a real one needs a flood).
  let refusedAt: number | undefined;
  await a.routeWebSocket(/.*/, (socket) => {
    const server = socket.connectToServer();
    socket.onMessage((data) => {
      const frame = JSON.parse(String(data)) as { action?: string; reqId?: string };
      if (refusedAt === undefined && frame.action === 'sendMessage') {
        refusedAt = Date.now();
        socket.send(JSON.stringify({ type: 'error', reqId: frame.reqId, code: 'rate_limited', message: 'too many actions; retry later', retryAfterMs: 4_000 }));
      } else server.send(data);
    });
  });
  await signInTab(a, alice);
  await startChat(a, bob);
  await send(a, 'patience');
  await a.getByRole('status').filter({ hasText: /Your message goes out in [1-4] s\./ }).waitFor();
  await tick(a, 'patience', 'Sent').waitFor();
  expect(Date.now() - refusedAt!).toBeGreaterThanOrEqual(4_000);
  await a.getByText(/Your message goes out in/).waitFor({ state: 'hidden' });
}));
