// Isolated metadata (dhcp_agent.ini enable_isolated_metadata / force_metadata): a network
// whose IPv4 subnets have no router to serve 169.254.169.254 gets it from its DHCP
// namespace — the address on ns-, haproxy on 169.254.169.254:80 adding X-Neutron-Network-ID
// towards the metadata agent, and (config-files.ts) a host route to it via the DHCP port.
// Pure: what the namespace must hold; the plan compares it with what runs.
import type { DhcpNetworkState } from '../../feed/host-state.ts';
import type { HaproxyFiles } from '../../linux/haproxy.ts';
import { proxyFiles, renderProxyConfig } from '../metadata/proxy.ts';
import type { ProxyRunAs } from '../metadata/socket-access.ts';
import { isIsolated, type MetadataRouting } from './config-files.ts';

/**
 * On ns- whenever either option is set, as Neutron's DeviceManager.setup does (neutron-lib's
 * METADATA_CIDR; Liberty used 169.254.169.254/16, whose on-link route swallowed all of
 * 169.254.0.0/16). Kept even while a router serves the network, so a router coming and
 * going never re-addresses the interface dnsmasq is bound to.
 */
export const METADATA_CIDR = '169.254.169.254/32';

/** File stem of the network's proxy in its DHCP directory: metadata-proxy.conf/.pid/.log. */
export const PROXY_STEM = 'metadata-proxy';

export interface DhcpMetadataOptions extends MetadataRouting {
  /** the metadata agent's socket (metadata_proxy_socket) */
  socketPath: string;
  /** the account haproxy drops to (see ../metadata/socket-access.ts) */
  runAs?: Pick<ProxyRunAs, 'user' | 'group'>;
}

export interface DesiredProxy {
  config: string;
  files: HaproxyFiles;
}

/** Neutron's should_enable_metadata: force_metadata, or enable_isolated_metadata and an isolated IPv4 DHCP subnet. */
export function servesMetadata(net: DhcpNetworkState, m: MetadataRouting): boolean {
  if (m.force) return true;
  return m.enableIsolated && net.subnets.some((s) => s.ip_version === 4 && s.enable_dhcp && isIsolated(s));
}

export function compileMetadata(net: DhcpNetworkState, m: DhcpMetadataOptions | undefined, dir: string): { addresses: string[]; proxy?: DesiredProxy } {
  if (!m || (!m.enableIsolated && !m.force)) return { addresses: [] };
  if (!servesMetadata(net, m)) return { addresses: [METADATA_CIDR] };
  return {
    addresses: [METADATA_CIDR],
    proxy: {
      config: renderProxyConfig({ kind: 'network', id: net.network.id, socketPath: m.socketPath, runAs: m.runAs }),
      files: proxyFiles(dir, PROXY_STEM),
    },
  };
}
