// The seed's deployment as a trace model, for the unit tests: external network `public`
// (192.168.81.0/24, gateway .254 upstream), tenant network `private` (172.16.1.0/24, VXLAN),
// router `router` (172.16.1.1, gateway 192.168.81.101, SNAT), vm1 on compute (172.16.1.10,
// group default), vm2 on controller (172.16.1.11, groups default + web, floating IP
// 192.168.81.102). Every agent alive; every port ACTIVE. A fresh copy each call.
import type { PortM, TraceModel } from './model.ts';

export const ID = {
  public: '00000000-0000-4000-8000-00000000e001', publicSub: '00000000-0000-4000-8000-00000000e002',
  private: '00000000-0000-4000-8000-00000000a001', privateSub: '00000000-0000-4000-8000-00000000a002',
  router: '00000000-0000-4000-8000-00000000b001', qr: '00000000-0000-4000-8000-00000000b002', qg: '00000000-0000-4000-8000-00000000b003',
  vm1: '00000000-0000-4000-8000-000000000001', vm2: '00000000-0000-4000-8000-000000000002',
  fip: '00000000-0000-4000-8000-00000000f001', fipPort: '00000000-0000-4000-8000-00000000f002',
  default: '00000000-0000-4000-8000-00000000c001', web: '00000000-0000-4000-8000-00000000c002',
  lbCompute: '00000000-0000-4000-8000-00000000d001', lbController: '00000000-0000-4000-8000-00000000d002',
  l3: '00000000-0000-4000-8000-00000000d003', dhcp: '00000000-0000-4000-8000-00000000d004',
} as const;

const port = (p: Partial<PortM> & Pick<PortM, 'id' | 'network_id' | 'fixed_ips'>): PortM => ({
  name: '', admin_state_up: true, status: 'ACTIVE', device_owner: '', device_id: '', port_security_enabled: true,
  binding_host_id: 'controller', binding_vif_type: 'bridge', security_group_ids: [], allowed_address_pairs: [], ...p,
});

export function seedModel(): TraceModel {
  return {
    networks: [
      { id: ID.public, name: 'public', admin_state_up: true, router_external: true, segments: [{ network_type: 'flat', physical_network: 'public', segmentation_id: null }] },
      { id: ID.private, name: 'private', admin_state_up: true, router_external: false, segments: [{ network_type: 'vxlan', physical_network: null, segmentation_id: 1 }] },
    ],
    subnets: [
      { id: ID.publicSub, name: 'public', network_id: ID.public, cidr: '192.168.81.0/24', gateway_ip: '192.168.81.254', ip_version: 4, enable_dhcp: false },
      { id: ID.privateSub, name: 'private', network_id: ID.private, cidr: '172.16.1.0/24', gateway_ip: '172.16.1.1', ip_version: 4, enable_dhcp: true },
    ],
    ports: [
      port({ id: ID.vm1, name: 'vm1', network_id: ID.private, device_owner: 'compute:nova', binding_host_id: 'compute', fixed_ips: [{ subnet_id: ID.privateSub, ip_address: '172.16.1.10' }], security_group_ids: [ID.default] }),
      port({ id: ID.vm2, name: 'vm2', network_id: ID.private, device_owner: 'compute:nova', fixed_ips: [{ subnet_id: ID.privateSub, ip_address: '172.16.1.11' }], security_group_ids: [ID.default, ID.web] }),
      port({ id: ID.qr, network_id: ID.private, device_owner: 'network:router_interface', device_id: ID.router, fixed_ips: [{ subnet_id: ID.privateSub, ip_address: '172.16.1.1' }] }),
      port({ id: ID.qg, network_id: ID.public, device_owner: 'network:router_gateway', device_id: ID.router, fixed_ips: [{ subnet_id: ID.publicSub, ip_address: '192.168.81.101' }] }),
    ],
    security_groups: [
      { id: ID.default, name: 'default', stateful: true, rules: [
        { id: 'r-def-in', direction: 'ingress', ethertype: 'IPv4', protocol: null, port_range_min: null, port_range_max: null, remote_ip_prefix: null, remote_group_id: ID.default, remote_address_group_id: null },
        { id: 'r-def-out', direction: 'egress', ethertype: 'IPv4', protocol: null, port_range_min: null, port_range_max: null, remote_ip_prefix: null, remote_group_id: null, remote_address_group_id: null },
      ] },
      { id: ID.web, name: 'web', stateful: true, rules: [
        { id: 'r-web-ssh', direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '0.0.0.0/0', remote_group_id: null, remote_address_group_id: null },
        { id: 'r-web-icmp', direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', port_range_min: null, port_range_max: null, remote_ip_prefix: null, remote_group_id: null, remote_address_group_id: null },
      ] },
    ],
    remote_group_members: { [ID.default]: ['172.16.1.10', '172.16.1.11'] },
    address_groups: {},
    routers: [{
      id: ID.router, name: 'router', admin_state_up: true, status: 'ACTIVE', enable_snat: true, gw_port_id: ID.qg, gw_network_id: ID.public, routes: [],
      interfaces: [{ port_id: ID.qr, subnet_id: ID.privateSub, ip_address: '172.16.1.1' }],
    }],
    floatingips: [{ id: ID.fip, floating_ip_address: '192.168.81.102', floating_network_id: ID.public, fixed_port_id: ID.vm2, fixed_ip_address: '172.16.1.11', router_id: ID.router, status: 'ACTIVE' }],
    port_forwardings: [],
    agents: [
      { id: ID.lbCompute, agent_type: 'Linux bridge agent', host: 'compute', alive: true, admin_state_up: true },
      { id: ID.lbController, agent_type: 'Linux bridge agent', host: 'controller', alive: true, admin_state_up: true },
      { id: ID.l3, agent_type: 'L3 agent', host: 'controller', alive: true, admin_state_up: true },
      { id: ID.dhcp, agent_type: 'DHCP agent', host: 'controller', alive: true, admin_state_up: true },
    ],
    l3_agents_by_router: { [ID.router]: [ID.l3] },
    dhcp_agents_by_network: { [ID.private]: [ID.dhcp] },
  };
}
