/**
 * What a CQL statement needs from IAM in Amazon Keyspaces: reading a table (`SELECT`) is
 * `cassandra:Select`, writing it (`INSERT`, `UPDATE`, `DELETE`) is `cassandra:Modify`, each on
 * `arn:aws:cassandra:REGION:ACCOUNT:/keyspace/KS/table/TABLE` (Service Authorization Reference,
 * "Actions, resources, and condition keys for Amazon Keyspaces"). `USE` names the keyspace that
 * unqualified tables belong to. Anything else (DDL, text batches) is refused as unreadable.
 */
export type CqlStatement =
  | {
      readonly kind: 'access';
      readonly action: 'cassandra:Select' | 'cassandra:Modify';
      /** The statement's verb, as Keyspaces' `Operation` metric dimension names it. */
      readonly operation: 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE';
      readonly keyspace: string;
      readonly table: string;
    }
  | { readonly kind: 'use'; readonly keyspace: string };

export class UnclassifiableStatementError extends Error {}

/** An identifier: double-quoted keeps its case (with `""` for a quote), unquoted is lower-cased. */
const IDENTIFIER = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z][A-Za-z0-9_]*)`;
const QUALIFIED = String.raw`(${IDENTIFIER})(?:\s*\.\s*(${IDENTIFIER}))?`;

const PATTERNS: ReadonlyArray<[RegExp, 'cassandra:Select' | 'cassandra:Modify', 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE']> = [
  [new RegExp(String.raw`^SELECT\b[\s\S]*?\bFROM\s+${QUALIFIED}`, 'i'), 'cassandra:Select', 'SELECT'],
  [new RegExp(String.raw`^INSERT\s+INTO\s+${QUALIFIED}`, 'i'), 'cassandra:Modify', 'INSERT'],
  [new RegExp(String.raw`^UPDATE\s+${QUALIFIED}`, 'i'), 'cassandra:Modify', 'UPDATE'],
  [new RegExp(String.raw`^DELETE\b[\s\S]*?\bFROM\s+${QUALIFIED}`, 'i'), 'cassandra:Modify', 'DELETE'],
];
const USE = new RegExp(String.raw`^USE\s+(${IDENTIFIER})\s*;?\s*$`, 'i');

function identifier(raw: string): string {
  return raw.startsWith('"') ? raw.slice(1, -1).replace(/""/g, '"') : raw.toLowerCase();
}

/** Leading comments (`--`, `//`, `/* *\/`) and blanks, which do not change what a statement does. */
function withoutLeadingComments(cql: string): string {
  return cql.replace(/^(?:\s+|--[^\n]*\n?|\/\/[^\n]*\n?|\/\*[\s\S]*?\*\/)*/, '');
}

/** Classifies one statement; `sessionKeyspace` is the connection's `USE`d keyspace, if any. */
export function classifyCql(cql: string, sessionKeyspace: string | undefined): CqlStatement {
  const statement = withoutLeadingComments(cql);
  const use = USE.exec(statement);
  if (use !== null) return { kind: 'use', keyspace: identifier(use[1]) };
  for (const [pattern, action, operation] of PATTERNS) {
    const match = pattern.exec(statement);
    if (match === null) continue;
    const [keyspace, table] = match[2] === undefined ? [sessionKeyspace, identifier(match[1])] : [identifier(match[1]), identifier(match[2])];
    if (keyspace === undefined) throw new UnclassifiableStatementError(`no keyspace for table ${table}: qualify it or USE a keyspace`);
    return { kind: 'access', action, operation, keyspace, table };
  }
  throw new UnclassifiableStatementError(`the local IAM enforcer reads only SELECT, INSERT, UPDATE, DELETE and USE: ${statement.slice(0, 60)}`);
}

export function cassandraTableArn(region: string, account: string, keyspace: string, table: string): string {
  return `arn:aws:cassandra:${region}:${account}:/keyspace/${keyspace}/table/${table}`;
}
