import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { readStackAssembly } from '../../local-cloud/assembly/cloud-assembly';

/** A widget as the template's dashboard body writes it. */
export interface TemplateWidget {
  type: string;
  properties: { title?: string; markdown?: string; metrics?: Array<Array<string | Record<string, unknown>>> };
}

/**
 * The template's dashboard body, read from the local cloud's synthesized template, with every
 * `Ref` and `Fn::GetAtt` in it written as the logical id it names: what the stack asks for,
 * before the local cloud names anything; and the logical ids of the template's functions.
 */
export async function templateDashboard(dataDir: string): Promise<{ widgets: TemplateWidget[]; functions: string[] }> {
  const assembly = await readStackAssembly(path.join(dataDir, 'cdk.out'));
  const dashboards = [...assembly.resources.values()].filter((resource) => resource.Type === 'AWS::CloudWatch::Dashboard');
  if (dashboards.length !== 1) throw new Error(`expected one dashboard in the template, found ${dashboards.length}`);
  const body = dashboards[0].Properties?.DashboardBody as string | { 'Fn::Join': [string, unknown[]] };
  const text =
    typeof body === 'string'
      ? body
      : body['Fn::Join'][1]
          .map((part) => {
            if (typeof part === 'string') return part;
            const reference = part as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
            return reference.Ref ?? reference['Fn::GetAtt']?.[0] ?? JSON.stringify(part);
          })
          .join(body['Fn::Join'][0]);
  const functions = [...assembly.resources].filter(([, resource]) => resource.Type === 'AWS::Lambda::Function').map(([logicalId]) => logicalId);
  return { widgets: (JSON.parse(text) as { widgets: TemplateWidget[] }).widgets, functions };
}

/** The index of the template's metric widget that draws `metricName` (of the resource named `dimension`, if given) as a visible series. */
export function widgetDrawing(widgets: readonly TemplateWidget[], metricName: string, dimension?: string): number {
  const index = widgets.findIndex(
    (widget) =>
      widget.type === 'metric' &&
      (widget.properties.metrics ?? []).some((row) => {
        const options = row.find((item) => typeof item === 'object') as { visible?: boolean } | undefined;
        return row[1] === metricName && options?.visible !== false && (dimension === undefined || row.includes(dimension));
      }),
  );
  if (index === -1) throw new Error(`no widget of the template's dashboard draws ${metricName}${dimension === undefined ? '' : ` of ${dimension}`}`);
  return index;
}

export interface DrawnSeries {
  label: string;
  latest: number | null;
  maximum: number | null;
  datapoints: number;
}

/** What the page says a widget's chart shows: its series' table (the one screen readers get). */
export async function drawnSeries(page: Page, widgetIndex: number): Promise<DrawnSeries[]> {
  const rows = await page.locator(`#widget-${widgetIndex} table tbody tr`).evaluateAll((elements) => elements.map((row) => [...row.children].map((cell) => cell.textContent ?? '')));
  const number = (text: string) => (text === '–' ? null : Number(text.replace(/,/g, '')));
  return rows.map(([label, latest, maximum, datapoints]) => ({ label, latest: number(latest), maximum: number(maximum), datapoints: Number(datapoints) }));
}

/** Opens the local dashboard and waits until the page has refreshed every widget once. */
export async function openDashboard(page: Page, baseUrl: string, query = ''): Promise<void> {
  await page.goto(`${baseUrl}/dev/dashboard${query}`);
  await page.locator('body[data-refreshes]').waitFor();
}
