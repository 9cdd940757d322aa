// The `openstack` CLI (python3-openstackclient 6.0, Debian 12) against `muon server` with the
// embedded identity, as the admin and demo users of the openrc files Muon writes: routers,
// floating IPs, security groups, quotas, network RBAC and availability zones — the same
// commands as Zed's transcript (test/compat/fixtures/osc-replay.txt, a copy of
// shared/anchors/osc-replay.txt) where it has them, with the same names, so that each
// create/show output can be compared with Zed's table for that command line: every field
// Zed printed must be in Muon's output, and fields with fixed values must have Zed's value.
//
// Muon's extra fields over Zed's tables (reported as `# muon extra ...` diagnostics): none for
// router create/show, security group create/show, security group rule create, floating ip
// create/show as demo (OSC prints the attributes openstacksdk knows, so an extra API
// attribute would be dropped anyway); `router show` as admin adds distributed and ha, which
// Zed shows to admins as well (resources-sample.json 'router (as admin)').
//
// What OSC 6.0 itself cannot do against a deployment without Nova (Zed's had none either,
// which is why its transcript uses `quota list --network --detail`):
//  - `quota show` (and `quota set`) build the compute client first and fail with
//    "public endpoint for compute service in RegionOne region not found" before asking
//    Neutron; OSC 6.0 has no `quota show --usage` (added in 6.1): the usage is
//    `quota list --network --detail --project demo`. `quota set` works when compute and
//    volume endpoints are overridden (clouds.yaml `*_endpoint_override`), as done here;
//    those clients are never called for --networks.
//  - `floating ip pool list` is refused client-side ("only available for Compute v2
//    network"); the pools are checked with GET /v2.0/floatingip_pools and a token
//    from `openstack token issue`.
//
// Without the CLI the suite is skipped, unless CI=true, where that is a failure.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startMuonServer, type MuonServer } from '../support/muon-server.ts';

const FIXTURE = new URL('./fixtures/osc-replay.txt', import.meta.url);
const TIMEOUT = 60_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^OS_/i.test(k)) env[k] = v;
  env.PYTHONWARNINGS = 'ignore';
  return env;
}
function missingCli(): string | undefined {
  const r = spawnSync('openstack', ['--version'], { env: baseEnv(), timeout: TIMEOUT, encoding: 'utf8' });
  if (r.error || r.status !== 0) return `openstack cannot be run (install python3-openstackclient): ${r.error?.message ?? r.stderr}`;
  return undefined;
}

interface Run { code: number; stdout: string; stderr: string; line: string }
function cli(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile('openstack', args, { env: { ...baseEnv(), ...env }, timeout: TIMEOUT, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr, line: `openstack ${args.join(' ')}` });
    });
  });
}
const describeRun = (r: Run): string => `${r.line} -> exit ${r.code}\nstdout: ${r.stdout.trim()}\nstderr: ${r.stderr.trim()}`;

/** Zed's `| Field | Value |` tables and list-table headers, by command line. */
function parseReplay(text: string): { fields: Map<string, Map<string, string>>; headers: Map<string, string[]> } {
  const fields = new Map<string, Map<string, string>>();
  const headers = new Map<string, string[]>();
  for (const block of text.split(/^### \[\w+\] \$ /m).slice(1)) {
    const [head, ...rest] = block.split('\n');
    const cmd = head.trim();
    const rows = rest.filter((l) => l.startsWith('|')).map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
    if (!rows.length) continue;
    if (rows[0].length === 2 && rows[0][0] === 'Field' && rows[0][1] === 'Value') {
      const f = new Map<string, string>();
      let last: string | undefined;
      for (const [k, v] of rows.slice(1)) {
        if (k === '' && last) { f.set(last, `${f.get(last)}\n${v}`); continue; }
        f.set(k, v); last = k;
      }
      fields.set(cmd, f);
    } else {
      headers.set(cmd, rows[0]);
    }
  }
  return { fields, headers };
}
const zed = parseReplay(readFileSync(FIXTURE, 'utf8'));

/** How OSC's table prints a plain JSON value. */
function tableValue(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return String(v);
}

const missing = missingCli();
const inCi = process.env.CI === 'true';

if (missing && inCi) {
  it('openstack CLI (L3, security groups, quotas, RBAC) compatibility', () => { assert.fail(`CI=true but ${missing}`); });
} else {
  describe('openstack CLI as admin and demo against muon server: routers, floating IPs, security groups, quotas, RBAC, zones', { skip: missing, timeout: 600_000 }, () => {
    let muon: MuonServer;
    let admin: Record<string, string>;
    let demo: Record<string, string>;
    /** admin / demo, plus compute/volume endpoint overrides so that `quota set` gets past OSC's client setup. */
    let adminQuota: Record<string, string>;
    let demoQuota: Record<string, string>;
    let demoProject: string;
    const ids: Record<string, string> = {};

    before(async () => {
      muon = await startMuonServer('muon-osc-l3-');
      admin = muon.admin;
      demo = muon.demo;
      const clouds = join(muon.dir, 'clouds.yaml');
      writeFileSync(clouds, ['clouds:', ...[admin, demo].flatMap((rc) => [
        `  ${rc.OS_USERNAME}:`, '    auth:',
        `      auth_url: ${rc.OS_AUTH_URL}`, `      username: ${rc.OS_USERNAME}`, `      password: ${rc.OS_PASSWORD}`,
        `      project_name: ${rc.OS_PROJECT_NAME}`, '      user_domain_name: Default', '      project_domain_name: Default',
        '    region_name: RegionOne', '    identity_api_version: 3',
        // Nothing listens there: OSC only needs the clients built; --networks never calls them.
        '    compute_endpoint_override: http://127.0.0.1:9/', '    volume_endpoint_override: http://127.0.0.1:9/',
      ]), ''].join('\n'));
      adminQuota = { OS_CLIENT_CONFIG_FILE: clouds, OS_CLOUD: admin.OS_USERNAME };
      demoQuota = { OS_CLIENT_CONFIG_FILE: clouds, OS_CLOUD: demo.OS_USERNAME };
    });
    after(() => { muon?.stop(); });

    async function ok(as: Record<string, string>, args: string[], json = true): Promise<any> {
      const r = await cli(json ? [...args, '-f', 'json'] : args, as);
      assert.equal(r.code, 0, describeRun(r));
      if (!json) return r.stdout;
      try { return JSON.parse(r.stdout); } catch { assert.fail(`not JSON: ${describeRun(r)}`); }
    }
    async function fails(as: Record<string, string>, args: string[]): Promise<Run> {
      const r = await cli(args, as);
      assert.notEqual(r.code, 0, `expected a failure: ${describeRun(r)}`);
      return r;
    }
    function need(key: string): string {
      const v = ids[key];
      if (v === undefined) assert.fail(`prerequisite missing: ${key} (an earlier step failed)`);
      return v;
    }

    /**
     * Every field of Zed's table for `zedCmd` is in Muon's output; those in `same` also have
     * Zed's value (as OSC's table prints it). Muon's extras become a diagnostic.
     */
    function likeZed(t: { diagnostic(m: string): void }, got: Record<string, unknown>, zedCmd: string, same: string[] = []): void {
      const zf = zed.fields.get(zedCmd);
      assert.ok(zf, `fixture has no Field/Value table for "${zedCmd}"`);
      const missingFields = [...zf.keys()].filter((k) => !(k in got));
      assert.deepEqual(missingFields, [], `${zedCmd}: Muon lacks fields Zed printed`);
      const extra = Object.keys(got).filter((k) => !zf.has(k));
      t.diagnostic(`muon extra fields for "${zedCmd}": ${extra.join(', ') || '(none)'}`);
      for (const k of same) assert.equal(tableValue(got[k]), zf.get(k), `${zedCmd}: ${k}`);
    }
    function sameColumns(rows: Record<string, unknown>[], zedCmd: string): void {
      const h = zed.headers.get(zedCmd);
      assert.ok(h, `fixture has no list table for "${zedCmd}"`);
      assert.ok(rows.length > 0, `${zedCmd}: no rows`);
      for (const row of rows) assert.deepEqual(Object.keys(row), h, `${zedCmd}: columns`);
    }

    it('setup as in the seed: [admin] public flat external network and subnet; [demo] osc-net, osc-subnet', async () => {
      const pub = await ok(admin, ['network', 'create', 'public', '--share', '--external', '--provider-physical-network', 'public', '--provider-network-type', 'flat']);
      ids.public = pub.id;
      ids.adminProject = pub.project_id;
      ids.publicSubnet = (await ok(admin, ['subnet', 'create', '--network', 'public', '--subnet-range', '192.168.81.0/24',
        '--allocation-pool', 'start=192.168.81.100,end=192.168.81.200', '--dns-nameserver', '192.168.85.253', '--gateway', '192.168.81.254', 'public'])).id;
      ids.net = (await ok(demo, ['network', 'create', 'osc-net'])).id;
      ids.subnet = (await ok(demo, ['subnet', 'create', '--network', 'osc-net', '--subnet-range', '10.10.0.0/24', '--dns-nameserver', '192.168.85.253', 'osc-subnet'])).id;
      const tok = await ok(demo, ['token', 'issue']);
      demoProject = tok.project_id;
      ids.demoToken = tok.id;
      assert.match(demoProject, /^[0-9a-f]{32}$/);
    });

    // ---- routers ----

    it('[demo] router create osc-router', async (t) => {
      const r = await ok(demo, ['router', 'create', 'osc-router']);
      likeZed(t, r, 'openstack router create osc-router', ['name', 'description', 'status', 'revision_number', 'flavor_id', 'enable_ndp_proxy']);
      assert.equal(r.admin_state_up, true); // table: UP
      assert.equal(r.external_gateway_info, null);
      assert.deepEqual(r.routes, []);
      assert.deepEqual(r.tags, []);
      assert.deepEqual(r.availability_zone_hints, []);
      assert.deepEqual(r.availability_zones, []);
      assert.equal(r.project_id, demoProject);
      assert.equal(r.tenant_id, demoProject);
      assert.match(r.id, UUID);
      assert.match(r.created_at, TIME);
      assert.equal('distributed' in r, false, 'distributed is admin-only');
      ids.router = r.id;
    });

    it('[demo] router add subnet; router set --external-gateway public; router show', async (t) => {
      need('router');
      assert.equal((await ok(demo, ['router', 'add', 'subnet', 'osc-router', 'osc-subnet'], false)).trim(), '');
      assert.equal((await ok(demo, ['router', 'set', '--external-gateway', 'public', 'osc-router'], false)).trim(), '');
      const r = await ok(demo, ['router', 'show', 'osc-router']);
      likeZed(t, r, 'openstack router show osc-router', ['name', 'status', 'revision_number', 'flavor_id', 'enable_ndp_proxy']);
      assert.equal(r.revision_number, 4); // Zed: 4
      assert.equal(r.external_gateway_info.network_id, ids.public);
      assert.equal(r.external_gateway_info.enable_snat, true);
      assert.equal(r.external_gateway_info.external_fixed_ips.length, 1);
      const gw = r.external_gateway_info.external_fixed_ips[0];
      assert.equal(gw.subnet_id, ids.publicSubnet);
      const last = Number(/^192\.168\.81\.(\d+)$/.exec(gw.ip_address)?.[1]);
      assert.ok(last >= 100 && last <= 200, `gateway ${gw.ip_address} outside the allocation pool`);
      assert.equal(r.interfaces_info.length, 1);
      assert.deepEqual(Object.keys(r.interfaces_info[0]).sort(), ['ip_address', 'port_id', 'subnet_id']);
      assert.equal(r.interfaces_info[0].ip_address, '10.10.0.1');
      assert.equal(r.interfaces_info[0].subnet_id, ids.subnet);
      ids.routerPort = r.interfaces_info[0].port_id;
      ids.gatewayIp = gw.ip_address;
    });

    it('[admin] router show osc-router: distributed and ha (admin-only) are false', async () => {
      need('router');
      const r = await ok(admin, ['router', 'show', ids.router]);
      assert.equal(r.distributed, false);
      assert.equal(r.ha, false);
    });

    it('[demo] router list', async () => {
      need('router');
      const rows = await ok(demo, ['router', 'list']);
      sameColumns(rows, 'openstack router list');
      assert.deepEqual(rows, [{ ID: ids.router, Name: 'osc-router', Status: 'ACTIVE', State: true, Project: demoProject }]);
    });

    it('port list --router osc-router: demo sees the interface; admin also the gateway port', async () => {
      need('routerPort');
      const mine = await ok(demo, ['port', 'list', '--router', 'osc-router']);
      sameColumns(mine, 'openstack port list --router osc-router');
      assert.equal(mine.length, 1); // Zed: 1 row for demo
      assert.equal(mine[0].ID, ids.routerPort);
      assert.equal(mine[0].Status, 'DOWN');
      assert.deepEqual(mine[0]['Fixed IP Addresses'], [{ subnet_id: ids.subnet, ip_address: '10.10.0.1' }]);
      const all = await ok(admin, ['port', 'list', '--router', ids.router]);
      assert.deepEqual(all.map((p: any) => p['Fixed IP Addresses'][0].ip_address).sort(), ['10.10.0.1', ids.gatewayIp].sort());
    });

    // ---- security groups ----

    it('[demo] security group create --description "osc test" osc-sg: two egress rules', async (t) => {
      const g = await ok(demo, ['security', 'group', 'create', '--description', 'osc test', 'osc-sg']);
      likeZed(t, g, 'openstack security group create --description osc test osc-sg', ['name', 'description', 'revision_number', 'stateful']);
      assert.deepEqual(g.tags, []);
      assert.equal(g.project_id, demoProject);
      assert.deepEqual(g.rules.map((r: any) => `${r.direction} ${r.ethertype} ${r.protocol ?? null} ${r.remote_ip_prefix ?? null}`).sort(),
        ['egress IPv4 null null', 'egress IPv6 null null']);
      ids.sg = g.id;
    });

    it('[demo] security group rule create --protocol tcp --dst-port 22 --remote-ip 0.0.0.0/0 osc-sg', async (t) => {
      need('sg');
      const r = await ok(demo, ['security', 'group', 'rule', 'create', '--protocol', 'tcp', '--dst-port', '22', '--remote-ip', '0.0.0.0/0', 'osc-sg']);
      likeZed(t, r, 'openstack security group rule create --protocol tcp --dst-port 22 --remote-ip 0.0.0.0/0 osc-sg',
        ['description', 'direction', 'ether_type', 'name', 'port_range_max', 'port_range_min', 'protocol', 'remote_address_group_id', 'remote_group_id', 'remote_ip_prefix', 'revision_number']);
      assert.equal(r.security_group_id, ids.sg);
      assert.deepEqual(r.tags, []);
      ids.sshRule = r.id;
    });

    it('[demo] security group rule create --protocol icmp osc-sg', async (t) => {
      need('sg');
      const r = await ok(demo, ['security', 'group', 'rule', 'create', '--protocol', 'icmp', 'osc-sg']);
      likeZed(t, r, 'openstack security group rule create --protocol icmp osc-sg',
        ['description', 'direction', 'ether_type', 'name', 'port_range_max', 'port_range_min', 'protocol', 'remote_address_group_id', 'remote_group_id', 'remote_ip_prefix', 'revision_number']);
      assert.equal(r.security_group_id, ids.sg);
      ids.icmpRule = r.id;
    });

    it('[demo] security group show osc-sg: four rules, revision 3', async (t) => {
      need('sg');
      const g = await ok(demo, ['security', 'group', 'show', 'osc-sg']);
      likeZed(t, g, 'openstack security group show osc-sg', ['name', 'description', 'revision_number', 'stateful']);
      assert.equal(g.rules.length, 4);
      // Zed's rules in a group carry normalized_cidr and standard_attr_id as well.
      const tcp = g.rules.find((r: any) => r.id === ids.sshRule);
      assert.equal(tcp.normalized_cidr, '0.0.0.0/0');
      assert.equal(tcp.port_range_min, 22);
      assert.equal(typeof tcp.standard_attr_id, 'number');
    });

    it('[demo] security group list; security group rule list osc-sg', async () => {
      need('sg');
      const groups = await ok(demo, ['security', 'group', 'list']);
      sameColumns(groups, 'openstack security group list');
      assert.deepEqual(groups.map((g: any) => `${g.Name}|${g.Description}|${g.Project}`).sort(),
        [`default|Default security group|${demoProject}`, `osc-sg|osc test|${demoProject}`]);
      const rules = await ok(demo, ['security', 'group', 'rule', 'list', 'osc-sg']);
      sameColumns(rules, 'openstack security group rule list osc-sg');
      const row = (r: any) => [r['IP Protocol'], r.Ethertype, r['IP Range'], r['Port Range'], r.Direction, r['Remote Security Group'], r['Remote Address Group']].join(' ');
      // Zed's rows, as printed (OSC fills IP Range for rules without a prefix).
      assert.deepEqual(rules.map(row).sort(), [
        ' IPv4 0.0.0.0/0  egress  ', ' IPv6 ::/0  egress  ', 'icmp IPv4 0.0.0.0/0  ingress  ', 'tcp IPv4 0.0.0.0/0 22:22 ingress  ',
      ]);
    });

    // ---- floating IPs ----

    it('[demo] port create --network osc-net --security-group osc-sg osc-port', async () => {
      need('sg');
      const p = await ok(demo, ['port', 'create', '--network', 'osc-net', '--security-group', 'osc-sg', 'osc-port']);
      assert.deepEqual(p.security_group_ids, [ids.sg]);
      ids.port = p.id;
      ids.portIp = p.fixed_ips[0].ip_address;
      ids.portMac = p.mac_address;
    });

    it('[demo] floating ip create public', async (t) => {
      const f = await ok(demo, ['floating', 'ip', 'create', 'public']);
      likeZed(t, f, 'openstack floating ip create public',
        ['description', 'dns_domain', 'dns_name', 'fixed_ip_address', 'port_details', 'port_id', 'qos_policy_id', 'revision_number', 'router_id', 'status', 'subnet_id']);
      assert.deepEqual(f.tags, []);
      assert.equal(f.floating_network_id, ids.public);
      assert.equal(f.name, f.floating_ip_address);
      const last = Number(/^192\.168\.81\.(\d+)$/.exec(f.floating_ip_address)?.[1]);
      assert.ok(last >= 100 && last <= 200 && f.floating_ip_address !== ids.gatewayIp, `floating IP ${f.floating_ip_address}`);
      assert.equal(f.project_id, demoProject);
      ids.fip = f.id;
      ids.fipAddress = f.floating_ip_address;
    });

    it('[demo] floating ip set --port osc-port <ip>; floating ip show <ip>', async (t) => {
      need('fip'); need('port');
      assert.equal((await ok(demo, ['floating', 'ip', 'set', '--port', 'osc-port', ids.fipAddress], false)).trim(), '');
      const f = await ok(demo, ['floating', 'ip', 'show', ids.fipAddress]);
      likeZed(t, f, 'openstack floating ip show 192.168.81.113',
        ['description', 'dns_domain', 'dns_name', 'qos_policy_id', 'revision_number', 'status', 'subnet_id']);
      assert.equal(f.id, ids.fip);
      assert.equal(f.port_id, ids.port);
      assert.equal(f.fixed_ip_address, ids.portIp);
      assert.equal(f.router_id, ids.router);
      // OSC prints port_details as key='value' pairs, in sorted order (as Zed's row shows).
      assert.equal(f.port_details, `admin_state_up='True', device_id='', device_owner='', mac_address='${ids.portMac}', name='osc-port', network_id='${ids.net}', status='DOWN'`);
    });

    it('[demo] floating ip list', async () => {
      need('fip');
      const rows = await ok(demo, ['floating', 'ip', 'list']);
      sameColumns(rows, 'openstack floating ip list');
      assert.deepEqual(rows, [{
        ID: ids.fip, 'Floating IP Address': ids.fipAddress, 'Fixed IP Address': ids.portIp, Port: ids.port,
        'Floating Network': ids.public, Project: demoProject,
      }]);
    });

    it('floating ip pool list: refused by OSC 6.0 itself; GET /v2.0/floatingip_pools lists the public subnet', async () => {
      const r = await fails(demo, ['floating', 'ip', 'pool', 'list']);
      assert.match(r.stderr, /Floating ip pool operations are only available for Compute v2 network/);
      const res = await fetch(`${muon.apiUrl}/v2.0/floatingip_pools`, { headers: { 'X-Auth-Token': need('demoToken') } });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { floatingip_pools: [{
        subnet_id: ids.publicSubnet, subnet_name: 'public', network_id: ids.public, cidr: '192.168.81.0/24',
        project_id: need('adminProject'), tenant_id: need('adminProject'),
      }] });
    });

    it('[demo] floating ip unset --port; floating ip delete', async () => {
      need('fip');
      assert.equal((await ok(demo, ['floating', 'ip', 'unset', '--port', ids.fipAddress], false)).trim(), '');
      const f = await ok(demo, ['floating', 'ip', 'show', ids.fip]);
      assert.equal(f.port_id, null);
      assert.equal(f.fixed_ip_address, null);
      assert.equal(f.router_id, null);
      assert.equal(f.port_details, null);
      assert.equal(f.revision_number, 2);
      // Kept for the quota usage below, then deleted there.
    });

    // ---- quotas ----

    it('[demo] quota show: OSC 6.0 fails building the compute client (no Nova), as against Zed', async () => {
      const r = await fails(demo, ['quota', 'show']);
      assert.match(r.stderr, /public endpoint for compute service in RegionOne region not found/);
    });

    it('[admin] quota list --network --detail --project demo: usage and Zed\'s default limits', async () => {
      const rows = await ok(admin, ['quota', 'list', '--network', '--detail', '--project', 'demo']);
      sameColumns(rows, 'openstack quota list --network --detail --project demo');
      const got = Object.fromEntries(rows.map((r: any) => [r.Resource, [r['In Use'], r.Reserved, r.Limit]]));
      assert.deepEqual(got, {
        floating_ips: [1, 0, 50], networks: [1, 0, 100], ports: [2, 0, 500], rbac_policies: [0, 0, 10], routers: [1, 0, 10],
        subnets: [1, 0, 100], subnet_pools: [0, 0, -1], security_group_rules: [8, 0, 100], security_groups: [2, 0, 10],
      });
      // Same resources, in the same order, as Zed printed.
      assert.deepEqual(rows.map((r: any) => r.Resource), ['floating_ips', 'networks', 'ports', 'rbac_policies', 'routers', 'subnets', 'subnet_pools', 'security_group_rules', 'security_groups']);
    });

    it('[admin] quota set --networks 20 demo; quota list --network shows the project', async () => {
      assert.equal((await ok(adminQuota, ['quota', 'set', '--networks', '20', 'demo'], false)).trim(), '');
      const rows = await ok(admin, ['quota', 'list', '--network', '--detail', '--project', demoProject]);
      assert.deepEqual(rows.find((r: any) => r.Resource === 'networks'), { Resource: 'networks', 'In Use': 1, Reserved: 0, Limit: 20 });
      const changed = await ok(admin, ['quota', 'list', '--network']);
      assert.equal(changed.length, 1);
      assert.equal(changed[0]['Project ID'], demoProject);
      assert.equal(changed[0].Networks, 20);
      assert.equal(changed[0].Ports, 500);
    });

    it('[demo] cannot set its own quota (403)', async () => {
      const r = await fails(demoQuota, ['quota', 'set', '--networks', '30', demoProject]);
      assert.match(r.stderr, /403/, describeRun(r));
    });

    // ---- network RBAC ----

    it('[admin] network rbac create --target-project <demo> --action access_as_shared --type network rbac-net; demo sees the network', async () => {
      ids.rbacNet = (await ok(admin, ['network', 'create', 'rbac-net'])).id;
      assert.ok(!(await ok(demo, ['network', 'list'])).some((n: any) => n.Name === 'rbac-net'));
      const p = await ok(admin, ['network', 'rbac', 'create', '--target-project', demoProject, '--action', 'access_as_shared', '--type', 'network', 'rbac-net']);
      assert.deepEqual(Object.keys(p).sort(), ['action', 'id', 'object_id', 'object_type', 'project_id', 'target_project_id']);
      assert.equal(p.action, 'access_as_shared');
      assert.equal(p.object_type, 'network');
      assert.equal(p.object_id, ids.rbacNet);
      assert.equal(p.target_project_id, demoProject);
      assert.match(p.id, UUID);
      ids.rbac = p.id;
      assert.ok((await ok(demo, ['network', 'list'])).some((n: any) => n.Name === 'rbac-net'));
      assert.equal((await ok(demo, ['network', 'show', 'rbac-net'])).shared, true);
    });

    it('[admin] network rbac list / show; delete: demo no longer sees the network', async () => {
      need('rbac');
      const list = await ok(admin, ['network', 'rbac', 'list', '--long']);
      assert.deepEqual(list.find((r: any) => r.ID === ids.rbac), { ID: ids.rbac, 'Object Type': 'network', 'Object ID': ids.rbacNet, Action: 'access_as_shared' });
      // `--share --external` on public made its two wildcard policies.
      assert.deepEqual(list.filter((r: any) => r['Object ID'] === ids.public).map((r: any) => r.Action).sort(), ['access_as_external', 'access_as_shared']);
      const shown = await ok(admin, ['network', 'rbac', 'show', ids.rbac]);
      assert.equal(shown.target_project_id, demoProject);
      assert.equal(shown.object_id, ids.rbacNet);
      assert.equal((await ok(admin, ['network', 'rbac', 'delete', ids.rbac], false)).trim(), '');
      await fails(admin, ['network', 'rbac', 'show', ids.rbac]);
      assert.ok(!(await ok(demo, ['network', 'list'])).some((n: any) => n.Name === 'rbac-net'));
      await ok(admin, ['network', 'delete', 'rbac-net'], false);
    });

    // ---- availability zones ----

    it('availability zone list --network: the zone of the (future) DHCP and L3 agents', async () => {
      const rows = await ok(demo, ['availability', 'zone', 'list', '--network', '--long']);
      assert.deepEqual(rows.map((r: any) => `${r['Zone Name']} ${r['Zone Status']} ${r['Zone Resource']}`).sort(), ['nova available network', 'nova available router']);
    });

    // ---- deletes ----

    it('[demo] deletes: floating ip, rule, group in use refused then deleted, router (in use refused), default group refused', async () => {
      need('fip'); need('port'); need('router');
      await ok(demo, ['floating', 'ip', 'delete', ids.fipAddress], false);
      assert.deepEqual(await ok(demo, ['floating', 'ip', 'list']), []);
      await ok(demo, ['security', 'group', 'rule', 'delete', ids.icmpRule], false);
      assert.equal((await ok(demo, ['security', 'group', 'rule', 'list', 'osc-sg'])).length, 3);
      const inUse = await fails(demo, ['security', 'group', 'delete', 'osc-sg']);
      assert.match(inUse.stderr, new RegExp(`409.*Security Group ${ids.sg} in use\\.`, 's'));
      await ok(demo, ['port', 'delete', 'osc-port'], false);
      await ok(demo, ['security', 'group', 'delete', 'osc-sg'], false);
      const def = await fails(demo, ['security', 'group', 'delete', 'default']);
      assert.match(def.stderr, /409.*Insufficient rights for removing default security group\./s);
      const busy = await fails(demo, ['router', 'delete', 'osc-router']);
      assert.match(busy.stderr, new RegExp(`409.*Router ${ids.router} has ports still attached: ${ids.routerPort}`, 's'));
      await ok(demo, ['router', 'unset', '--external-gateway', 'osc-router'], false);
      assert.equal((await ok(demo, ['router', 'show', 'osc-router'])).external_gateway_info, null);
      await ok(demo, ['router', 'remove', 'subnet', 'osc-router', 'osc-subnet'], false);
      assert.deepEqual(await ok(demo, ['port', 'list', '--router', 'osc-router']), []);
      await ok(demo, ['router', 'delete', 'osc-router'], false);
      assert.deepEqual(await ok(demo, ['router', 'list']), []);
      const gone = await fails(demo, ['router', 'show', ids.router]);
      assert.match(gone.stderr, /No Router found|could not be found/);
    });
  });
}
