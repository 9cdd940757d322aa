import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPolicyFile, parsePolicyText, PolicyFileError } from './policy-file.ts';
import { createEnforcer } from './enforcer.ts';
import { createRequestContext } from './context.ts';

test('flat YAML: quoted and plain keys and values, comments, empty rules', () => {
  const text = [
    '# Neutron policy overrides',
    '---',
    '"create_network:shared": "role:member"',
    "'get_network': 'rule:admin_only or role:it''s'",
    'update_network:router:external: rule:admin_only   # plain scalar, trailing comment',
    'regular_user: ""',
    'delete_network:',
    '"escaped": "a \\"b\\" c"',
    '',
  ].join('\n');
  assert.deepEqual(parsePolicyText(text), {
    'create_network:shared': 'role:member',
    get_network: "rule:admin_only or role:it's",
    'update_network:router:external': 'rule:admin_only',
    regular_user: '',
    delete_network: '',
    escaped: 'a "b" c',
  });
});

test('flat YAML: nested or non-string entries are refused with the line', () => {
  assert.throws(() => parsePolicyText('a: b\n  nested: x\n', 'p.yaml'), (e: unknown) =>
    e instanceof PolicyFileError && e.message.includes('p.yaml:2'));
  assert.throws(() => parsePolicyText('a: [x, y]\n'), PolicyFileError);
  assert.throws(() => parsePolicyText('"a": "unterminated\n'), PolicyFileError);
  assert.throws(() => parsePolicyText('no separator here\n'), PolicyFileError);
});

test('JSON, including oslo list-of-lists rules', () => {
  assert.deepEqual(parsePolicyText('{"a": "role:x", "b": [["role:y", "role:z"], ["role:w"]], "c": [], "d": [[]]}'), {
    a: 'role:x', b: '(role:y and role:z) or role:w', c: '', d: '!',
  });
  assert.throws(() => parsePolicyText('{"a": 1}'), PolicyFileError);
  assert.throws(() => parsePolicyText('{"a": '), PolicyFileError);
});

test('a loaded policy file overrides the defaults', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'muon-policy-'));
  try {
    const path = join(dir, 'policy.yaml');
    await writeFile(path, '"create_network:shared": "role:member"\n');
    const overrides = await loadPolicyFile(path);
    const demo = createRequestContext({ userId: 'u', projectId: 'p', roles: ['member'] });
    const target = { name: 'n', shared: true, tenant_id: 'p' };
    assert.equal(createEnforcer().check(demo, 'create_network', target, ['name', 'shared']), false);
    assert.equal(createEnforcer({ overrides }).check(demo, 'create_network', target, ['name', 'shared']), true);
    assert.equal(createEnforcer({ file: path }).check(demo, 'create_network', target, ['name', 'shared']), true);
    assert.deepEqual(await loadPolicyFile(join(dir, 'absent.yaml'), { optional: true }), {});
    await assert.rejects(loadPolicyFile(join(dir, 'absent.yaml')), { code: 'ENOENT' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
