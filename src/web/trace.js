// A trace answer (POST /v2.0/muon/trace) drawn over the topology: the hops that are
// drawn objects joined by a path (along the buses, as packets go), each such node marked
// pass or block; hops on no drawn object (security groups, rules) are shown on the port
// they guard. The blocking settings are listed in red with their fixes.
import { el } from './draw.js';
import { center } from './layout.js';
import { nodeFor } from './model.js';

const GUARDS = new Set(['security_group', 'security_group_rule']);

/** Each hop's drawn node key ('type:id'), or null. A security group hop (on no drawn object)
 *  is shown on the port it guards: egress on the first port of the path, ingress on the last. */
export function hopNodes(topology, hops) {
  const keys = hops.map((h) => {
    const n = h.object ? nodeFor(topology, h.object.type, h.object.id) : null;
    return n ? n.join(':') : null;
  });
  const ports = keys.filter((k) => k?.startsWith('port:'));
  return keys.map((k, i) => {
    if (k || !GUARDS.has(hops[i].object?.type)) return k;
    if (hops[i].step === 'security_group_egress') return ports[0] ?? null;
    if (hops[i].step === 'security_group_ingress') return ports.at(-1) ?? null;
    let best = null, dist = Infinity;
    keys.forEach((o, j) => { if (o?.startsWith('port:') && Math.abs(j - i) < dist) { best = o; dist = Math.abs(j - i); } });
    return best;
  });
}

/** The polyline's points: vertical into a bus, along it, vertical out of it; two boxes in a row
 *  are joined with an elbow. A floating IP is marked but not passed through: its NAT happens in
 *  the router, where the path goes. */
export function pathPoints(keys, pos) {
  const nodes = keys.filter((k, i) => k && k !== keys[i - 1] && !k.startsWith('floatingip:')).map((k) => pos.get(k)).filter(Boolean);
  const pts = [];
  nodes.forEach((p, i) => {
    if (p.kind !== 'bus') {
      const c = center(p);
      const last = pts.at(-1);
      if (last && nodes[i - 1]?.kind !== 'bus' && last.x !== c.x) {
        const midY = (last.y + c.y) / 2;
        pts.push({ x: last.x, y: midY }, { x: c.x, y: midY });
      }
      return void pts.push(c);
    }
    const near = (q) => (q ? (q.kind === 'bus' ? null : center(q).x) : null);
    const inX = near(nodes[i - 1]) ?? pts.at(-1)?.x ?? near(nodes[i + 1]) ?? center(p).x;
    const outX = near(nodes[i + 1]) ?? inX;
    pts.push({ x: inX, y: p.y }, { x: outX, y: p.y });
  });
  return pts;
}

export function drawTrace(svg, topology, lay, trace) {
  const layer = svg.querySelector('.layer-trace');
  layer.replaceChildren();
  for (const n of svg.querySelectorAll('.trace-pass, .trace-block, .trace-info')) n.classList.remove('trace-pass', 'trace-block', 'trace-info');
  if (!trace) return;
  const keys = hopNodes(topology, trace.hops);
  // an outside address is on no drawn object: it gets a marker above the external buses
  const pos = new Map(lay.pos);
  trace.hops.forEach((h, i) => {
    if (keys[i] || h.object?.type !== 'address') return;
    keys[i] = `address:${h.object.id}`;
    if (pos.has(keys[i])) return;
    const top = Math.min(...[...lay.pos.values()].filter((p) => p.kind === 'bus').map((p) => p.y), 60);
    const x = lay.width - 220 - 190 * [...pos.keys()].filter((k) => k.startsWith('address:')).length;
    pos.set(keys[i], { kind: 'box', x, y: Math.max(4, top - 48), w: 170, h: 26 });
    layer.append(el('g', { class: 'node address', 'data-type': 'address', 'data-id': h.object.id },
      el('rect', { x, y: Math.max(4, top - 48), width: 170, height: 26, rx: 13 }),
      el('text', { x: x + 85, y: Math.max(4, top - 48) + 18, 'text-anchor': 'middle' }, `◍ ${h.object.name || h.object.id}`)));
  });
  const blockedAt = trace.hops.findIndex((h) => h.verdict === 'block');
  const reached = blockedAt < 0 ? keys : keys.slice(0, blockedAt + 1);
  const pts = pathPoints(reached, pos);
  const rest = blockedAt < 0 ? [] : pathPoints(keys.slice(blockedAt), pos);
  const line = (points, cls) => el('polyline', { class: cls, points: points.map((p) => `${p.x},${p.y}`).join(' ') });
  if (rest.length > 1) layer.append(line(rest, 'trace-path unreached'));
  if (pts.length > 1) layer.append(line(pts, `trace-path ${trace.reachable ? 'reachable' : 'blocked'}`));
  // a node's mark: blocked if any of its hops blocks, else passed, else info; its number is its first hop's
  const marks = new Map();
  trace.hops.forEach((h, i) => {
    const k = keys[i];
    if (!k) return;
    const cls = h.verdict === 'block' ? 'trace-block' : h.verdict === 'pass' ? 'trace-pass' : 'trace-info';
    const m = marks.get(k) ?? marks.set(k, { cls, steps: [] }).get(k);
    if (cls === 'trace-block' || (cls === 'trace-pass' && m.cls === 'trace-info')) m.cls = cls;
    m.steps.push(h);
  });
  for (const [k, m] of marks) {
    const [type, ...id] = k.split(':');
    svg.querySelector(`[data-type="${type}"][data-id="${CSS.escape(id.join(':'))}"]`)?.classList.add(m.cls);
    const p = pos.get(k);
    if (!p || p.kind === 'bus') continue;
    const c = center(p);
    const first = trace.hops.indexOf(m.steps[0]) + 1;
    layer.append(el('g', { class: `trace-step ${m.cls}`, 'data-step': first, 'data-node': k },
      el('title', {}, m.steps.map((h) => `${trace.hops.indexOf(h) + 1}. ${h.step ?? ''} ${h.object?.type} ${h.object?.name || h.object?.id}: ${h.verdict} — ${h.reason ?? ''}`).join('\n')),
      el('circle', { cx: p.x + 2, cy: c.y, r: 9 }),
      el('text', { x: p.x + 2, y: c.y + 4, 'text-anchor': 'middle' }, String(first))));
  }
}

/** The answer as text: verdict, each hop, and the settings that block it with their fixes. */
export function renderTraceAnswer(box, trace) {
  const h = (tag, attrs, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs ?? {})) e.setAttribute(k, v);
    e.append(...kids.filter((x) => x !== null && x !== undefined));
    return e;
  };
  const name = (o) => `${o?.type ?? '?'} ${o?.name || o?.id || ''}`;
  box.replaceChildren(...[
    h('p', { class: `verdict ${trace.reachable ? 'reachable' : 'blocked'}` }, trace.reachable ? '✔ reachable' : '✘ blocked'),
    h('ol', { class: 'hops' }, ...trace.hops.map((x) => h('li', { class: `hop ${x.verdict}` },
      x.step ? h('span', { class: 'hop-step' }, `${String(x.step).replaceAll('_', ' ')} · `) : '', h('span', { class: 'hop-object' }, name(x.object)), ' ', h('span', { class: 'hop-verdict' }, x.verdict),
      x.reason ? h('div', { class: 'hop-reason' }, x.reason) : null,
      x.realised ? h('div', { class: 'hop-realised' }, `realised${x.realised.host ? ` on ${x.realised.host}` : ''}: ${x.realised.state ?? '?'}${x.realised.evidence ? ` — ${x.realised.evidence}` : ''}`) : null))),
    trace.blocking?.length ? h('div', { class: 'blocking' },
      h('h3', {}, 'Blocked by'),
      h('ul', {}, ...trace.blocking.map((b) => h('li', { class: 'blocking-setting' },
        h('strong', {}, name(b.object)), `: ${b.setting}`, b.fix ? h('div', { class: 'fix' }, `fix: ${b.fix}`) : null)))) : null,
  ].filter((x) => x !== null));
}
