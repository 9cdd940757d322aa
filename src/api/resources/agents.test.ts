// /v2.0/agents: Muon runs no agents; lists are empty for admins and members alike (tempest
// AgentManagementNegativeTest.test_list_agents_non_admin), and agent ids are AgentNotFound.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApi, type Api } from '../../../test/support/api.ts';

describe('agents API', () => {
  let api: Api;
  before(async () => { api = await startApi(); });
  after(async () => { await api?.close(); });

  it('lists no agents, to an admin and to a member', async () => {
    const admin = await api.req('GET', '/v2.0/agents');
    assert.equal(admin.status, 200);
    assert.deepEqual(admin.body, { agents: [] });
    const r = await api.as('demo')('GET', '/v2.0/agents');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { agents: [] });
    assert.deepEqual((await api.req('GET', '/v2.0/agents?agent_type=DHCP%20agent&fields=id')).body, { agents: [] });
  });

  it('answers AgentNotFound for any agent, its networks and routers; 400 for an unknown filter', async () => {
    const id = '3c9c7b5e-4f5e-4a3e-9a77-1b1d8e0f8f10';
    for (const path of [`/v2.0/agents/${id}`, `/v2.0/agents/${id}/dhcp-networks`, `/v2.0/agents/${id}/l3-routers`]) {
      const r = await api.req('GET', path);
      assert.equal(r.status, 404, path);
      assert.equal(r.body.NeutronError.type, 'AgentNotFound');
      assert.equal(r.body.NeutronError.message, `Agent ${id} could not be found.`);
    }
    assert.equal((await api.req('PUT', `/v2.0/agents/${id}`, { agent: { admin_state_up: false } })).body.NeutronError.type, 'AgentNotFound');
    assert.equal((await api.req('DELETE', `/v2.0/agents/${id}`)).status, 404);
    assert.equal((await api.req('GET', '/v2.0/agents?bogus=1')).status, 400);
  });
});
