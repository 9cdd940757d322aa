// The metadata agent's options (metadata_agent.ini, [DEFAULT]) and the paths the agent and
// the proxies agree on: the unix socket, and where proxy configs live.
import type { MuonConfig } from '../../config/types.ts';

export interface MetadataOptions {
  /** metadata_proxy_socket (default <state_path>/metadata_proxy) */
  socketPath: string;
  /** nova_metadata_host / nova_metadata_port / nova_metadata_protocol / nova_metadata_insecure */
  novaHost: string;
  novaPort: number;
  novaProtocol: 'http' | 'https';
  novaInsecure: boolean;
  /** metadata_proxy_shared_secret ('' is Neutron's default; Nova must then have '' too) */
  sharedSecret: string;
  /** metadata_backlog */
  backlog: number;
}

const statePath = (config: MuonConfig): string => config.statePath.replace(/\/+$/, '');

/** metadata_proxy_socket, defaulted as Neutron does. */
export const metadataSocketPath = (config: MuonConfig): string =>
  (config.values.DEFAULT.metadata_proxy_socket as string | null) || `${statePath(config)}/metadata_proxy`;

/** Where router proxies keep <router id>.conf/.pid/.log (Neutron: $state_path/ns-metadata-proxy). */
export const routerProxyDir = (config: MuonConfig): string => `${statePath(config)}/ns-metadata-proxy`;

export function metadataOptions(config: MuonConfig): MetadataOptions {
  const d = config.values.DEFAULT;
  return {
    socketPath: metadataSocketPath(config),
    novaHost: d.nova_metadata_host as string,
    novaPort: d.nova_metadata_port as number,
    novaProtocol: d.nova_metadata_protocol as 'http' | 'https',
    novaInsecure: d.nova_metadata_insecure as boolean,
    sharedSecret: (d.metadata_proxy_shared_secret as string | null) ?? '',
    backlog: (d.metadata_backlog as number | null) ?? 4096,
  };
}
