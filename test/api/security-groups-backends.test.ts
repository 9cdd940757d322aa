// Security groups on each real backend: the default group made by many concurrent
// first uses (exactly one per project), concurrent identical rules (exactly one
// wins, the rest see SecurityGroupRuleExists), cascades on group delete.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_DB_KINDS, dbSkipReason, freshDatabase, type TestDatabase } from '../support/test-db.ts';
import { startApi, type Api } from '../support/api.ts';

for (const kind of TEST_DB_KINDS) {
  describe(`security groups on ${kind}`, { skip: dbSkipReason(kind) }, () => {
    let db: TestDatabase;
    let api: Api;
    before(async () => {
      db = await freshDatabase(kind, 'sg');
      api = await startApi('', db.url);
    });
    after(async () => {
      await api?.close();
      await db?.drop();
    });

    it('makes one default group when 16 first uses race', async () => {
      const p = api.as('race-project');
      const rs = await Promise.all(Array.from({ length: 16 }, (_, i) => i % 2
        ? p('GET', '/v2.0/security-groups')
        : p('POST', '/v2.0/security-groups', { security_group: { name: `g${i}` } })));
      for (const r of rs) assert.ok(r.status === 200 || r.status === 201, JSON.stringify(r.body));
      const l = await p('GET', '/v2.0/security-groups?name=default');
      assert.equal(l.body.security_groups.length, 1);
      assert.equal(l.body.security_groups[0].security_group_rules.length, 4);
    });

    it('lets one of 8 identical concurrent rules in', async () => {
      const p = api.as('race-project');
      const g = (await p('POST', '/v2.0/security-groups', { security_group: { name: 'dup' } })).body.security_group;
      const body = { security_group_rule: { security_group_id: g.id, direction: 'ingress', protocol: 'tcp', port_range_min: 80, port_range_max: 80 } };
      const rs = await Promise.all(Array.from({ length: 8 }, () => p('POST', '/v2.0/security-group-rules', body)));
      assert.equal(rs.filter((r) => r.status === 201).length, 1, JSON.stringify(rs.map((r) => r.status)));
      for (const r of rs.filter((x) => x.status !== 201)) assert.equal(r.body.NeutronError.type, 'SecurityGroupRuleExists');
      const after = (await p('GET', `/v2.0/security-groups/${g.id}`)).body.security_group;
      assert.equal(after.security_group_rules.length, 3);
      assert.equal(after.revision_number, 2);
    });

    it('drops rules naming a deleted group as remote, bumping their group', async () => {
      const p = api.as('cascade-project');
      const a = (await p('POST', '/v2.0/security-groups', { security_group: { name: 'a' } })).body.security_group;
      const b = (await p('POST', '/v2.0/security-groups', { security_group: { name: 'b' } })).body.security_group;
      const r = await p('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: a.id, direction: 'ingress', remote_group_id: b.id } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal((await p('DELETE', `/v2.0/security-groups/${b.id}`)).status, 204);
      const after = (await p('GET', `/v2.0/security-groups/${a.id}`)).body.security_group;
      assert.equal(after.security_group_rules.length, 2);
      assert.equal(after.revision_number, 3);
      assert.equal((await p('GET', `/v2.0/security-group-rules/${r.body.security_group_rule.id}`)).status, 404);
    });
  });
}
