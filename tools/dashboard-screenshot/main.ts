import * as path from 'node:path';
import { startLocalCloud } from '../../local-cloud/process';
import { launchChromium } from '../../test/support/chromium';
import { drawnSeries, openDashboard, templateDashboard, widgetDrawing } from '../../test/support/dashboard';
import { TestClient } from '../../test/support/ws-client';

/**
 * `npm run dashboard:screenshot`: takes docs/dashboard.png and docs/dashboard-keyspaces.png. It
 * starts a local cloud of its own, has four people chat over real WebSockets for a while (one of
 * them offline, so that pushes are requested), opens /dev/dashboard in Chromium on a 5-minute
 * range at 10-second periods, waits until the messages show and captures the top of the page
 * (traffic, latency, the WebSocket API), then, once the history writes show, the Keyspaces section
 * further down.
 */
const SCREENSHOT = path.join(__dirname, '..', '..', 'docs', 'dashboard.png');
const KEYSPACES_SCREENSHOT = path.join(__dirname, '..', '..', 'docs', 'dashboard-keyspaces.png');
const TRAFFIC_SECONDS = Number(process.env.TRAFFIC_SECONDS ?? 120);
const VIEWPORT = { width: 1440, height: 1250 };

async function tokenFor(baseUrl: string, user: string): Promise<string> {
  const response = await fetch(`${baseUrl}/dev/token?user=${user}`);
  return ((await response.json()) as { token: string }).token;
}

async function chat(baseUrl: string, webSocketUrl: string): Promise<number> {
  const people = ['alice', 'bob', 'carol'];
  const clients = await Promise.all(people.map(async (user) => TestClient.connect(`${webSocketUrl}?token=${await tokenFor(baseUrl, user)}&deviceId=laptop`)));
  let sent = 0;
  const until = Date.now() + TRAFFIC_SECONDS * 1000;
  for (let round = 0; Date.now() < until; round++) {
    await Promise.all(
      clients.map(async (client, index) => {
        // Mostly to the others online, now and then to dave, who is offline (a push request).
        const to = round % 5 === 4 ? 'dave' : people[(index + 1 + (round % 2)) % people.length];
        const ack = await client.request({ action: 'sendMessage', clientMsgId: `r${round}-${index}`, to, text: `message ${round}` });
        if (ack.type === 'ack') sent += 1;
      }),
    );
    // A reconnect now and then, for the connections chart.
    if (round % 10 === 9) {
      await clients[2].close();
      clients[2] = await TestClient.connect(`${webSocketUrl}?token=${await tokenFor(baseUrl, people[2])}&deviceId=laptop`);
    }
    await new Promise((resolve) => setTimeout(resolve, 700 + Math.random() * 1000));
  }
  await Promise.all(clients.map((client) => client.close()));
  return sent;
}

async function main(): Promise<void> {
  console.log('starting a local cloud');
  const cloud = await startLocalCloud();
  const browser = await launchChromium();
  try {
    console.log(`chatting for ${TRAFFIC_SECONDS} s`);
    console.log(`${await chat(cloud.baseUrl, cloud.webSocketUrl)} messages sent`);
    const page = await browser.newPage({ viewport: VIEWPORT });
    await openDashboard(page, cloud.baseUrl, '?range=300&period=10');
    const { widgets } = await templateDashboard(cloud.dataDir);
    const shows = async (widget: number, what: string) => {
      for (let tries = 0; !(await drawnSeries(page, widget)).some((series) => (series.maximum ?? 0) > 0); tries++) {
        if (tries === 30) throw new Error(`the dashboard did not show ${what} within 30 s`);
        await page.waitForTimeout(1000);
      }
    };
    await shows(widgetDrawing(widgets, 'MessagesSent'), 'the messages sent');
    await page.screenshot({ path: SCREENSHOT });
    console.log(`saved ${SCREENSHOT}`);

    const keyspacesLatency = widgetDrawing(widgets, 'SuccessfulRequestLatency');
    await shows(keyspacesLatency, 'the Keyspaces latency');
    const header = await page.locator(`#widget-${widgets.findIndex((widget) => widget.properties.markdown === '# Keyspaces')}`).boundingBox();
    const lastRow = await page.locator(`#widget-${keyspacesLatency}`).boundingBox();
    if (header === null || lastRow === null) throw new Error('the Keyspaces section is not on the page');
    const top = header.y - 8;
    await page.screenshot({ path: KEYSPACES_SCREENSHOT, fullPage: true, clip: { x: 0, y: top, width: VIEWPORT.width, height: lastRow.y + lastRow.height + 16 - top } });
    console.log(`saved ${KEYSPACES_SCREENSHOT}`);
  } finally {
    await browser.close();
    await cloud.stop();
  }
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exitCode = 1;
});
