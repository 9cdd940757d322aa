// Test data shared by the firewall tests (not a test file itself): two security groups, VM
// ports with predictable ids, MACs and addresses, and a rule builder.
import { deviceName, type PortState, type SecurityGroupRuleState } from '../../../feed/host-state.ts';

export const NET = '5e7a0000-0000-4000-8000-000000000001';
export const WEB = '0eb00000-0000-4000-8000-000000000001';
export const CLIENT = 'c1e00000-0000-4000-8000-000000000001';

let ruleSeq = 0;
export function rule(direction: 'ingress' | 'egress', over: Partial<SecurityGroupRuleState> = {}): SecurityGroupRuleState {
  return {
    id: `r${++ruleSeq}`, direction, ethertype: 'IPv4', protocol: null, port_range_min: null, port_range_max: null,
    remote_ip_prefix: null, remote_group_id: null, remote_address_group_id: null, ...over,
  };
}

export const egressAll = (): SecurityGroupRuleState[] => [rule('egress'), rule('egress', { ethertype: 'IPv6' })];

export const portId = (n: number): string => `${n}0000000-0000-4000-8000-00000000000${n}`;

/** VM n (0..9): port id `n0000000-…` (device tap<n>0000000-00), MAC fa:16:3e:00:00:0n, 10.9.0.n, fd00:9::n, on NET, in CLIENT. */
export function vmPort(n: number, over: Partial<PortState> = {}): PortState {
  const id = portId(n);
  return {
    id, network_id: NET, mac_address: `fa:16:3e:00:00:0${n}`, admin_state_up: true, device_owner: 'compute:nova',
    fixed_ips: [{ subnet_id: 's4', ip_address: `10.9.0.${n}` }, { subnet_id: 's6', ip_address: `fd00:9::${n}` }],
    port_security_enabled: true, security_groups: [CLIENT], allowed_address_pairs: [], device: deviceName('tap', id), ...over,
  };
}
