/**
 * The part of CloudWatch's metric math the template's alarms and dashboard use, evaluated period
 * by period: numbers, metric ids, `+ - * /`, parentheses, `FILL(id, number)` and `PERIOD(id)` (the
 * period in seconds, which turns a Sum into a rate). An expression using anything else is refused
 * when it is read, so that nothing is silently evaluated wrong.
 */

/** A series' value in each period, oldest first; undefined where it has no datapoint. */
export type Series = ReadonlyArray<number | undefined>;

type Node =
  | { kind: 'number'; value: number }
  | { kind: 'metric'; id: string }
  | { kind: 'fill'; id: string; value: number }
  | { kind: 'period'; id: string }
  | { kind: 'binary'; operator: '+' | '-' | '*' | '/'; left: Node; right: Node };

export class UnsupportedExpression extends Error {}

/** Numbers, names, operators, and quoted strings (a SEARCH query), so that an expression is refused by what it calls. */
const TOKEN = /\s*(?:(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|([-+*/(),])|('(?:[^'\\]|\\.)*'))/y;

function tokenize(expression: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expression.length) {
    if (/^\s*$/.test(expression.slice(TOKEN.lastIndex))) break;
    const start = TOKEN.lastIndex;
    const match = TOKEN.exec(expression);
    if (match === null) throw new UnsupportedExpression(`cannot read "${expression}" at "${expression.slice(start)}"`);
    tokens.push(match[1] ?? match[2] ?? match[3] ?? match[4]);
  }
  return tokens;
}

/** A compiled expression: the metric ids it reads, and its value per period. */
export interface CompiledExpression {
  readonly ids: ReadonlySet<string>;
  /** The value in each of `periods` periods of `periodSeconds`, from the series of the ids it reads. */
  evaluate(series: ReadonlyMap<string, Series>, periods: number, periodSeconds: number): Series;
}

/** Compiles an expression of the supported subset, or throws `UnsupportedExpression` naming what it cannot evaluate. */
export function compileExpression(expression: string): CompiledExpression {
  const tokens = tokenize(expression);
  let position = 0;
  const peek = () => tokens[position];
  const take = (expected?: string) => {
    const token = tokens[position++];
    if (token === undefined || (expected !== undefined && token !== expected)) {
      throw new UnsupportedExpression(`"${expression}": expected ${expected ?? 'more'} at token ${position}`);
    }
    return token;
  };
  const ids = new Set<string>();
  const number = (token: string) => {
    if (!/^\d/.test(token)) throw new UnsupportedExpression(`"${expression}": ${token} is not a number`);
    return Number(token);
  };
  const primary = (): Node => {
    const token = take();
    if (token === '(') {
      const inner = sum();
      take(')');
      return inner;
    }
    if (/^\d/.test(token)) return { kind: 'number', value: Number(token) };
    if (/^[A-Za-z_]/.test(token)) {
      if (peek() === '(' && token === 'PERIOD') {
        take('(');
        const id = take();
        if (!/^[A-Za-z_]/.test(id)) throw new UnsupportedExpression(`"${expression}": PERIOD takes a metric id, not ${id}`);
        take(')');
        ids.add(id);
        return { kind: 'period', id };
      }
      if (peek() === '(') {
        if (token !== 'FILL') throw new UnsupportedExpression(`"${expression}": the function ${token} is not evaluated locally (only FILL(id, number) and PERIOD(id))`);
        take('(');
        const id = take();
        if (!/^[A-Za-z_]/.test(id)) throw new UnsupportedExpression(`"${expression}": FILL takes a metric id first, not ${id}`);
        take(',');
        const value = number(take());
        take(')');
        ids.add(id);
        return { kind: 'fill', id, value };
      }
      ids.add(token);
      return { kind: 'metric', id: token };
    }
    throw new UnsupportedExpression(`"${expression}": unexpected ${token}`);
  };
  const product = (): Node => {
    let node = primary();
    while (peek() === '*' || peek() === '/') node = { kind: 'binary', operator: take() as '*' | '/', left: node, right: primary() };
    return node;
  };
  const sum = (): Node => {
    let node = product();
    while (peek() === '+' || peek() === '-') node = { kind: 'binary', operator: take() as '+' | '-', left: node, right: product() };
    return node;
  };
  const root = sum();
  if (position !== tokens.length) throw new UnsupportedExpression(`"${expression}": unexpected ${tokens[position]}`);

  return {
    ids,
    evaluate(series, periods, periodSeconds) {
      const at = (node: Node, index: number): number | undefined => {
        switch (node.kind) {
          case 'number':
            return node.value;
          case 'metric':
            return seriesOf(series, node.id)[index];
          case 'fill':
            return seriesOf(series, node.id)[index] ?? node.value;
          case 'period':
            seriesOf(series, node.id);
            return periodSeconds;
          case 'binary': {
            const left = at(node.left, index);
            const right = at(node.right, index);
            if (left === undefined || right === undefined) return undefined;
            if (node.operator === '+') return left + right;
            if (node.operator === '-') return left - right;
            if (node.operator === '*') return left * right;
            // A period whose divisor is zero has no value, as CloudWatch drops non-finite results.
            return right === 0 ? undefined : left / right;
          }
        }
      };
      return Array.from({ length: periods }, (_, index) => at(root, index));
    },
  };
}

function seriesOf(series: ReadonlyMap<string, Series>, id: string): Series {
  const found = series.get(id);
  if (found === undefined) throw new Error(`metric math reads ${id}, which the alarm or widget does not define`);
  return found;
}
