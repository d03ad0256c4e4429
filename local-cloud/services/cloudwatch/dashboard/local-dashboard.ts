import * as path from 'node:path';
import { resourcesOfType, type StackAssembly } from '../../../assembly/cloud-assembly';
import type { IntrinsicResolver } from '../../../assembly/intrinsics';
import { json } from '../../../http';
import { buildBrowserPage, type WebAsset } from '../../../../web/build';
import { serveAsset } from '../../../web/web-app';
import type { HttpRoute } from '../../service';
import type { MetricStore } from '../metric-store';
import { parseDashboardBody, type Dashboard } from './body';
import { widgetData } from './widget-data';

const PAGE_ROOT = path.join(__dirname, 'browser');
const URL_ROOT = '/dev/dashboard';
/** The metric store keeps an hour; a range longer than that would only show emptiness. */
const MAX_RANGE_SECONDS = 3600;

/** Builds the dashboard page: `browser/main.ts` with uPlot, marked and the stylesheets it imports, as the web messenger is built. */
export function buildDashboardPage(): Promise<WebAsset[]> {
  return buildBrowserPage({ root: PAGE_ROOT, entry: { name: 'dashboard', file: 'main.ts' }, urlRoot: URL_ROOT });
}

/** The template's dashboards by name, their bodies resolved (resource names, region) as the local cloud named things. */
export function templateDashboards(assembly: StackAssembly, resolver: IntrinsicResolver): Map<string, Dashboard> {
  return new Map(
    resourcesOfType(assembly, 'AWS::CloudWatch::Dashboard').map(([logicalId, resource]) => {
      const name = resource.Properties?.DashboardName === undefined ? `${assembly.stackName}-${logicalId}` : resolver.resolveString(resource.Properties.DashboardName);
      try {
        return [name, parseDashboardBody(resolver.resolveString(resource.Properties?.DashboardBody))];
      } catch (error) {
        throw new Error(`dashboard ${logicalId}: ${(error as Error).message}`);
      }
    }),
  );
}

/** The stack's dashboards, the page that draws them and the metric store they read. */
export interface LocalDashboard {
  readonly dashboards: ReadonlyMap<string, Dashboard>;
  readonly page: ReadonlyMap<string, WebAsset>;
  readonly store: MetricStore;
}

class BadRequest extends Error {}

function integerParameter(url: URL, name: string, min: number, max: number): number | undefined {
  const text = url.searchParams.get(name);
  if (text === null) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new BadRequest(`${name} must be a whole number from ${min} to ${max}`);
  return value;
}

function chosenDashboard(local: LocalDashboard, url: URL): [string, Dashboard] {
  const name = url.searchParams.get('name') ?? [...local.dashboards.keys()][0];
  const dashboard = name === undefined ? undefined : local.dashboards.get(name);
  if (dashboard === undefined) throw new BadRequest(`no dashboard ${name ?? ''}; the template has ${[...local.dashboards.keys()].join(', ') || 'none'}`);
  return [name, dashboard];
}

/**
 * `GET /dev/dashboard`: the page; `/dev/dashboard/body`: the dashboard's widgets, their shorthand
 * expanded; `/dev/dashboard/data?widget=N&range=S[&period=S]`: one metric widget's series over the
 * last `range` seconds, from the metric store. `name=` picks a dashboard when the stack has several.
 */
export function dashboardRoutes(current: () => LocalDashboard | undefined): HttpRoute[] {
  const answer = (handler: (local: LocalDashboard, url: URL) => unknown): HttpRoute['handle'] => (_request, response, url) => {
    const local = current();
    if (local === undefined) return json(response, 503, { message: 'The local cloud is still starting' });
    try {
      json(response, 200, handler(local, url));
    } catch (error) {
      if (!(error instanceof BadRequest)) throw error;
      json(response, 400, { message: error.message });
    }
  };
  return [
    {
      path: `${URL_ROOT}/body`,
      handle: answer((local, url) => {
        const [name, dashboard] = chosenDashboard(local, url);
        return { name, dashboards: [...local.dashboards.keys()], ...dashboard };
      }),
    },
    {
      path: `${URL_ROOT}/data`,
      handle: answer((local, url) => {
        const [, dashboard] = chosenDashboard(local, url);
        const index = integerParameter(url, 'widget', 0, dashboard.widgets.length - 1);
        const widget = index === undefined ? undefined : dashboard.widgets[index];
        if (widget?.type !== 'metric') throw new BadRequest('widget must be the index of a metric widget of the dashboard body');
        const seconds = integerParameter(url, 'range', 60, MAX_RANGE_SECONDS) ?? 900;
        const periodSeconds = integerParameter(url, 'period', 1, MAX_RANGE_SECONDS);
        return widgetData(local.store, widget.queries, { end: Date.now(), seconds, periodSeconds });
      }),
    },
    {
      path: new RegExp(`^${URL_ROOT}(/[^/]*)?$`),
      handle: (request, response, url) => {
        const asset = current()?.page.get(url.pathname === URL_ROOT ? `${URL_ROOT}/index.html` : url.pathname);
        if (asset === undefined) return json(response, current() === undefined ? 503 : 404, { message: current() === undefined ? 'The local cloud is still starting' : 'Not found' });
        serveAsset(request, response, asset);
      },
    },
  ];
}
