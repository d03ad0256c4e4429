import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium';
import { drawnSeries, openDashboard, templateDashboard, widgetDrawing, type TemplateWidget } from '../support/dashboard';
import { clientsClosedAfterEach, eventually, localCloud, uniqueUser } from '../support/local-cloud-env';

/**
 * The stack's CloudWatch dashboard as the local cloud draws it at /dev/dashboard, in Debian's
 * Chromium: every widget of the template's dashboard body is on the page, and after two people
 * exchange messages over real WebSockets its charts show them.
 */
jest.setTimeout(180_000);

const WAIT_MS = 60_000;
let browser: Browser;
let page: Page;
let widgets: TemplateWidget[];
let functions: string[];
const connect = clientsClosedAfterEach();

beforeAll(async () => {
  browser = await launchChromium();
  ({ widgets, functions } = await templateDashboard(localCloud().dataDir));
});
afterAll(async () => {
  await browser?.close();
});
beforeEach(async () => {
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(WAIT_MS);
});
afterEach(async () => {
  await page.close();
});

/** How often each title occurs among the template's widgets of a type. */
function titleCounts(type: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const widget of widgets.filter((candidate) => candidate.type === type)) counts.set(widget.properties.title!, (counts.get(widget.properties.title!) ?? 0) + 1);
  return counts;
}

test('shows every widget of the template`s dashboard, by title, each with its data loaded', async () => {
  await openDashboard(page, localCloud().baseUrl);
  const metricTitles = titleCounts('metric');
  expect(metricTitles.size).toBeGreaterThan(5);
  for (const [title, count] of metricTitles) {
    await expect(page.getByRole('region', { name: title, exact: true }).count()).resolves.toBe(count);
  }
  // Every metric widget got an answer from the data endpoint; none failed.
  await expect(page.locator('.widget.metric[data-state="loaded"]').count()).resolves.toBe(widgets.filter((widget) => widget.type === 'metric').length);
  // Laid out on the grid: no two widgets overlap, and nothing sticks out of the page's width.
  const boxes = await page.locator('.widget').evaluateAll((elements) => elements.map((element) => element.getBoundingClientRect().toJSON() as { left: number; right: number; top: number; bottom: number }));
  const overlapping = boxes.flatMap((box, index) =>
    boxes.slice(index + 1).filter((other) => box.left < other.right - 1 && other.left < box.right - 1 && box.top < other.bottom - 1 && other.top < box.bottom - 1).map(() => index),
  );
  const overflow = await page.locator('html').evaluate((html) => html.scrollWidth - html.clientWidth);
  const layout = { widgets: boxes.length, overlapping, overflow };
  expect(layout).toEqual({ widgets: widgets.length, overlapping: [], overflow: 0 });
  // Text widgets are markdown: a heading of the template is a heading of the page.
  const headings = widgets.filter((widget) => widget.type === 'text' && /^#+ [^[*]+$/.test(widget.properties.markdown!));
  expect(headings.length).toBeGreaterThan(0);
  for (const widget of headings) {
    await expect(page.getByRole('heading', { name: widget.properties.markdown!.replace(/^#+ /, ''), exact: true }).first().isVisible()).resolves.toBe(true);
  }
});

test('charts the messages sent while it is open, and the chat function`s invocations, refreshing by itself', async () => {
  const chatFunction = functions.find((logicalId) => logicalId.startsWith('ChatActions'));
  expect(chatFunction).toBeDefined();
  const messagesWidget = widgetDrawing(widgets, 'MessagesSent');
  const invocationsWidget = widgetDrawing(widgets, 'Invocations', chatFunction);
  await openDashboard(page, localCloud().baseUrl);
  const refreshesAtStart = Number(await page.locator('body').getAttribute('data-refreshes'));

  const [alice, bob] = [uniqueUser('dash-alice'), uniqueUser('dash-bob')];
  const [alicePhone, bobPhone] = await Promise.all([connect(alice), connect(bob)]);
  for (let index = 1; index <= 3; index++) {
    const ack = await alicePhone.request({ action: 'sendMessage', clientMsgId: `c-${index}`, to: bob, text: `dashboard ${index}` });
    expect(ack).toMatchObject({ type: 'ack', status: 'sent' });
    await bobPhone.waitFor((frame) => frame.text === `dashboard ${index}`);
  }

  // No reload: the page asks again every 10 s, and the functions' EMF lines reach the metric store a moment after the acks.
  const largest = async (widget: number, label: string) => (await drawnSeries(page, widget)).find((series) => series.label === label)?.maximum ?? 0;
  await eventually(
    async () => Number(await page.locator('body').getAttribute('data-refreshes')) > refreshesAtStart && (await largest(messagesWidget, 'MessagesSent')) > 0 && (await largest(invocationsWidget, 'Invocations')) > 0,
    WAIT_MS,
    'a refresh showing messages sent and chat invocations',
  );
  // The chart itself was drawn: uPlot's canvas fills the widget.
  const canvas = await page.locator(`#widget-${messagesWidget} canvas`).boundingBox();
  expect(canvas?.width).toBeGreaterThan(100);
  expect(canvas?.height).toBeGreaterThan(50);
});
