import { classifyCql, UnclassifiableStatementError } from '../../../../../local-cloud/services/iam/cql-statements';

describe('CQL statement classification', () => {
  it.each([
    ['SELECT seq, body FROM "messenger"."messages" WHERE thread_id = ?', 'cassandra:Select', 'SELECT', 'messenger', 'messages'],
    ['  select * from system.local where key = \'local\'', 'cassandra:Select', 'SELECT', 'system', 'local'],
    ['INSERT INTO "messenger"."messages" (a) VALUES (?) IF NOT EXISTS', 'cassandra:Modify', 'INSERT', 'messenger', 'messages'],
    ['UPDATE Messenger.Messages SET a = 1 WHERE k = 2', 'cassandra:Modify', 'UPDATE', 'messenger', 'messages'],
    ['/* why */ DELETE a FROM "Ks"."T""x" WHERE k = 1', 'cassandra:Modify', 'DELETE', 'Ks', 'T"x'],
  ])('%s', (cql, action, operation, keyspace, table) => {
    expect(classifyCql(cql, undefined)).toEqual({ kind: 'access', action, operation, keyspace, table });
  });

  it('puts an unqualified table in the USEd keyspace, and reads USE itself', () => {
    expect(classifyCql('SELECT * FROM messages', 'messenger')).toMatchObject({ keyspace: 'messenger', table: 'messages' });
    expect(classifyCql('USE "Messenger"', undefined)).toEqual({ kind: 'use', keyspace: 'Messenger' });
    expect(() => classifyCql('SELECT * FROM messages', undefined)).toThrow(/no keyspace for table messages/);
  });

  it.each(['CREATE TABLE ks.t (a int PRIMARY KEY)', 'TRUNCATE ks.t', 'BEGIN BATCH INSERT INTO ks.t (a) VALUES (1) APPLY BATCH'])('refuses what it does not read: %s', (cql) => {
    expect(() => classifyCql(cql, 'ks')).toThrow(UnclassifiableStatementError);
  });
});
