// [oslo_policy] through a running server: a policy file changes an outcome, the new
// default personas replace the legacy rules when asked, a missing file is an error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApi } from '../../test/support/api.ts';

const createShared = (api: Awaited<ReturnType<typeof startApi>>, roles = 'member,reader') =>
  api.as('p1', roles)('POST', '/v2.0/networks', { network: { name: 'n', shared: true } });

test('a policy.yaml override lets members share networks', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'muon-policy-'));
  const file = join(dir, 'policy.yaml');
  writeFileSync(file, '# operators may let members share\n"create_network:shared": "role:member"\n');
  const plain = await startApi();
  const custom = await startApi(`[oslo_policy]\npolicy_file = ${file}\n`);
  try {
    const refused = await createShared(plain);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.NeutronError.message, '(rule:create_network and rule:create_network:shared) is disallowed by policy');
    const allowed = await createShared(custom);
    assert.equal(allowed.status, 201, JSON.stringify(allowed.body));
    assert.equal(allowed.body.network.shared, true);
  } finally {
    await plain.close();
    await custom.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('enforce_new_defaults: a reader may no longer create what the legacy rules allowed', async () => {
  const legacy = await startApi();
  const strict = await startApi('[oslo_policy]\nenforce_new_defaults = true\n');
  try {
    const body = { network: { name: 'r' } };
    assert.equal((await legacy.as('p2', 'reader')('POST', '/v2.0/networks', body)).status, 201);
    const r = await strict.as('p2', 'reader')('POST', '/v2.0/networks', body);
    assert.equal(r.status, 403);
    assert.equal(r.body.NeutronError.type, 'PolicyNotAuthorized');
    assert.equal((await strict.as('p2', 'member,reader')('POST', '/v2.0/networks', body)).status, 201);
    // readers still read their project's networks
    assert.equal((await strict.as('p2', 'reader')('GET', '/v2.0/networks')).body.networks.length, 1);
  } finally {
    await legacy.close();
    await strict.close();
  }
});

test('an explicitly configured policy file that does not exist stops the server', async () => {
  await assert.rejects(startApi('[oslo_policy]\npolicy_file = /nonexistent/policy.yaml\n'), /policy_file \/nonexistent\/policy\.yaml not found/);
});
