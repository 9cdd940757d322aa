// Draws a topology into the page's <svg>: one <g class="node …" data-type data-id> per
// object (its status a class), one <line class="edge" data-edge …> per link, and doctor's
// findings as badges on the nodes they concern. Redrawn whole on each refresh.
import { anchor, layout } from './layout.js';
import { findingsByNode, short, statusClass } from './model.js';

const NS = 'http://www.w3.org/2000/svg';

export function el(tag, attrs = {}, ...children) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null && v !== false) e.setAttribute(k, String(v));
  for (const c of children) if (c !== null && c !== undefined) e.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return e;
}

const title = (text) => el('title', {}, text);
const clip = (s, n) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** @returns the layout (node positions), for the trace overlay */
export function drawTopology(svg, topology, findings) {
  const lay = layout(topology);
  const { pos } = lay;
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${lay.width} ${lay.height}`);
  svg.setAttribute('width', String(lay.width));
  svg.setAttribute('height', String(lay.height));
  const layers = Object.fromEntries(['hosts', 'buses', 'edges', 'labels', 'nodes', 'badges', 'trace'].map((n) => [n, svg.appendChild(el('g', { class: `layer-${n}` }))]));
  const byNode = findingsByNode(topology, findings);
  const badge = (key, x, y) => badges(layers.badges, byNode.get(key), x, y, key);

  for (const n of topology.networks) {
    const p = pos.get(`network:${n.id}`);
    const cidrs = n.subnets.map((s) => s.cidr).join(', ') || 'no subnet';
    const label = el('text', { class: 'bus-label', x: p.x1 + 2, y: p.y - 8 },
      el('tspan', { class: 'name' }, `${n.external ? '⇅ ' : ''}${n.name}`),
      el('tspan', { class: 'detail', dx: 10 }, `${cidrs}${n.type ? ` · ${n.type}` : ''}${n.external ? ' · external' : ''}`),
      el('tspan', { class: 'status-word', dx: 10 }, n.adminUp ? n.status : 'DISABLED'));
    const cls = `node network ${n.external ? 'external' : 'internal'} ${statusClass(n.status, n.adminUp)}`;
    const tip = `network ${n.name} (${n.id})\n${n.status}${n.type ? `, ${n.type}` : ''}${n.mtu ? `, MTU ${n.mtu}` : ''}\n${n.subnets.map((s) => `${s.name || short(s.id)} ${s.cidr} gw ${s.gateway ?? '-'}${s.dhcp ? ' DHCP' : ''}`).join('\n')}`;
    layers.buses.append(el('g', { class: cls, 'data-type': 'network', 'data-id': n.id }, title(tip),
      el('rect', { class: 'hit', x: p.x1, y: p.y - 8, width: p.x2 - p.x1, height: 16 }), // room for the pointer (a tooltip)
      el('line', { class: 'bus', x1: p.x1, x2: p.x2, y1: p.y, y2: p.y })));
    // the label above the links that cross the bus, so none strikes it through
    layers.labels.append(el('g', { class: cls.replace('node ', 'label '), 'data-label-for': n.id }, title(tip), label));
    // the badge goes right after the label (measured now that it is in the document)
    const box = label.getBBox();
    badge(`network:${n.id}`, box.x + box.width + 14, p.y - 13);
  }

  for (const e of topology.edges) {
    if (e.kind === 'router-network') {
      const r = pos.get(`router:${e.router}`), bus = pos.get(`network:${e.network}`);
      const router = topology.routers.find((x) => x.id === e.router);
      // one line per network, left to right in the order of their buses (top first): no line crosses another
      const busY = (id) => pos.get(`network:${id}`)?.y ?? 0;
      const down = router.interfaces.map((i) => i.network).filter((v, i, a) => a.indexOf(v) === i).sort((a, b) => busY(a) - busY(b));
      const dx = e.gateway ? 0 : (down.indexOf(e.network) - (down.length - 1) / 2) * 24;
      const a = anchor(r, bus.y, dx);
      layers.edges.append(halo(a.x, a.y, a.x, bus.y));
      layers.edges.append(el('line', { class: `edge router-network${e.gateway ? ' gateway' : ''}`, 'data-edge': 'router-network', 'data-router': e.router, 'data-network': e.network, x1: a.x, y1: a.y, x2: a.x, y2: bus.y }));
      layers.edges.append(el('circle', { class: 'junction', cx: a.x, cy: bus.y, r: 4 }));
    } else if (e.kind === 'port-network') {
      const p = pos.get(`port:${e.port}`), bus = pos.get(`network:${e.network}`);
      // at the port's left edge: clear of the floating IP pill above the middle of the port
      const a = anchor(p, bus.y, -p.w / 2 + 10);
      layers.edges.append(halo(a.x, a.y, a.x, bus.y));
      layers.edges.append(el('line', { class: 'edge port-network', 'data-edge': 'port-network', 'data-port': e.port, 'data-network': e.network, x1: a.x, y1: a.y, x2: a.x, y2: bus.y }));
      layers.edges.append(el('circle', { class: 'junction', cx: a.x, cy: bus.y, r: 3.5 }));
    }
  }

  for (const h of topology.hosts) {
    const p = pos.get(`host:${h.name}`);
    const dead = h.agents.filter((a) => !a.alive).length;
    const g = el('g', { class: `host${dead ? ' has-dead-agent' : ''}${h.name ? '' : ' unbound'}`, 'data-type': 'host', 'data-id': h.name },
      title(h.name ? `host ${h.name}: ${h.agents.length} agent(s), ${h.ports.length} port(s)` : 'ports bound to no host'),
      el('rect', { x: p.x, y: p.y, width: p.w, height: p.h, rx: 10 }));
    layers.hosts.append(g);
    layers.labels.append(el('text', { class: `host-name${h.name ? '' : ' unbound'}`, x: p.x + 14, y: p.y + 20 }, h.name ? `▣ ${h.name}` : 'not bound to a host'));
    badge(`host:${h.name}`, p.x + p.w - 14, p.y + 14);
    for (const a of h.agents) {
      const q = pos.get(`agent:${a.id}`);
      layers.nodes.append(el('g', { class: `node agent ${a.alive ? 'alive' : 'dead'}${a.adminUp ? '' : ' disabled'}`, 'data-type': 'agent', 'data-id': a.id },
        title(`${a.type} on ${h.name}: ${a.alive ? 'alive' : 'DEAD'}${a.adminUp ? '' : ', disabled'}; last heartbeat ${a.heartbeat}`),
        el('rect', { x: q.x, y: q.y, width: q.w, height: q.h, rx: 12 }),
        el('text', { x: q.x + q.w / 2, y: q.y + 16, 'text-anchor': 'middle' }, `${a.alive ? '●' : '✕'} ${a.short}`)));
      badge(`agent:${a.id}`, q.x + q.w - 4, q.y + 2);
    }
  }

  for (const h of topology.hosts) {
    const p = h.more && pos.get(`more:${h.name}`);
    if (!p) continue;
    const counts = Object.entries(h.more.byStatus).map(([st, n]) => `${n} ${st}`).join(', ');
    layers.nodes.append(el('g', { class: 'more-ports', 'data-host': h.name, 'data-count': h.more.count },
      title(`${h.more.count} more ports on ${h.name || 'no host'}: ${counts}`),
      el('rect', { x: p.x, y: p.y, width: p.w, height: p.h, rx: 8 }),
      el('text', { class: 'name', x: p.x + 12, y: p.y + 24 }, `+${h.more.count} more ports`),
      el('text', { class: 'detail', x: p.x + 12, y: p.y + 44 }, clip(counts, 24))));
  }

  for (const r of topology.routers) {
    const p = pos.get(`router:${r.id}`);
    const ifs = r.interfaces.flatMap((i) => i.ips);
    layers.nodes.append(el('g', { class: `node router ${statusClass(r.status, r.adminUp)}`, 'data-type': 'router', 'data-id': r.id },
      title(`router ${r.name} (${r.id})\n${r.status}${r.gateway ? `, gateway ${r.gatewayIps.join(', ')}${r.snat ? ', SNAT' : ''}` : ', no gateway'}\ninterfaces ${ifs.join(', ') || 'none'}`),
      el('rect', { x: p.x, y: p.y, width: p.w, height: p.h, rx: 8 }),
      el('text', { class: 'icon', x: p.x + 12, y: p.y + 24 }, '⇄'),
      el('text', { class: 'name', x: p.x + 34, y: p.y + 23 }, clip(r.name, 15)),
      el('text', { class: 'detail', x: p.x + 12, y: p.y + 45 }, clip(r.gatewayIps[0] ? `gw ${r.gatewayIps[0]}${r.snat ? ' SNAT' : ''}` : 'no gateway', 22)),
      statusDot(p.x + p.w - 14, p.y + 16)));
    badge(`router:${r.id}`, p.x + p.w - 2, p.y - 2);
  }

  for (const port of topology.ports) {
    const p = pos.get(`port:${port.id}`);
    const icon = port.kind === 'vm' ? '▢' : port.kind === 'dhcp' ? '⚙' : '○';
    layers.nodes.append(el('g', { class: `node port ${port.kind} ${statusClass(port.status, port.adminUp)}${port.vifType === 'binding_failed' ? ' binding-failed' : ''}`, 'data-type': 'port', 'data-id': port.id },
      title(`${port.kind === 'vm' ? 'VM port' : 'port'} ${port.label} (${port.id})\n${port.status}, ${port.owner || 'no owner'}${port.host ? ` on ${port.host}` : ''}\n${port.ips.join(', ')}${port.portSecurity ? '' : '\nport security OFF'}${port.vifType === 'binding_failed' ? '\nbinding FAILED' : ''}`),
      el('rect', { x: p.x, y: p.y, width: p.w, height: p.h, rx: 8 }),
      el('text', { class: 'icon', x: p.x + 10, y: p.y + 22 }, icon),
      el('text', { class: 'name', x: p.x + 28, y: p.y + 21 }, clip(port.label, 15)),
      el('text', { class: 'detail', x: p.x + 10, y: p.y + 40 }, clip(port.ips.join(', ') || 'no address', 22)),
      el('text', { class: 'status-word', x: p.x + 10, y: p.y + 53 }, port.adminUp ? port.status : 'DISABLED'),
      statusDot(p.x + p.w - 14, p.y + 16)));
    badge(`port:${port.id}`, p.x + p.w - 2, p.y - 2);
  }

  for (const f of topology.fips) {
    const p = pos.get(`floatingip:${f.id}`);
    if (!p) continue;
    const bus = pos.get(`network:${f.network}`);
    if (bus && f.port && pos.has(`port:${f.port}`)) {
      const x = p.x + p.w - 16;
      layers.edges.append(halo(x, p.y, x, bus.y));
      layers.edges.append(el('line', { class: 'edge fip-network', 'data-edge': 'fip-network', 'data-floatingip': f.id, 'data-network': f.network, x1: x, y1: p.y, x2: x, y2: bus.y }));
      layers.edges.append(el('circle', { class: 'junction fip', cx: x, cy: bus.y, r: 3.5 }));
    }
    layers.nodes.append(el('g', { class: `node floatingip ${statusClass(f.status)}`, 'data-type': 'floatingip', 'data-id': f.id, 'data-port': f.port ?? '' },
      title(`floating IP ${f.address} (${f.id})\n${f.status}${f.fixedIp ? ` → ${f.fixedIp}` : ', not associated'}`),
      el('rect', { x: p.x, y: p.y, width: p.w, height: p.h, rx: 11 }),
      el('text', { x: p.x + p.w / 2, y: p.y + 15, 'text-anchor': 'middle' }, `⬈ ${f.address}`)));
    badge(`floatingip:${f.id}`, p.x + p.w - 2, p.y - 2);
  }
  return lay;
}

/** A white band under a link: where it crosses a bus it does not join, the bus looks cut. */
function halo(x1, y1, x2, y2) {
  return el('line', { class: 'halo', x1, y1, x2, y2 });
}

function statusDot(cx, cy) {
  return el('circle', { class: 'status-dot', cx, cy, r: 6 });
}

/** A badge for the worst finding on a node; its tooltip lists them all. */
function badges(layer, list, x, y, node) {
  if (!list?.length) return;
  const worst = ['error', 'warning', 'info'].find((s) => list.some((f) => f.severity === s)) ?? 'info';
  const tip = list.map((f) => `${f.severity.toUpperCase()} ${f.code}: ${f.evidence}\nfix: ${f.fix}`).join('\n\n');
  layer.append(el('g', { class: `finding-badge severity-${worst}`, 'data-codes': list.map((f) => f.code).join(' '), 'data-node': node },
    title(tip),
    el('circle', { cx: x, cy: y, r: 10 }),
    el('text', { x, y: y + 4.5, 'text-anchor': 'middle' }, list.length > 1 ? String(list.length) : '!')));
}
