// The three files dnsmasq re-reads on SIGHUP, in Neutron's formats (neutron/agent/linux/dhcp.py
// Dnsmasq._output_hosts_file / _output_addn_hosts_file / _output_opts_file):
//   host        <mac>[,id:<client-id>],<fqdn>,<ip>[,set:port-<id>]   one line per leased address
//   addn_hosts  <ip>\t<fqdn> <hostname>                                names for DNS
//   opts        tag:subnet-<id>,option:<name>,<value>…                 per subnet, then per port
import type { DhcpHostEntry, DhcpNetworkState, ExtraDhcpOpt, SubnetState } from '../../feed/host-state.ts';
import { getsOptions, isSlaac, isStateless, leasesAddresses } from './subnets.ts';

export const subnetTag = (subnetId: string): string => `subnet-${subnetId}`;
export const portTag = (portId: string): string => `port-${portId}`;

/** Neutron's hostname for an address without a dns_name: host-172-16-1-10, host-2001-db8--5. */
export const defaultHostname = (ip: string): string => `host-${ip.replaceAll('.', '-').replaceAll(':', '-')}`;

/** The DNS domain as dnsmasq takes it (no trailing dot). */
export const dnsDomain = (net: DhcpNetworkState): string => net.dns_domain.replace(/\.$/, '');

/** IPv6 addresses are bracketed in dnsmasq option and host lines. */
const literal = (ip: string): string => (ip.includes(':') ? `[${ip}]` : ip);

/**
 * hostname and FQDN of one address of a port. Without a dns_name each address has its own
 * host-<ip> name (the entry's hostname is the default of one of them); with one, every
 * address carries it.
 */
export function hostNames(entry: DhcpHostEntry, ip: string, domain: string): { hostname: string; fqdn: string } {
  const isDefault = !entry.hostname || entry.fixed_ips.some((f) => defaultHostname(f.ip_address) === entry.hostname);
  const hostname = isDefault ? defaultHostname(ip) : entry.hostname;
  return { hostname, fqdn: domain ? `${hostname}.${domain}` : hostname };
}

const CLIENT_ID_NAMES = new Set(['client-id', '61']);
const isClientId = (o: ExtraDhcpOpt): boolean => CLIENT_ID_NAMES.has(o.opt_name);

function subnetMap(net: DhcpNetworkState): Map<string, SubnetState> {
  return new Map(net.subnets.map((s) => [s.id, s]));
}

/**
 * One option line as Neutron's _format_option writes it: the option name may carry its own
 * `tag:x,` prefix; IPv6 options are `option6:<name>`, IPv4 ones `option:<name>` unless numeric.
 */
export function formatOption(ipVersion: 4 | 6, tag: string, option: string, ...args: string[]): string {
  const m = /^(tag:(.*),)?(.*)$/.exec(option) as RegExpExecArray;
  const extraTag = m[1];
  let name = m[3];
  if (ipVersion === 6) name = `option6:${name}`;
  else if (!/^\d+$/.test(name)) name = `option:${name}`;
  const tags = extraTag ? [`tag:${tag}`, extraTag.slice(0, -1), name] : [`tag:${tag}`, name];
  return [...tags, ...args].join(',');
}

/** dnsmasq reads the hosts file from the end: stateless-IPv6 lines go first so that a DHCPv4 client finds its address line. */
function sortedIps(entry: DhcpHostEntry, subnets: Map<string, SubnetState>) {
  const stateless = (f: { subnet_id: string }) => (subnets.get(f.subnet_id) && isStateless(subnets.get(f.subnet_id)!) ? 0 : 1);
  return [...entry.fixed_ips].sort((a, b) => stateless(a) - stateless(b));
}

/** --dhcp-hostsfile: the addresses dnsmasq hands out (static ranges: nothing else). */
export function hostsFile(net: DhcpNetworkState): string {
  const subnets = subnetMap(net);
  const domain = dnsDomain(net);
  const lines: string[] = [];
  for (const e of net.hosts) {
    const opts = e.extra_dhcp_opts ?? [];
    const clientId = opts.find(isClientId)?.opt_value;
    const setTag = `set:${portTag(e.id)}`;
    for (const f of sortedIps(e, subnets)) {
      const s = subnets.get(f.subnet_id);
      if (!s) continue;
      if (!leasesAddresses(s)) {
        // stateless DHCPv6 clients ask for options only: the line just tags the port
        if (!isSlaac(s) && opts.length > 0) lines.push(`${e.mac_address},${setTag}`);
        continue;
      }
      if (!s.enable_dhcp) continue;
      const name = hostNames(e, f.ip_address, domain).fqdn;
      const ip = literal(f.ip_address);
      if (opts.length === 0) lines.push(`${e.mac_address},${name},${ip}`);
      else if (clientId !== undefined && opts.length > 1) lines.push(`${e.mac_address},id:${clientId},${name},${ip},${setTag}`);
      else if (clientId !== undefined) lines.push(`${e.mac_address},id:${clientId},${name},${ip}`);
      else lines.push(`${e.mac_address},${name},${ip},${setTag}`);
    }
  }
  return lines.map((l) => `${l}\n`).join('');
}

/** --addn-hosts: every address of every port, FQDN first (so it is the PTR answer). */
export function addnHostsFile(net: DhcpNetworkState): string {
  const domain = dnsDomain(net);
  const lines: string[] = [];
  for (const e of net.hosts) {
    for (const f of e.fixed_ips) {
      const n = hostNames(e, f.ip_address, domain);
      lines.push(`${f.ip_address}\t${n.fqdn} ${n.hostname}`);
    }
  }
  return lines.map((l) => `${l}\n`).join('');
}

/** dhcp_agent.ini's metadata options, as the opts file needs them. */
export interface MetadataRouting {
  /** enable_isolated_metadata: isolated subnets reach 169.254.169.254 through the DHCP port */
  enableIsolated: boolean;
  /** force_metadata: every subnet does */
  force: boolean;
}

export const METADATA_ROUTE_DEST = '169.254.169.254/32';

/** Neutron's get_isolated_subnets: no router interface holds the subnet's gateway (has_router unset counts as none). */
export const isIsolated = (s: SubnetState): boolean => s.has_router !== true;

/**
 * The host route to the metadata address (Neutron's _generate_opts_per_subnet): via this
 * DHCP port when the DHCP namespace serves metadata for the subnet, via the gateway when a
 * router serves it, else none.
 */
function metadataRoute(net: DhcpNetworkState, s: SubnetState, gateway: string | null, meta: MetadataRouting | undefined): string | undefined {
  if (meta && (meta.force || (meta.enableIsolated && isIsolated(s)))) {
    const own = net.port.fixed_ips.find((f) => f.subnet_id === s.id && !f.ip_address.includes(':'));
    return own ? `${METADATA_ROUTE_DEST},${own.ip_address}` : undefined;
  }
  if (!isIsolated(s) && gateway) return `${METADATA_ROUTE_DEST},${gateway}`;
  return undefined;
}

function subnetOptions(net: DhcpNetworkState, s: SubnetState, meta?: MetadataRouting): string[] {
  const tag = subnetTag(s.id);
  const v = s.ip_version;
  const out: string[] = [];
  const any = v === 4 ? '0.0.0.0' : '::';
  if (s.dns_nameservers.length === 1 && s.dns_nameservers[0] === any) {
    out.push(formatOption(v, tag, 'dns-server')); // "announce no DNS server"
  } else if (s.dns_nameservers.length > 0) {
    out.push(formatOption(v, tag, 'dns-server', s.dns_nameservers.map(literal).join(',')));
  } else {
    // no nameservers on the subnet: this dnsmasq answers DNS on its address there
    const own = net.port.fixed_ips.filter((f) => f.subnet_id === s.id).map((f) => literal(f.ip_address));
    if (own.length > 0) out.push(formatOption(v, tag, 'dns-server', own.join(',')));
  }
  const domain = dnsDomain(net);
  if (v === 6 && domain) out.push(formatOption(6, tag, 'domain-search', domain));
  if (v !== 4) return out;

  let gateway = s.gateway_ip;
  const routes: string[] = [];
  for (const r of s.host_routes) {
    if (r.destination === '0.0.0.0/0') gateway ||= r.nexthop;
    else routes.push(`${r.destination},${r.nexthop}`);
  }
  const toMetadata = metadataRoute(net, s, gateway, meta);
  if (toMetadata) routes.push(toMetadata);
  // the network's other IPv4 subnets are on-link (Neutron inserts each at the front)
  for (const o of net.subnets) {
    if (o.ip_version === 4 && o.cidr !== s.cidr) routes.unshift(`${o.cidr},0.0.0.0`);
  }
  if (routes.length > 0) {
    // a client given classless routes ignores option 3 (RFC 3442): the default route goes in the list
    if (gateway) routes.push(`0.0.0.0/0,${gateway}`);
    out.push(formatOption(4, tag, 'classless-static-route', routes.join(',')));
    out.push(formatOption(4, tag, '249', routes.join(',')));
  }
  // an empty router option stops dnsmasq from offering itself as the router
  out.push(gateway ? formatOption(4, tag, 'router', gateway) : formatOption(4, tag, 'router'));
  return out;
}

function portOptions(e: DhcpHostEntry): string[] {
  const versions = new Set(e.fixed_ips.map((f) => (f.ip_address.includes(':') ? 6 : 4)));
  return (e.extra_dhcp_opts ?? [])
    .filter((o) => !isClientId(o) && versions.has(o.ip_version))
    .map((o) => formatOption(o.ip_version, portTag(e.id), o.opt_name, o.opt_value));
}

/** --dhcp-optsfile: per DHCP subnet (tag subnet-<id>), then per port extra_dhcp_opts (tag port-<id>). */
export function optsFile(net: DhcpNetworkState, meta?: MetadataRouting): string {
  const lines = [
    ...net.subnets.filter(getsOptions).flatMap((s) => subnetOptions(net, s, meta)),
    ...net.hosts.flatMap(portOptions),
  ];
  return lines.map((l) => `${l}\n`).join('');
}
