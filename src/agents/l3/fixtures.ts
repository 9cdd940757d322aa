// A router by hand, the way the server's feed would carry it: gateway on 192.168.81.0/24
// (upstream .254), one interface 172.16.1.1/24, optionally a floating IP. Not a test file.
import type { FloatingIpState, RouterPortState, RouterState, RouterSubnetState } from '../../feed/host-state.ts';
import { deviceName } from '../../feed/host-state.ts';

export const ROUTER_ID = '7e1f0c2a-5b3d-4c8e-9a10-2f4b6d8e0a11';
export const GW_PORT_ID = 'a1b2c3d4-e5f6-4711-8899-aabbccddeeff';
export const IF_PORT_ID = 'b2c3d4e5-f6a7-4822-99aa-bbccddeeff00';
export const EXT_NET = 'e0e0e0e0-0000-4000-8000-000000000001';
export const INT_NET = 'f0f0f0f0-0000-4000-8000-000000000002';
export const EXT_SUBNET: RouterSubnetState = { id: 'sub-ext', cidr: '192.168.81.0/24', gateway_ip: '192.168.81.254', ip_version: 4, ipv6_ra_mode: null, ipv6_address_mode: null };
export const INT_SUBNET: RouterSubnetState = { id: 'sub-int', cidr: '172.16.1.0/24', gateway_ip: '172.16.1.1', ip_version: 4, ipv6_ra_mode: null, ipv6_address_mode: null };
export const INT6_SUBNET: RouterSubnetState = { id: 'sub-int6', cidr: '2001:db8:1::/64', gateway_ip: '2001:db8:1::1', ip_version: 6, ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' };
export const GW_IP = '192.168.81.101';
export const FIP = '192.168.81.102';
export const VM1_IP = '172.16.1.11';
export const VM2_IP = '172.16.1.12';

export function routerPort(id: string, kind: 'qr' | 'qg', network_id: string, mac: string, fixed: [string, string][], subnets: RouterSubnetState[], mtu = 1500): RouterPortState {
  return {
    id, network_id, mac_address: mac, mtu, admin_state_up: true,
    fixed_ips: fixed.map(([subnet_id, ip_address]) => ({ subnet_id, ip_address })),
    subnets, device: deviceName(kind === 'qr' ? 'qr-' : 'qg-', id), tap: deviceName('tap', id),
  };
}

export function fip(id: string, address: string, fixed: string | null): FloatingIpState {
  return { id, floating_ip_address: address, fixed_ip_address: fixed, fixed_port_id: fixed ? `port-of-${fixed}` : null };
}

export function router(over: Partial<RouterState> = {}): RouterState {
  return {
    id: ROUTER_ID,
    project_id: 'demo',
    admin_state_up: true,
    namespace: `qrouter-${ROUTER_ID}`,
    enable_snat: true,
    gw_port: routerPort(GW_PORT_ID, 'qg', EXT_NET, 'fa:16:3e:00:00:01', [['sub-ext', GW_IP]], [EXT_SUBNET]),
    interfaces: [routerPort(IF_PORT_ID, 'qr', INT_NET, 'fa:16:3e:00:00:02', [['sub-int', '172.16.1.1']], [INT_SUBNET], 1450)],
    routes: [],
    floating_ips: [],
    port_forwardings: [],
    ...over,
  };
}
