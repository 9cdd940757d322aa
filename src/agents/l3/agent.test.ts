// The agent definition without root: identity and Neutron's L3 agent configurations.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MuonConfig } from '../../config/types.ts';
import { l3Agent, l3Options } from './agent.ts';

const config = (DEFAULT: Record<string, unknown>) => ({ host: 'network1', statePath: '/var/lib/muon/', values: { DEFAULT, agent: { availability_zone: 'az1' } } }) as unknown as MuonConfig;

test('identity and configurations as a Zed L3 agent reports them', () => {
  const def = l3Agent(config({ agent_mode: 'legacy', handle_internal_only_routers: true, interface_driver: 'linuxbridge', external_network_bridge: '' }));
  assert.equal(def.host, 'network1');
  assert.deepEqual(def.identity, { agent_type: 'L3 agent', binary: 'neutron-l3-agent', topic: 'l3_agent', availability_zone: 'az1' });
  assert.deepEqual(def.configurations(), {
    agent_mode: 'legacy', handle_internal_only_routers: true, interface_driver: 'linuxbridge', external_network_bridge: '',
    gateway_external_network_id: '', log_agent_heartbeats: false, extensions: ['port_forwarding'],
    routers: 0, ex_gw_ports: 0, interfaces: 0, floating_ips: 0,
  });
});

test('options from [DEFAULT]; state_path without its trailing slash', () => {
  assert.deepEqual(l3Options(config({ agent_mode: 'dvr', handle_internal_only_routers: false })), { stateDir: '/var/lib/muon', agentMode: 'dvr', handleInternalOnlyRouters: false });
});
