// The topology as the page draws it, built from the Networking API's lists (plain data,
// no DOM): networks with their subnets, routers with the networks they join, the hosts
// grouping their ports and agents, floating IPs on the ports they map to.

/** Ports drawn as their own node; the others are a router's or a floating IP's own. */
const INFRA_OWNERS = /^network:(router_|floatingip|ha_router)/;

/** A host draws at most this many ports in its row; the rest are counted in a "+N more" box
 *  (a row of a thousand boxes is no picture at a glance, and slow to draw). */
export const MAX_PORTS_PER_HOST = 10;

/** @param {{networks:any[], subnets:any[], routers:any[], ports:any[], floatingips:any[], agents:any[]}} api
 *  @param {{keep?: Set<string>, flagged?: Set<string>, maxPortsPerHost?: number}} [opts]
 *  keep: port ids always drawn (the trace's); flagged: drawn first (those with findings) */
export function buildTopology(api, opts = {}) {
  const subnetsOf = new Map();
  for (const s of api.subnets) push(subnetsOf, s.network_id, s);
  const networks = api.networks.map((n) => ({
    id: n.id, name: n.name || short(n.id), status: n.status, adminUp: n.admin_state_up !== false,
    external: n['router:external'] === true, shared: n.shared === true,
    type: n['provider:network_type'] ?? null, mtu: n.mtu ?? null,
    subnets: (subnetsOf.get(n.id) ?? []).map((s) => ({ id: s.id, name: s.name, cidr: s.cidr, gateway: s.gateway_ip, dhcp: s.enable_dhcp })),
  }));
  // external networks first (drawn on top), then by name
  networks.sort((a, b) => Number(b.external) - Number(a.external) || a.name.localeCompare(b.name));
  const networkIds = new Set(networks.map((n) => n.id));

  const routers = api.routers.map((r) => ({
    id: r.id, name: r.name || short(r.id), status: r.status, adminUp: r.admin_state_up !== false,
    gateway: r.external_gateway_info?.network_id ?? null,
    gatewayIps: (r.external_gateway_info?.external_fixed_ips ?? []).map((f) => f.ip_address),
    snat: r.external_gateway_info?.enable_snat !== false,
    interfaces: [],
  })).sort((a, b) => a.name.localeCompare(b.name));
  const routerById = new Map(routers.map((r) => [r.id, r]));

  const portById = new Map(api.ports.map((p) => [p.id, p]));
  const ports = [];
  for (const p of api.ports) {
    if (p.device_owner === 'network:router_interface' || p.device_owner === 'network:router_interface_distributed') {
      routerById.get(p.device_id)?.interfaces.push({ port: p.id, network: p.network_id, ips: ips(p), status: p.status });
      continue;
    }
    if (INFRA_OWNERS.test(p.device_owner ?? '')) continue;
    ports.push({
      id: p.id, name: p.name, label: portLabel(p), kind: portKind(p.device_owner ?? ''), owner: p.device_owner ?? '',
      status: p.status, adminUp: p.admin_state_up !== false, network: p.network_id, ips: ips(p),
      host: p['binding:host_id'] || '', vifType: p['binding:vif_type'] ?? null, deviceId: p.device_id ?? '',
      portSecurity: p.port_security_enabled !== false, securityGroups: p.security_groups ?? [],
    });
  }
  ports.sort((a, b) => kindRank(a.kind) - kindRank(b.kind) || a.label.localeCompare(b.label));

  const hostsByName = new Map();
  const hostOf = (name) => hostsByName.get(name) ?? hostsByName.set(name, { name, agents: [], ports: [] }).get(name);
  for (const a of [...api.agents].sort((x, y) => x.agent_type.localeCompare(y.agent_type))) {
    hostOf(a.host).agents.push({ id: a.id, type: a.agent_type, short: agentShort(a.agent_type), alive: a.alive === true, adminUp: a.admin_state_up !== false, heartbeat: a.heartbeat_timestamp });
  }
  for (const p of ports) hostOf(p.host || '').ports.push(p);
  // which ports a crowded host draws: those asked for, with findings, behind a floating IP, not ACTIVE
  const withFip = new Set(api.floatingips.map((f) => f.port_id).filter(Boolean));
  const keep = opts.keep ?? new Set();
  const max = opts.maxPortsPerHost ?? MAX_PORTS_PER_HOST;
  const flagged = opts.flagged ?? new Set();
  const rank = (p) => (keep.has(p.id) ? 0 : 8) + (flagged.has(p.id) ? 0 : 4) + (withFip.has(p.id) ? 0 : 2) + (p.status === 'ACTIVE' ? 1 : 0);
  const hidden = new Set();
  for (const h of hostsByName.values()) {
    h.more = null;
    if (h.ports.length <= max) continue;
    const ordered = [...h.ports].sort((a, b) => rank(a) - rank(b));
    const shown = new Set(ordered.slice(0, Math.max(max - 1, ordered.filter((p) => keep.has(p.id)).length)).map((p) => p.id));
    const rest = h.ports.filter((p) => !shown.has(p.id));
    for (const p of rest) hidden.add(p.id);
    h.ports = h.ports.filter((p) => shown.has(p.id));
    const byStatus = {};
    for (const p of rest) byStatus[p.status] = (byStatus[p.status] ?? 0) + 1;
    h.more = { count: rest.length, byStatus };
  }
  // named hosts by name, then the ports bound to no host
  const hosts = [...hostsByName.values()].sort((a, b) => Number(a.name === '') - Number(b.name === '') || a.name.localeCompare(b.name));

  const fips = api.floatingips.map((f) => ({
    id: f.id, address: f.floating_ip_address, status: f.status, network: f.floating_network_id,
    port: f.port_id ?? null, fixedIp: f.fixed_ip_address ?? null, router: f.router_id ?? null,
  })).sort((a, b) => a.address.localeCompare(b.address));

  const edges = [];
  for (const r of routers) {
    if (r.gateway && networkIds.has(r.gateway)) edges.push({ kind: 'router-network', router: r.id, network: r.gateway, gateway: true });
    for (const net of new Set(r.interfaces.map((i) => i.network))) {
      if (networkIds.has(net)) edges.push({ kind: 'router-network', router: r.id, network: net, gateway: false });
    }
  }
  const drawn = ports.filter((p) => !hidden.has(p.id));
  for (const p of drawn) if (networkIds.has(p.network)) edges.push({ kind: 'port-network', port: p.id, network: p.network });
  for (const f of fips) if (f.port && drawn.some((p) => p.id === f.port)) edges.push({ kind: 'fip-port', fip: f.id, port: f.port });

  // ports: the drawn ones; allPorts: every port a trace may start or end at
  return { networks, routers, hosts, ports: drawn, allPorts: ports, fips, edges, portById };
}

/** Which drawn node an API object is shown on: [type, id] or null. Subnets are drawn on their
 *  network, a router's interface ports on the router, hosts by name. */
export function nodeFor(topology, type, id) {
  const has = (list) => list.some((x) => x.id === id);
  switch (type) {
    case 'network': return has(topology.networks) ? ['network', id] : null;
    case 'router': return has(topology.routers) ? ['router', id] : null;
    case 'floatingip': return has(topology.fips) ? ['floatingip', id] : null;
    case 'agent': return topology.hosts.some((h) => h.agents.some((a) => a.id === id)) ? ['agent', id] : null;
    case 'host': return topology.hosts.some((h) => h.name === id) ? ['host', id] : null;
    case 'subnet': {
      const n = topology.networks.find((x) => x.subnets.some((s) => s.id === id));
      return n ? ['network', n.id] : null;
    }
    case 'port': {
      if (has(topology.ports)) return ['port', id];
      const r = topology.routers.find((x) => x.interfaces.some((i) => i.port === id));
      if (r) return ['router', r.id];
      const p = topology.portById.get(id);
      if (p?.device_owner === 'network:router_gateway' && topology.routers.some((x) => x.id === p.device_id)) return ['router', p.device_id];
      if (p?.device_owner === 'network:floatingip') {
        const f = topology.fips.find((x) => x.address === p.fixed_ips?.[0]?.ip_address);
        if (f) return ['floatingip', f.id];
      }
      return null;
    }
    default: return null;
  }
}

/** Findings grouped by the node they are drawn on ("type:id"); those on no node under ''. */
export function findingsByNode(topology, findings) {
  const out = new Map();
  for (const f of findings) {
    const node = nodeFor(topology, f.object.type, f.object.id);
    push(out, node ? node.join(':') : '', f);
  }
  return out;
}

/** The worst status word of a set, for a node's colour. */
export function statusClass(status, adminUp = true) {
  if (!adminUp) return 'status-disabled';
  const s = String(status ?? '').toUpperCase();
  if (s === 'ACTIVE') return 'status-active';
  if (s === 'BUILD' || s === 'PENDING_CREATE' || s === 'PENDING_UPDATE') return 'status-build';
  if (s === 'ERROR') return 'status-error';
  if (s === 'DOWN') return 'status-down';
  return 'status-unknown';
}

function portKind(owner) {
  if (owner.startsWith('compute:')) return 'vm';
  if (owner === 'network:dhcp') return 'dhcp';
  return 'port';
}
const kindRank = (k) => ({ vm: 0, port: 1, dhcp: 2 })[k] ?? 3;

function portLabel(p) {
  if (p.name) return p.name;
  if ((p.device_owner ?? '') === 'network:dhcp') return 'DHCP';
  return short(p.id);
}

function agentShort(type) {
  return { 'Linux bridge agent': 'L2', 'DHCP agent': 'DHCP', 'L3 agent': 'L3', 'Metadata agent': 'Meta' }[type] ?? type.replace(/ agent$/i, '');
}

const ips = (p) => (p.fixed_ips ?? []).map((f) => f.ip_address);
export const short = (id) => String(id).slice(0, 8);

function push(map, key, value) {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
