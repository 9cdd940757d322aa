// The two-machine lab's files, read as the server and the agents read them: the seed's Liberty
// messaging lines select RabbitMQ at the controller's address, with no warnings; the server's
// extra file keeps the user's URLs on 127.0.0.1; compute's covered paths do not nest.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { embeddedDefaults, loadConfigSources } from '../config/load.ts';
import { selectTransport } from '../config/transport.ts';
import { SEED_AGENT_HOSTS } from './seed-configs.ts';
import { Lab } from './topology.ts';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { hiddenFromCompute, twoMachineServerConf, writeTwoMachineAgentFiles } from './two-machines.ts';

/** Only the deprecation notes the seed's Liberty spelling earns (it is what the seed wrote). */
const unexpected = (warnings: string[]) => warnings.filter((w) => !/(rpc_backend|rabbit_host|rabbit_userid|rabbit_password) is deprecated/.test(w));

const settings = { apiPort: 19696, identityPort: 15000, statePath: '/tmp/st', etcDir: '/run/x/state/controller/etc' };

describe('two-machine lab files', () => {
  it('the server: RabbitMQ at 192.168.81.66 as the seed\'s openstack user, every address, URLs on 127.0.0.1', () => {
    const { config, warnings } = loadConfigSources([{ file: 'neutron.conf', text: embeddedDefaults() }, { file: 'two-machines.conf', text: twoMachineServerConf(settings) }]);
    assert.deepEqual(unexpected(warnings), []);
    const t = selectTransport(config);
    assert.equal(t.kind, 'rabbit');
    assert.deepEqual(t.kind === 'rabbit' && t.brokers, [{ host: '192.168.81.66', port: 5672, username: 'openstack', password: 'opst' }]);
    assert.equal(config.bindHost, '0.0.0.0');
    assert.equal(config.networkLinkPrefix, 'http://127.0.0.1:19696');
    assert.equal(config.values.muon.identity_public_url, 'http://127.0.0.1:15000/v3');
  });

  it('compute\'s agent: neutron.conf then linuxbridge_agent.ini, as on the seed\'s compute; no socket; a wrong password is what it says', async () => {
    const compute = SEED_AGENT_HOSTS.find((h) => h.host === 'compute')!;
    const dir = await mkdtemp(`${tmpdir()}/muon-2m-files-`);
    try {
      const files = await writeTwoMachineAgentFiles('linuxbridge', compute, dir, 1, 'wrong');
      assert.deepEqual(files, [`${dir}/neutron.conf`, `${dir}/linuxbridge_agent.ini`]);
      const texts = await Promise.all(files.map((f) => readFile(f, 'utf8')));
      assert.match(texts[0], /^rpc_backend = rabbit$/m);
      assert.doesNotMatch(texts[1], /agent_socket =/);
      const { config, warnings } = loadConfigSources(files.map((file, i) => ({ file, text: texts[i] })));
      assert.deepEqual(unexpected(warnings), []);
      const t = selectTransport(config);
      assert.equal(t.kind === 'rabbit' && t.brokers[0].password, 'wrong');
      assert.equal(t.kind === 'rabbit' && `${t.brokers[0].username}@${t.brokers[0].host}:${t.brokers[0].port}`, 'openstack@192.168.81.66:5672');
      assert.equal(t.kind === 'rabbit' && t.source, '[oslo_messaging_rabbit] rabbit_host / rabbit_port');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('compute\'s covered paths: the etc directory inside the controller\'s state is covered with it', () => {
    const lab = new Lab({ root: '/run/x' });
    assert.deepEqual(hiddenFromCompute(lab, settings), ['/run/x/state/controller', '/tmp/st']);
    assert.deepEqual(hiddenFromCompute(lab, { ...settings, etcDir: '/run/x/etc' }), ['/run/x/state/controller', '/run/x/etc', '/tmp/st']);
  });
});
