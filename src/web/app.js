// The page's wiring: sign-in, a refresh every few seconds (the lists and doctor's
// findings, fetched together, drawn whole), the findings list and the trace form.
import { AuthError, call, errorText, get, signIn, signOut, token } from './api.js';
import { drawTopology } from './draw.js';
import { buildTopology, nodeFor } from './model.js';
import { drawTrace, renderTraceAnswer } from './trace.js';

const REFRESH_MS = 5000;
const $ = (id) => document.getElementById(id);
const svg = $('topology');
/** What is on screen: the last topology, its layout and the last trace answer. */
const state = { topology: null, layout: null, trace: null, timer: 0, findings: [] };

function show(signedIn) {
  $('login').hidden = signedIn;
  $('main').hidden = !signedIn;
  $('sign-out').hidden = !signedIn;
}

async function refresh() {
  clearTimeout(state.timer);
  try {
    const t0 = performance.now();
    const [networks, subnets, routers, ports, floatingips, agents, doctor] = await Promise.all([
      get('/v2.0/networks'), get('/v2.0/subnets'), get('/v2.0/routers'), get('/v2.0/ports'),
      get('/v2.0/floatingips'), get('/v2.0/agents'), get('/v2.0/muon/doctor'),
    ]);
    // a crowded host still draws the ports that matter now: the trace's and the form's, then those with findings
    const flagged = new Set(doctor.findings.filter((f) => f.object.type === 'port').map((f) => f.object.id));
    const keep = new Set([
      ...(state.trace?.hops ?? []).filter((h) => h.object?.type === 'port').map((h) => h.object.id),
      ...['from', 'to'].map((n) => $('trace-form').elements[n].value).filter((v) => v.startsWith('port:')).map((v) => v.slice(5)),
    ]);
    state.topology = buildTopology({
      networks: networks.networks, subnets: subnets.subnets, routers: routers.routers, ports: ports.ports,
      floatingips: floatingips.floatingips, agents: agents.agents,
    }, { keep, flagged });
    state.findings = doctor.findings;
    const t1 = performance.now();
    state.layout = drawTopology(svg, state.topology, doctor.findings);
    if (state.trace) drawTrace(svg, state.topology, state.layout, state.trace);
    renderFindings(doctor);
    fillTraceSelects();
    renderSummary();
    $('error').hidden = true;
    $('refreshed').textContent = `refreshed ${new Date().toLocaleTimeString()}`;
    // how long the last refresh took, for bench/page.ts and the curious
    Object.assign(document.body.dataset, { fetchMs: (t1 - t0).toFixed(1), drawMs: (performance.now() - t1).toFixed(1), drawnAt: performance.now().toFixed(0) });
    document.body.dataset.loaded = String(Number(document.body.dataset.loaded ?? 0) + 1);
  } catch (e) {
    if (e instanceof AuthError) { signOut(); show(false); return; }
    $('error').textContent = `cannot refresh: ${e.message}`;
    $('error').hidden = false;
  }
  state.timer = setTimeout(refresh, REFRESH_MS);
}

function renderSummary() {
  const t = state.topology;
  const agents = t.hosts.flatMap((h) => h.agents);
  const dead = agents.filter((a) => !a.alive).length;
  const n = (count, word) => `${count} ${word}${count === 1 ? '' : 's'}`;
  $('summary').textContent = [n(t.networks.length, 'network'), n(t.routers.length, 'router'), n(t.ports.filter((p) => p.kind === 'vm').length, 'VM port'),
    n(t.fips.length, 'floating IP'), `${n(agents.length, 'agent')}${dead ? ` (${dead} dead)` : ''}`].join(' · ');
}

function renderFindings(doctor) {
  const s = doctor.summary;
  $('doctor-summary').textContent = `${s.error} errors · ${s.warning} warnings · ${s.info} info`;
  const list = $('findings');
  if (!doctor.findings.length) {
    list.replaceChildren(Object.assign(document.createElement('li'), { className: 'healthy', textContent: 'No finding: the deployment looks healthy.' }));
    return;
  }
  list.replaceChildren(...doctor.findings.map((f) => {
    const li = document.createElement('li');
    li.className = `finding severity-${f.severity}`;
    const node = nodeFor(state.topology, f.object.type, f.object.id);
    if (node) li.dataset.node = node.join(':');
    const head = document.createElement('div');
    head.className = 'finding-head';
    head.textContent = `${f.severity.toUpperCase()} · ${f.object.type} ${f.object.name || f.object.id}`;
    const evidence = Object.assign(document.createElement('div'), { className: 'evidence', textContent: f.evidence });
    const fix = Object.assign(document.createElement('div'), { className: 'fix', textContent: `fix: ${f.fix}` });
    li.append(head, evidence, fix);
    // pointing at a finding points at its object in the picture
    li.addEventListener('mouseenter', () => highlight(li.dataset.node, true));
    li.addEventListener('mouseleave', () => highlight(li.dataset.node, false));
    return li;
  }));
}

function highlight(key, on) {
  if (!key) return;
  const [type, ...id] = key.split(':');
  svg.querySelector(`[data-type="${type}"][data-id="${CSS.escape(id.join(':'))}"]`)?.classList.toggle('highlight', on);
}

/** From/To: the VM ports first, then the other ports, then a free IP address. */
function fillTraceSelects() {
  const form = $('trace-form');
  const options = [
    ...state.topology.allPorts.filter((p) => p.kind === 'vm').map((p) => [`port:${p.id}`, `VM ${p.label} ${p.ips.join(', ')}`]),
    ...state.topology.allPorts.filter((p) => p.kind !== 'vm').map((p) => [`port:${p.id}`, `${p.label} ${p.ips.join(', ')}`]),
    ['ip', 'IP address…'],
  ];
  for (const name of ['from', 'to']) {
    const select = form.elements[name];
    const keep = select.value;
    const same = select.options.length === options.length && options.every(([v, t], i) => select.options[i].value === v && select.options[i].text === t);
    if (!same) {
      select.replaceChildren(...options.map(([v, t]) => new Option(t, v)));
      if (options.some(([v]) => v === keep)) select.value = keep;
      else if (name === 'to' && options.length > 2) select.selectedIndex = 1;
    }
    form.elements[`${name}_ip`].hidden = select.value !== 'ip';
  }
}

function endpoint(form, name) {
  const v = form.elements[name].value;
  return v === 'ip' ? { ip_address: form.elements[`${name}_ip`].value.trim() } : { port_id: v.slice('port:'.length) };
}

async function runTrace(ev) {
  ev.preventDefault();
  const form = ev.target;
  const answer = $('trace-answer');
  const req = { source: endpoint(form, 'from'), destination: endpoint(form, 'to'), protocol: form.elements.protocol.value };
  const port = Number(form.elements.destination_port.value);
  if (port && (req.protocol === 'tcp' || req.protocol === 'udp')) req.destination_port = port;
  answer.textContent = 'tracing…';
  try {
    const r = await call('POST', '/v2.0/muon/trace', { trace: req });
    if (r.status === 404) { answer.textContent = 'This server has no trace API (POST /v2.0/muon/trace answered 404).'; return; }
    if (r.status !== 200) { answer.textContent = `trace failed: ${errorText(r.status, r.body)}`; return; }
    state.trace = r.body.trace;
    await refresh(); // draws the trace's ports even on a crowded host, then the trace over them
    renderTraceAnswer(answer, state.trace);
  } catch (e) {
    if (e instanceof AuthError) { signOut(); show(false); return; }
    answer.textContent = `trace failed: ${e.message}`;
  }
}

$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  $('login-error').textContent = '';
  try {
    await signIn(Object.fromEntries(['username', 'password', 'project_name', 'domain_name'].map((k) => [k, f.elements[k].value])));
    f.elements.password.value = '';
    show(true);
    await refresh();
  } catch (e) {
    $('login-error').textContent = e instanceof AuthError ? e.message : `cannot sign in: ${e.message}`;
  }
});
$('sign-out').addEventListener('click', () => { clearTimeout(state.timer); signOut(); show(false); });
$('trace-form').addEventListener('submit', runTrace);
$('trace-form').addEventListener('change', () => fillTraceSelects());
$('trace-clear').addEventListener('click', () => { state.trace = null; drawTrace(svg, state.topology, state.layout, null); $('trace-answer').replaceChildren(); });

// under auth_strategy = noauth the server needs no sign-in and says so to an empty one
async function start() {
  if (!token()) {
    const r = await fetch('/muon/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }).catch(() => null);
    const body = r?.ok ? await r.json().catch(() => ({})) : {};
    if (body.auth_strategy === 'noauth') await signIn({});
  }
  if (token()) { show(true); refresh(); } else show(false);
}
start();
