// The topology page in Chromium against an in-process server (SQLite file, noauth) holding
// H hosts with their Linux bridge agents, N networks behind one router, and P VM ports spread
// over them: prints the time to the first drawing (navigation → drawn), and per refresh the
// time to fetch the seven lists and to draw them. Usage: node bench/page.ts [ports] [networks] [hosts]
// (MUON_BENCH_SCREENSHOT=file.png also saves what it drew)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApi } from '../test/support/api.ts';
import { httpChannel } from '../src/agents/channel/http-channel.ts';

const [ports, nets, hosts] = [Number(process.argv[2] ?? 200), Number(process.argv[3] ?? 4), Number(process.argv[4] ?? 4)];
const dir = mkdtempSync(join(tmpdir(), 'muon-bench-page-'));
const api = await startApi('[ml2]\ntenant_network_types = vxlan\n[quotas]\nquota_port = -1\n', `sqlite:///${join(dir, 'b.sqlite')}`, { agentSocket: join(dir, 'agent.sock') });
const ch = httpChannel(join(dir, 'agent.sock'));
const { chromium } = await import('playwright-core');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
try {
  for (let h = 0; h < hosts; h++) {
    await ch.report({ agent_type: 'Linux bridge agent', binary: 'neutron-linuxbridge-agent', host: `compute${h}`, topic: 'N/A', start_flag: true, configurations: { tunnel_types: ['vxlan'], tunneling_ip: `192.168.81.${10 + h}`, l2_population: true } });
  }
  const router = (await api.req('POST', '/v2.0/routers', { router: { name: 'router' } })).body.router.id;
  for (let i = 0; i < nets; i++) {
    const net = (await api.req('POST', '/v2.0/networks', { network: { name: `net${i}` } })).body.network;
    const sub = (await api.req('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: `10.${i >> 6}.${(i & 63) * 4}.0/22`, enable_dhcp: false } })).body.subnet;
    await api.req('PUT', `/v2.0/routers/${router}/add_router_interface`, { subnet_id: sub.id });
    const per = Math.ceil(ports / nets);
    const r = await api.req('POST', '/v2.0/ports', { ports: Array.from({ length: per }, (_, j) => ({
      network_id: net.id, name: `vm${i}-${j}`, device_owner: 'compute:nova', device_id: `vm${i}-${j}`, 'binding:host_id': `compute${j % hosts}`,
    })) });
    if (r.status !== 201) throw new Error(JSON.stringify(r.body));
  }
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  const t0 = performance.now();
  await page.goto(`${api.url}/muon/`);
  await page.waitForSelector('body[data-loaded]');
  const first = performance.now() - t0;
  // the page's own clock: from navigation start to the end of the first drawing
  const inPage = Number(await page.getAttribute('body', 'data-drawn-at'));
  const fetchMs: number[] = [], drawMs: number[] = [];
  for (let i = 2; i <= 6; i++) {
    await page.waitForSelector(`body[data-loaded="${i}"]`, { timeout: 60_000 });
    fetchMs.push(Number(await page.getAttribute('body', 'data-fetch-ms')));
    drawMs.push(Number(await page.getAttribute('body', 'data-draw-ms')));
  }
  const nodes = await page.locator('svg .node').count();
  if (process.env.MUON_BENCH_SCREENSHOT) await page.screenshot({ path: process.env.MUON_BENCH_SCREENSHOT, fullPage: true });
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1].toFixed(1);
  console.log(`page: ${ports} VM ports, ${nets} networks, ${hosts} hosts (${nodes} SVG nodes): first drawing done ${inPage.toFixed(0)} ms after navigation started (${first.toFixed(0)} ms as the driver sees it); ` +
    `per refresh (median of 5) fetch ${median(fetchMs)} ms, draw ${median(drawMs)} ms`);
} finally {
  await browser.close();
  ch.close();
  await api.close();
  rmSync(dir, { recursive: true, force: true });
}
