// Where each node of the topology goes (plain numbers, no DOM). Networks are horizontal
// buses, the external ones on top; routers sit between the external and the internal
// buses; hosts are boxes along the bottom holding their ports (VMs first) and agents.
// Every link is then a vertical line from a node to its bus.

export const SIZE = {
  pad: 28, busGap: 56, labelH: 18,
  router: { w: 160, h: 58, gap: 60 },
  port: { w: 158, h: 58, gap: 16 },
  agent: { w: 70, h: 24, gap: 8 },
  host: { pad: 14, head: 30, fipRow: 30, gap: 28 },
};

export function layout(topology) {
  const { pad, busGap } = SIZE;
  const ext = topology.networks.filter((n) => n.external);
  // networks a router joins sit nearest the routers: fewer links cross a bus they do not join
  const routed = new Set(topology.edges.filter((e) => e.kind === 'router-network').map((e) => e.network));
  const internal = topology.networks.filter((n) => !n.external).sort((a, b) => Number(routed.has(b.id)) - Number(routed.has(a.id)));

  // hosts first: they set the width
  const hosts = [];
  let x = pad;
  for (const h of topology.hosts) {
    const boxes = h.ports.length + (h.more ? 1 : 0);
    const portsW = boxes * (SIZE.port.w + SIZE.port.gap) - SIZE.port.gap;
    const agentsW = h.agents.length * (SIZE.agent.w + SIZE.agent.gap) - SIZE.agent.gap;
    const w = Math.max(portsW, agentsW, 200) + 2 * SIZE.host.pad;
    hosts.push({ host: h, x, w });
    x += w + SIZE.host.gap;
  }
  const routersW = topology.routers.length * (SIZE.router.w + SIZE.router.gap);
  const width = Math.max(x - SIZE.host.gap + pad, routersW + 2 * pad + 220, 980);

  const pos = new Map();
  let y = pad + 30; // room for the title line
  for (const n of ext) { pos.set(`network:${n.id}`, { kind: 'bus', x1: pad, x2: width - pad, y: y + SIZE.labelH }); y += busGap; }
  const routerY = y + 16;
  // routers centred along the middle row, but never far right of the labels on a wide picture
  let rx = Math.max(pad + 220, Math.min((width - routersW) / 2 + SIZE.router.gap / 2, pad + 420));
  for (const r of topology.routers) {
    pos.set(`router:${r.id}`, { kind: 'box', x: rx, y: routerY, w: SIZE.router.w, h: SIZE.router.h });
    rx += SIZE.router.w + SIZE.router.gap;
  }
  y = routerY + SIZE.router.h + (topology.routers.length ? 40 : 0);
  for (const n of internal) { pos.set(`network:${n.id}`, { kind: 'bus', x1: pad, x2: width - pad, y: y + SIZE.labelH }); y += busGap; }

  const hostY = y + 24;
  let height = hostY;
  for (const { host, x: hx, w } of hosts) {
    const portsY = hostY + SIZE.host.head + SIZE.host.fipRow;
    const agentsY = portsY + (host.ports.length || host.more ? SIZE.port.h + 16 : 0);
    const h = agentsY - hostY + (host.agents.length ? SIZE.agent.h + SIZE.host.pad : 0) + (host.ports.length || host.agents.length ? 0 : 20);
    pos.set(`host:${host.name}`, { kind: 'box', x: hx, y: hostY, w, h });
    host.ports.forEach((p, i) => {
      const px = hx + SIZE.host.pad + i * (SIZE.port.w + SIZE.port.gap);
      pos.set(`port:${p.id}`, { kind: 'box', x: px, y: portsY, w: SIZE.port.w, h: SIZE.port.h });
    });
    if (host.more) {
      pos.set(`more:${host.name}`, { kind: 'box', x: hx + SIZE.host.pad + host.ports.length * (SIZE.port.w + SIZE.port.gap), y: portsY, w: SIZE.port.w, h: SIZE.port.h });
    }
    host.agents.forEach((a, i) => {
      pos.set(`agent:${a.id}`, { kind: 'box', x: hx + SIZE.host.pad + i * (SIZE.agent.w + SIZE.agent.gap), y: agentsY, w: SIZE.agent.w, h: SIZE.agent.h });
    });
    height = Math.max(height, hostY + h);
  }
  // a floating IP sits just above the port it maps to; one on no port goes on its network's bus
  const loose = new Map();
  for (const f of topology.fips) {
    const p = f.port && pos.get(`port:${f.port}`);
    if (p) { pos.set(`floatingip:${f.id}`, { kind: 'box', x: p.x + 18, y: p.y - 27, w: p.w - 36, h: 22 }); continue; }
    const bus = pos.get(`network:${f.network}`);
    if (!bus) continue;
    const i = loose.get(f.network) ?? 0;
    loose.set(f.network, i + 1);
    pos.set(`floatingip:${f.id}`, { kind: 'box', x: bus.x2 - 140 - i * 130, y: bus.y + 8, w: 120, h: 22 });
  }
  return { width, height: height + pad, pos };
}

/** The point a link leaves a node from, towards a bus at `busY` (top or bottom edge). */
export function anchor(p, busY, dx = 0) {
  const x = p.x + p.w / 2 + dx;
  return { x, y: busY < p.y ? p.y : p.y + p.h };
}

export const center = (p) => p.kind === 'bus' ? { x: (p.x1 + p.x2) / 2, y: p.y } : { x: p.x + p.w / 2, y: p.y + p.h / 2 };
