// Test data: the seed's private network (172.16.1.0/24, gateway .1, DHCP port .2, MTU 1450)
// as the server would put it in HostState.dhcp. Not a test file itself.
import type { DhcpHostEntry, DhcpNetworkState, SubnetState } from '../../feed/host-state.ts';

export const NET_ID = '3f2c1a5e-9b00-4c1d-8e2f-000000000001';
export const SUBNET_ID = '5a6b7c8d-0000-4e1f-9a2b-000000000011';
export const DHCP_PORT_ID = '0d1c2b3a-3333-4c5d-8e6f-7a8b9c0d1e2f';
export const DHCP_MAC = 'fa:16:3e:0d:01:02';

export function subnet(over: Partial<SubnetState> = {}): SubnetState {
  return {
    id: SUBNET_ID,
    network_id: NET_ID,
    ip_version: 4,
    cidr: '172.16.1.0/24',
    gateway_ip: '172.16.1.1',
    enable_dhcp: true,
    dns_nameservers: [],
    host_routes: [],
    ipv6_address_mode: null,
    ipv6_ra_mode: null,
    ...over,
  };
}

export function host(id: string, mac: string, ip: string, over: Partial<DhcpHostEntry> = {}): DhcpHostEntry {
  return {
    id,
    mac_address: mac,
    fixed_ips: [{ subnet_id: SUBNET_ID, ip_address: ip }],
    hostname: `host-${ip.replaceAll('.', '-')}`,
    extra_dhcp_opts: [],
    ...over,
  };
}

export const VM1 = host('11111111-aaaa-4bbb-8ccc-000000000010', 'fa:16:3e:5a:01:10', '172.16.1.10');
export const VM2 = host('22222222-aaaa-4bbb-8ccc-000000000020', 'fa:16:3e:6b:01:20', '172.16.1.20');

export function network(over: Partial<DhcpNetworkState> = {}, id = NET_ID): DhcpNetworkState {
  return {
    network: { id, network_type: 'vxlan', physical_network: null, segmentation_id: 10, mtu: 1450, admin_state_up: true },
    port: {
      id: DHCP_PORT_ID,
      network_id: id,
      mac_address: DHCP_MAC,
      fixed_ips: [{ subnet_id: SUBNET_ID, ip_address: '172.16.1.2' }],
      admin_state_up: true,
      device_owner: 'network:dhcp',
      port_security_enabled: false,
      security_groups: [],
      allowed_address_pairs: [],
      device: `tap${DHCP_PORT_ID.slice(0, 11)}`,
    },
    subnets: [subnet()],
    hosts: [VM1],
    dns_domain: 'openstacklocal',
    ...over,
  };
}
