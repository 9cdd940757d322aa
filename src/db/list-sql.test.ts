// Filters on integer columns: values no integer column can hold match nothing,
// instead of reaching the database (PostgreSQL rejects them: a 500).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from './connect.ts';
import { whereFilters } from './list-sql.ts';

test('an integer filter beyond 2^53 (or not a number) becomes "no row", with no parameter', async () => {
  const conn = connect('sqlite://');
  try {
    const cols = { ip_version: { column: 'ip_version', kind: 'int' as const } };
    for (const v of ['123456789012345678901234567890', 'abc']) {
      const q = whereFilters(conn.db.selectFrom('address_scopes').select('id'), new Map([['ip_version', [v]]]), cols).compile();
      assert.match(q.sql, /1 = 0/);
      assert.deepEqual(q.parameters, []);
    }
    const some = whereFilters(conn.db.selectFrom('address_scopes').select('id'), new Map([['ip_version', ['4', '1e99']]]), cols).compile();
    assert.deepEqual(some.parameters, [4]);
  } finally {
    await conn.close();
  }
});
