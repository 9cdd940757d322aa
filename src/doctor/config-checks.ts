// The config files of one host, cross-checked: what the loader already reports (unknown
// sections and options with a "did you mean", bad values, deprecations, ML2 and VXLAN
// combinations) as findings, then the files against the host (mappings, local_ip, the MTU
// chain), against each other (l2_population, the metadata secret with nova.conf) and against
// the agents the server knows (host names). Pure: texts and facts in, findings out.
import { createHash } from 'node:crypto';
import { ConfigError } from '../config/config-error.ts';
import { closest } from '../config/did-you-mean.ts';
import { parseIni } from '../config/ini.ts';
import { loadConfigSources, type ConfigSource } from '../config/load.ts';
import type { MuonConfig } from '../config/types.ts';
import { nearMisses } from '../domain/binding.ts';
import type { InterfaceFact } from '../linux/host-facts.ts';
import { VXLAN_OVERHEAD } from './deployment-checks.ts';
import { finding, type Finding, type Severity } from './finding.ts';
import type { AgentKind } from './host-checks.ts';

export interface ServerAgent { agent_type: string; host: string; alive: boolean; configurations: Record<string, unknown> }

export interface ConfigCheckInput {
  /** the files as this host's agents take them, in --config-file order */
  sources: ConfigSource[];
  /** nova.conf, when given: its [neutron] metadata_proxy_shared_secret must match */
  nova?: ConfigSource;
  /** the host's interfaces; absent: the host was not looked at */
  interfaces?: InterfaceFact[];
  /** the agents the server knows (GET /v2.0/agents); absent: no --server */
  serverAgents?: ServerAgent[];
  /** the agents this host runs, when the operator said (--agents); else guessed from the files */
  agents?: ReadonlySet<AgentKind>;
  /** the text of [DEFAULT] dnsmasq_config_file, or why it could not be read */
  readFile?: (path: string) => string | Error;
}

export interface ConfigCheckResult { findings: Finding[]; config: MuonConfig | undefined; agents: Set<AgentKind> }

const AGENT_TYPES: Record<AgentKind, string> = { linuxbridge: 'Linux bridge agent', dhcp: 'DHCP agent', l3: 'L3 agent', metadata: 'Metadata agent' };

/** Which agents these files configure: by the file names Neutron's packages use, then by sections. */
export function agentsOf(sources: readonly ConfigSource[]): Set<AgentKind> {
  const out = new Set<AgentKind>();
  for (const s of sources) {
    const base = s.file.split('/').pop() ?? s.file;
    if (/linuxbridge/.test(base) || /^\s*\[(linux_bridge|vxlan)\]/m.test(s.text)) out.add('linuxbridge');
    if (/dhcp_agent/.test(base)) out.add('dhcp');
    if (/l3_agent/.test(base)) out.add('l3');
    if (/metadata_agent/.test(base)) out.add('metadata');
  }
  return out;
}

export function checkConfig(input: ConfigCheckInput): ConfigCheckResult {
  const findings: Finding[] = [];
  const agents = new Set(input.agents ?? agentsOf(input.sources));
  const loaded = loadDroppingBadValues(input.sources, findings);
  if (!loaded) return { findings, config: undefined, agents };
  // "local_ip is not set" after a bad local_ip was dropped says nothing new
  const dropped = findings.map((f) => f.object.name?.split(' ').pop()).filter((o): o is string => !!o);
  findings.push(...loaded.warnings.filter((w) => !dropped.some((o) => w.includes(` ${o} is not set`))).map(warningFinding));
  const c = loaded.config;
  const ml2Read = input.sources.some((s) => /^\s*\[ml2\]/m.test(s.text));
  const vxlanRead = agents.has('linuxbridge');
  if (input.interfaces && vxlanRead) findings.push(...hostChecks(c, input.interfaces));
  if (vxlanRead || agents.has('dhcp')) findings.push(...mtuChecks(c, input, vxlanRead));
  findings.push(...l2popChecks(c, ml2Read, vxlanRead, input.serverAgents));
  if (input.nova && agents.has('metadata')) findings.push(...metadataSecret(c, input));
  if (input.serverAgents) findings.push(...hostNames(c, agents, input.serverAgents));
  return { findings, config: c, agents };
}

// A bad value stops the loader; each one is a finding, then the file is read again without it
// so that every bad value is reported at once.
function loadDroppingBadValues(sources: ConfigSource[], findings: Finding[]): { config: MuonConfig; warnings: string[] } | undefined {
  let current = sources.map((s) => ({ ...s }));
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      return loadConfigSources(current);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      findings.push(finding('error', 'config-invalid-value', { type: 'config', id: e.file ?? '<defaults>', ...(e.option ? { name: `[${e.section}] ${e.option}` } : {}) },
        e.message, e.line ? `correct line ${e.line} of ${e.file}` : `correct ${e.file}`));
      const i = current.findIndex((s) => s.file === e.file);
      if (i < 0 || !e.line) return undefined;
      const lines = current[i].text.split(/\r?\n/);
      lines[e.line - 1] = '';
      current = current.map((s, j) => (j === i ? { ...s, text: lines.join('\n') } : s));
    }
  }
  return undefined;
}

function warningFinding(w: string): Finding {
  const at = /^(.+?)(?::(\d+))?(?::| \[)/.exec(w);
  const file = at?.[1] ?? 'config';
  let severity: Severity = 'warning';
  let code = 'config-warning';
  if (/ is deprecated: /.test(w)) { severity = 'info'; code = 'config-deprecated'; }
  else if (/unknown section/.test(w)) code = 'config-unknown-section';
  else if (/unknown option|belongs in/.test(w)) code = 'config-unknown-option';
  else if (/is set again/.test(w)) code = 'config-duplicate-option';
  const mean = /did you mean (.+?)\?/.exec(w)?.[1];
  const semi = w.lastIndexOf('; ');
  const fix = /belongs in/.test(w) ? `move it: ${w.slice(w.indexOf('option'))}`
    : mean ? `${code === 'config-warning' ? 'write' : 'rename it to'} ${mean}`
    : severity === 'info' ? /deprecated: (.*)$/.exec(w)![1]
    : semi > 0 ? w.slice(semi + 2) : `edit ${file}`;
  return finding(severity, code, { type: 'config', id: file }, w, fix);
}

/**
 * What a Linux bridge agent's own files say about the host it runs on: mapped interfaces and
 * bridges present, local_ip assigned here, the underlay and uplink MTUs. The agent runs these
 * at start and when its host changes (src/agents/host-check.ts), as `muon doctor` does.
 */
export function checkLinuxbridgeHost(c: MuonConfig, ifaces: InterfaceFact[]): Finding[] {
  return [...hostChecks(c, ifaces), ...mtuChecks(c, { sources: [], interfaces: ifaces }, true)];
}

/** The MTU a dnsmasq config file forces on every network (dhcp-option[-force]=…26,N), if any. */
export function forcedDhcpMtu(text: string): number | undefined {
  const m = /^\s*dhcp-option(?:-force)?\s*=\s*(?:[^,\n]*,)*?(?:26|option:mtu)\s*,\s*(\d+)/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

function hostChecks(c: MuonConfig, ifaces: InterfaceFact[]): Finding[] {
  const out: Finding[] = [];
  const names = ifaces.map((i) => i.name);
  for (const [physnet, dev] of Object.entries(c.linuxBridge.physicalInterfaceMappings)) {
    if (names.includes(dev)) continue;
    const guess = closest(dev, names);
    out.push(finding('error', 'mapping-interface-missing', { type: 'config', id: 'physical_interface_mappings', name: `${physnet}:${dev}` },
      `[linux_bridge] physical_interface_mappings maps physical network '${physnet}' to ${dev}, but host ${c.host} has no interface ${dev} (it has ${names.filter((n) => n !== 'lo').join(', ') || 'none'}): ports on '${physnet}' fail to bind`,
      `set physical_interface_mappings = ${physnet}:${guess ?? '<the interface on that segment>'}`));
  }
  for (const [physnet, br] of Object.entries(c.linuxBridge.bridgeMappings)) {
    if (names.includes(br)) continue;
    out.push(finding('error', 'mapping-bridge-missing', { type: 'config', id: 'bridge_mappings', name: `${physnet}:${br}` },
      `[linux_bridge] bridge_mappings maps '${physnet}' to bridge ${br}, which does not exist on host ${c.host}`, `create the bridge ${br} or correct the mapping`));
  }
  const ip = c.vxlan.localIp;
  if (c.vxlan.enableVxlan && ip && !ifaces.some((i) => i.addresses.some((a) => a.split('/')[0] === ip))) {
    const have = ifaces.flatMap((i) => i.addresses.filter((a) => !a.includes(':')).map((a) => `${a} on ${i.name}`));
    out.push(finding('error', 'local-ip-not-assigned', { type: 'config', id: 'local_ip', name: ip },
      `[vxlan] local_ip = ${ip}, but no interface of host ${c.host} has that address (it has ${have.join(', ') || 'no IPv4 address'}): VXLAN tunnels cannot start and VXLAN ports fail to bind`,
      `set [vxlan] local_ip to this host's address on the tunnel network${have.length ? ` (e.g. ${have[0].split('/')[0]})` : ''}`));
  }
  return out;
}

/** The MTU VXLAN networks get: path_mtu if set, else global_physnet_mtu, minus the overhead. */
export function vxlanNetworkMtu(c: MuonConfig): number {
  const physnet = c.ml2.pathMtu > 0 ? Math.min(c.ml2.pathMtu, c.globalPhysnetMtu) : c.globalPhysnetMtu;
  return physnet - VXLAN_OVERHEAD;
}

// underlay → VXLAN overhead → network MTU → what DHCP tells VMs
function mtuChecks(c: MuonConfig, input: ConfigCheckInput, vxlan: boolean): Finding[] {
  const out: Finding[] = [];
  const netMtu = vxlanNetworkMtu(c);
  const assumed = netMtu + VXLAN_OVERHEAD;
  const under = vxlan && c.vxlan.localIp ? input.interfaces?.find((i) => i.addresses.some((a) => a.split('/')[0] === c.vxlan.localIp)) : undefined;
  if (under && under.mtu < assumed) {
    out.push(finding('error', 'mtu-underlay-smaller', { type: 'interface', id: under.name },
      `VXLAN networks get MTU ${netMtu} (global_physnet_mtu/path_mtu ${assumed} - ${VXLAN_OVERHEAD} VXLAN overhead), but ${under.name}, which carries local_ip ${c.vxlan.localIp}, has MTU ${under.mtu}: VMs' full-size packets are dropped (ping works, SSH and HTTPS stall)`,
      `set [DEFAULT] global_physnet_mtu = ${under.mtu} in neutron.conf on the server (VXLAN networks then get ${under.mtu - VXLAN_OVERHEAD}), or raise ${under.name}'s MTU to ${assumed}`));
  }
  for (const [physnet, dev] of Object.entries(c.linuxBridge.physicalInterfaceMappings)) {
    const i = input.interfaces?.find((x) => x.name === dev);
    const want = c.ml2.physicalNetworkMtus[physnet] ?? c.globalPhysnetMtu;
    if (i && i.mtu < want) {
      out.push(finding('warning', 'mtu-uplink-smaller', { type: 'interface', id: dev },
        `flat/VLAN networks on '${physnet}' get MTU ${want}, but ${dev} has MTU ${i.mtu}`, `set [ml2] physical_network_mtus = ${physnet}:${i.mtu} (or global_physnet_mtu), or raise ${dev}'s MTU`));
    }
  }
  const file = String(c.values.DEFAULT?.dnsmasq_config_file ?? '');
  if (file && input.readFile) {
    const text = input.readFile(file);
    if (text instanceof Error) {
      out.push(finding('warning', 'dnsmasq-config-unreadable', { type: 'config', id: file }, `[DEFAULT] dnsmasq_config_file = ${file} cannot be read: ${text.message}`, `create it or remove the option (Muon already tells VMs each network's MTU)`));
    } else {
      const forced = forcedDhcpMtu(text);
      if (forced !== undefined) {
        const bad = vxlan && forced > netMtu;
        out.push(finding(bad ? 'error' : 'info', bad ? 'dhcp-mtu-too-big' : 'dhcp-mtu-forced', { type: 'config', id: file },
          `${file} forces DHCP option 26 (MTU) = ${forced} for every network${bad ? `, more than VXLAN networks carry (${netMtu})` : ''}; Muon already sends each network's own MTU (VXLAN ${netMtu}, flat ${c.globalPhysnetMtu})`,
          `remove the dhcp-option-force=26 line${bad ? ` (or lower it to ${netMtu})` : ': it also shrinks flat networks\' MTU'}`));
      }
    }
  }
  return out;
}

function l2popChecks(c: MuonConfig, ml2Read: boolean, vxlanRead: boolean, serverAgents?: ServerAgent[]): Finding[] {
  const out: Finding[] = [];
  const server = c.ml2.mechanismDrivers.includes('l2population');
  const agent = c.vxlan.l2Population;
  if (ml2Read && vxlanRead && server !== agent) {
    out.push(finding('warning', 'l2pop-mismatch', { type: 'config', id: 'l2_population' },
      server ? '[ml2] mechanism_drivers has l2population but the agent\'s [vxlan] l2_population is false: Neutron\'s agent would flood through the multicast group instead of the server\'s forwarding entries'
        : '[vxlan] l2_population = true but [ml2] mechanism_drivers has no l2population: Neutron\'s server would send no forwarding entries and VMs on different hosts could not reach each other',
      server ? 'set [vxlan] l2_population = True in linuxbridge_agent.ini' : 'set [ml2] mechanism_drivers = linuxbridge,l2population in ml2_conf.ini'));
  }
  if (vxlanRead && serverAgents) {
    const others = serverAgents.filter((a) => a.agent_type === 'Linux bridge agent' && a.host !== c.host && typeof a.configurations.l2_population === 'boolean' && a.configurations.l2_population !== agent);
    if (others.length) {
      out.push(finding('warning', 'l2pop-mismatch', { type: 'config', id: 'l2_population' },
        `this host's [vxlan] l2_population = ${agent}, but the Linux bridge agents on ${others.map((a) => a.host).join(', ')} report ${!agent}`, `use the same [vxlan] l2_population on every host (True, with l2population in [ml2] mechanism_drivers)`));
    }
  }
  return out;
}

const fingerprint = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 8);

function metadataSecret(c: MuonConfig, input: ConfigCheckInput): Finding[] {
  const mine = String(c.values.DEFAULT?.metadata_proxy_shared_secret ?? '');
  const nova = input.nova!;
  const ini = parseIni(nova.text, nova.file);
  const get = (key: string) => ini.entries.filter((e) => e.section === 'neutron' && e.key === key).pop();
  const theirs = get('metadata_proxy_shared_secret');
  const out: Finding[] = [];
  const obj = { type: 'config', id: 'metadata_proxy_shared_secret' };
  if (!theirs) {
    out.push(finding('error', 'metadata-secret-mismatch', obj, `${nova.file} has no [neutron] metadata_proxy_shared_secret: Nova refuses every proxied metadata request (403)`, `set [neutron] metadata_proxy_shared_secret in ${nova.file} to the metadata agent's value, and service_metadata_proxy = True`));
  } else if (theirs.value !== mine) {
    // never the secrets themselves: their lengths and fingerprints
    const note = /[\s(（]/.test(mine) ? '; the metadata agent\'s value contains spaces or a parenthesis: a note written after the value is part of it' : '';
    out.push(finding('error', 'metadata-secret-mismatch', obj,
      `metadata_agent.ini's metadata_proxy_shared_secret (${mine.length} characters, sha256 ${fingerprint(mine)}) differs from ${nova.file}:${theirs.line} [neutron] metadata_proxy_shared_secret (${theirs.value.length} characters, sha256 ${fingerprint(theirs.value)}): Nova answers every VM's metadata request with 403 and cloud-init gets no keys${note}`,
      'put the same value in both files and restart the metadata agent and nova-api'));
  }
  const proxy = get('service_metadata_proxy');
  if (!proxy || !/^(true|yes|on|1)$/i.test(proxy.value)) {
    out.push(finding('warning', 'nova-metadata-proxy-off', { type: 'config', id: nova.file }, `${nova.file} [neutron] service_metadata_proxy is not True: Nova ignores the proxy's signed requests`, `set [neutron] service_metadata_proxy = True in ${nova.file}`));
  }
  return out;
}

function hostNames(c: MuonConfig, agents: Set<AgentKind>, known: ServerAgent[]): Finding[] {
  const out: Finding[] = [];
  for (const kind of agents) {
    const type = AGENT_TYPES[kind];
    const same = known.filter((a) => a.agent_type === type);
    if (same.some((a) => a.host === c.host)) continue;
    const near = nearMisses(c.host, same.map((a) => a.host));
    out.push(finding(near.length ? 'error' : 'warning', 'host-unknown-to-server', { type: 'host', id: c.host },
      `the server knows no ${type} on host '${c.host}' (this host's [DEFAULT] host or hostname)${near.length ? `; it knows one on ${near.map((h) => `'${h}'`).join(', ')}: ports bound to one name never find the agent registered under the other (binding_failed)` : ` (it knows ${same.map((a) => a.host).join(', ') || 'none'}): the agent has not registered — is it running and reaching the server?`}`,
      near.length ? `use one name everywhere: set [DEFAULT] host = ${near[0]} in the agent's files, or Nova's host name to '${c.host}'` : `start muon agent ${kind} on this host and check its log`));
  }
  return out;
}
