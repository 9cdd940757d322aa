// The API's JSON writer: exact BigInt counts as raw digits, anything else as JSON.stringify writes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toJson } from './json-reply.ts';

test('toJson writes BigInts as their digits, wherever they are, and the rest as JSON.stringify does', () => {
  const plain = { port: { id: 'x', fixed_ips: [{ ip_address: '10.0.0.2' }], n: 3, ok: true, none: null } };
  assert.equal(toJson(plain), JSON.stringify(plain));
  assert.equal(toJson({ a: [{ total_ips: 18446744073709551614n }], b: 1 }), '{"a":[{"total_ips":18446744073709551614}],"b":1}');
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  assert.throws(() => toJson(circular), TypeError);
});
