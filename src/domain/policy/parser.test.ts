import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRule } from './parser.ts';
import { evaluate, render, type Creds, type RuleSet, type Target } from './checks.ts';

const rendered = (rule: string) => render(parseRule(rule));

test('renders as oslo str(): grouping follows oslo reductions', () => {
  const cases: [string, string][] = [
    ['', '@'],
    ['@', '@'],
    ['!', '!'],
    ['role:admin', 'role:admin'],
    ['rule:a or rule:b', '(rule:a or rule:b)'],
    ['rule:a and rule:b and rule:c', '(rule:a and rule:b and rule:c)'],
    ['rule:a or rule:b or rule:c', '(rule:a or rule:b or rule:c)'],
    ['rule:a and rule:b or rule:c', '((rule:a and rule:b) or rule:c)'],
    ['rule:a or rule:b and rule:c', '(rule:a or (rule:b and rule:c))'],
    ['rule:a or rule:b and rule:c or rule:d', '(rule:a or (rule:b and rule:c) or rule:d)'],
    ['rule:a or (rule:b and rule:c) and rule:d', '(rule:a or (rule:b and rule:c and rule:d))'],
    ['(rule:a and rule:b) or (rule:c and rule:d)', '((rule:a and rule:b) or (rule:c and rule:d))'],
    ['((rule:a))', 'rule:a'],
    ['not role:dunce', 'not role:dunce'],
    ['not rule:a and rule:b', '(not rule:a and rule:b)'],
    ['rule:a and not rule:b', '(rule:a and not rule:b)'],
    ['rule:a AND rule:b Or rule:c', '((rule:a and rule:b) or rule:c)'],
    ['role:admin or (project_id:%(project_id)s and role:projectadmin)',
      '(role:admin or (project_id:%(project_id)s and role:projectadmin))'],
    ['(rule:admin_only) or (role:member and project_id:%(project_id)s)',
      '(rule:admin_only or (role:member and project_id:%(project_id)s))'],
    ['rule:admin_only or role:member and project_id:%(project_id)s or rule:context_is_advsvc',
      '(rule:admin_only or (role:member and project_id:%(project_id)s) or rule:context_is_advsvc)'],
    ['not rule:network_device or rule:context_is_advsvc or rule:admin_or_network_owner',
      '(not rule:network_device or rule:context_is_advsvc or rule:admin_or_network_owner)'],
    ['tenant_id:%(network:tenant_id)s', 'tenant_id:%(network:tenant_id)s'],
    // Neutron's FieldCheck joins resource, field and value with ':'.
    ['field:networks:shared=True', 'field:networks:shared:True'],
    ['field:port:device_owner=~^network:', 'field:port:device_owner:~^network:'],
  ];
  for (const [rule, want] of cases) assert.equal(rendered(rule), want, rule);
});

test('unparsable rules fail closed', () => {
  for (const rule of ['rule:a and', 'and rule:a', '(rule:a', 'rule:a)', 'noColon', "'quoted'", 'rule:a or or rule:b']) {
    assert.equal(rendered(rule), '!', rule);
  }
});

test('rendering a parsed rule and parsing it again is stable', () => {
  for (const rule of [
    'rule:a or rule:b and rule:c', '(rule:a and rule:b) or not (rule:c or role:x)', 'not not rule:a',
    '(role:admin and system_scope:all) or (role:member and project_id:%(project_id)s)',
  ]) {
    const once = rendered(rule);
    assert.equal(rendered(once), once, rule);
  }
});

const creds: Creds = {
  user_id: 'u1', project_id: 'p1', tenant_id: 'p1', roles: ['Member', 'reader'], is_admin: false, system_scope: null,
};
const none: RuleSet = { rules: new Map(), defaultRule: null };
const ok = (rule: string, target: Target = {}) => evaluate(parseRule(rule), { rules: none, creds, target, partial: false });

test('evaluates role, generic, literal, owner and field checks as oslo and Neutron do', () => {
  assert.equal(ok('role:member'), true, 'roles compare case-insensitively');
  assert.equal(ok('role:admin'), false);
  assert.equal(ok('project_id:%(project_id)s', { project_id: 'p1' }), true);
  assert.equal(ok('project_id:%(project_id)s', { project_id: 'p2' }), false);
  assert.equal(ok('project_id:%(project_id)s', {}), false, 'missing target key fails');
  assert.equal(ok('user_id:u1'), true);
  assert.equal(ok('True:%(enabled)s', { enabled: true }), true);
  assert.equal(ok("'x':%(name)s", { name: 'x' }), true);
  assert.equal(ok('tenant_id:%(tenant_id)s', { tenant_id: 'p1' }), true);
  assert.equal(ok('tenant_id:%(network:tenant_id)s', { 'network:tenant_id': 'p2' }), false);
  assert.equal(ok('tenant_id:%(network:tenant_id)s', {}), false, 'parent owner must be supplied');
  assert.equal(ok('field:networks:shared=True', { shared: true }), true);
  assert.equal(ok('field:networks:shared=True', { shared: 1 }), true, 'True == 1');
  assert.equal(ok('field:networks:shared=True', { shared: false }), false);
  assert.equal(ok('field:networks:shared=True', { 'network:shared': true }), true, 'parent network shared');
  assert.equal(ok('field:port:device_owner=~^network:', { device_owner: 'network:dhcp' }), true);
  assert.equal(ok('field:port:device_owner=~^network:', { device_owner: 'compute:nova' }), false);
  assert.equal(ok('not field:port:device_owner=~^network:', { device_owner: '' }), true);
  assert.equal(ok('http://example.invalid/check'), false, 'remote checks are not supported');
});

test('rule: follows references and falls back to the default rule', () => {
  const rules: RuleSet = {
    rules: new Map([['default', parseRule('role:member')], ['loop', parseRule('rule:loop')]]),
    defaultRule: 'default',
  };
  const env = { rules, creds, target: {}, partial: false };
  assert.equal(evaluate(parseRule('rule:undefined_rule'), env), true);
  assert.equal(evaluate(parseRule('rule:loop'), env), false, 'cycles fail closed');
  assert.equal(evaluate(parseRule('rule:undefined_rule'), { ...env, rules: { ...rules, defaultRule: null } }), false);
});

test('partial evaluation: unknown target fields make a check unknown, not false', () => {
  const partial = (rule: string, target: Target = {}) => evaluate(parseRule(rule), { rules: none, creds, target, partial: true });
  assert.equal(partial('tenant_id:%(tenant_id)s'), null);
  assert.equal(partial('not tenant_id:%(tenant_id)s'), null);
  assert.equal(partial('role:member or tenant_id:%(tenant_id)s'), true);
  assert.equal(partial('role:admin and tenant_id:%(tenant_id)s'), false);
  assert.equal(partial('tenant_id:%(tenant_id)s', { tenant_id: 'p1' }), true);
});
