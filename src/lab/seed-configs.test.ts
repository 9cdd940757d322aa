// The lab writes the seed's agent files; a healthy lab gives no configuration warning at all
// (an option in the wrong section would be ignored and warned about at every agent start).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigSources } from '../config/load.ts';
import { agentIni, SEED_AGENT_HOSTS, type LabAgentKind } from './seed-configs.ts';

for (const kind of ['linuxbridge', 'dhcp', 'l3', 'metadata'] as LabAgentKind[]) {
  test(`the lab's ${kind} agent file loads without warnings`, () => {
    const text = agentIni(kind, SEED_AGENT_HOSTS[0], '/run/lab/agent.sock', '/run/lab/state/controller', 1);
    const { warnings } = loadConfigSources([{ file: `${kind}_agent.ini`, text }]);
    assert.deepEqual(warnings, []);
  });
}
