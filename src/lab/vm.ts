// `muon vm`: plays Nova in the lab. Booting a VM = create its port the way Nova does
// (device_owner compute:nova, device_id = the instance uuid, binding:host_id = the host),
// plug it the way libvirt does (a veth whose host end is tap<port[:11]> and whose other end
// is eth0 of the VM's namespace, with the port's MAC), wait for the port to go ACTIVE (Nova's
// network-vif-plugged), then run a DHCP client in the VM (busybox udhcpc).
import { randomUUID } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { batch, namesMissingDevice } from '../linux/ip.ts';
import { del as delNetns, inodes as netnsInodes } from '../linux/netns.ts';
import { processesIn, terminate } from '../linux/proc.ts';
import { ExecError, interactive, tryExec } from '../linux/exec.ts';
import { requestLease, writeUdhcpcScript } from '../linux/udhcpc.ts';
import { ApiError } from './api-client.ts';
import type { LabRuntime } from './runtime.ts';
import { UserError } from '../errors/user-error.ts';
import type { ApiClient } from './api-client.ts';
import { triagePort } from './vm-triage.ts';
import { eventsOffset, waitVifPlugged } from './vif-events.ts';

export interface VmRecord {
  name: string;
  /** Nova's instance uuid: the port's device_id, what the metadata service answers for */
  instance_id?: string;
  host: string;
  netns: string;
  port_id: string;
  network_id: string;
  mac_address: string;
  ip_address?: string;
  mtu?: number;
}

export interface BootTimings {
  port_ms: number;
  plug_ms: number;
  active_ms: number;
  lease_ms: number;
  total_ms: number;
}

const NAME = /^[a-z][a-z0-9-]{0,20}$/;

const registryFile = (rt: LabRuntime) => `${rt.lab.paths.stateDir}/vms.json`;
/** what runs inside a new VM's namespace (under the lab root, so every host sees the path) */
const vmUpBatch = (rt: LabRuntime) => `${rt.lab.paths.stateDir}/vm-up.batch`;

/** Written whole (temporary file, rename): a boot beside this one may be reading it. */
async function writeVmUpBatch(rt: LabRuntime): Promise<void> {
  const f = vmUpBatch(rt);
  const tmp = `${f}.tmp-${randomUUID()}`;
  await writeFile(tmp, 'link set lo up\nlink set eth0 up\n');
  await rename(tmp, f);
}

async function readRegistry(rt: LabRuntime): Promise<VmRecord[]> {
  try { return JSON.parse(await readFile(registryFile(rt), 'utf8')) as VmRecord[]; } catch { return []; }
}

async function writeRegistry(rt: LabRuntime, vms: VmRecord[]): Promise<void> {
  const f = registryFile(rt);
  await writeFile(`${f}.tmp`, JSON.stringify(vms, null, 2));
  await rename(`${f}.tmp`, f);
}

export const listVms = readRegistry;

export async function findVm(rt: LabRuntime, name: string): Promise<VmRecord> {
  await rt.requireRunning();
  const vm = (await readRegistry(rt)).find((v) => v.name === name);
  if (!vm) throw new UserError(`no VM named '${name}' in the lab (muon vm list shows them)`);
  return vm;
}

export interface BootOptions {
  name: string;
  network: string;
  host: string;
  securityGroups?: string[];
  portSecurity?: boolean;
  fixedIp?: string;
  allowedAddressPairs?: { ip_address: string; mac_address?: string }[];
  /** ms to wait for ACTIVE and for the lease (default 30 s) */
  timeoutMs?: number;
}

export async function bootVm(rt: LabRuntime, o: BootOptions): Promise<{ vm: VmRecord; timings: BootTimings }> {
  if (!NAME.test(o.name)) throw new UserError(`invalid VM name '${o.name}': lowercase letters, digits and '-', starting with a letter, at most 21 characters`);
  if (!rt.lab.hosts.includes(o.host) || !rt.hosts.some((h) => h.host === o.host)) {
    throw new UserError(`unknown host '${o.host}'; VMs run on: ${rt.hosts.map((h) => h.host).join(', ')}`);
  }
  await rt.requireRunning();
  const vms = await readRegistry(rt);
  if (vms.some((v) => v.name === o.name)) throw new UserError(`a VM named '${o.name}' exists already`);
  const api = await rt.api();
  const t0 = performance.now();
  const nets = (await api.req('GET', `/v2.0/networks?${/^[0-9a-f-]{36}$/.test(o.network) ? 'id' : 'name'}=${encodeURIComponent(o.network)}`)).networks as { id: string; mtu: number }[];
  if (nets.length !== 1) throw new UserError(nets.length ? `more than one network is named '${o.network}'; give its id` : `no network '${o.network}'`);
  const net = nets[0];
  await requireDhcp(api, o.network, net.id);
  let sgIds: string[] | undefined;
  if (o.securityGroups) {
    sgIds = [];
    for (const g of o.securityGroups) {
      if (/^[0-9a-f-]{36}$/.test(g)) { sgIds.push(g); continue; }
      const found = (await api.req('GET', `/v2.0/security-groups?name=${encodeURIComponent(g)}&project_id=${api.projectId}`)).security_groups as { id: string }[];
      if (found.length !== 1) throw new UserError(`security group '${g}': ${found.length ? 'ambiguous, give its id' : 'not found'}`);
      sgIds.push(found[0].id);
    }
  }
  const instanceId = randomUUID();
  const port = (await api.req('POST', '/v2.0/ports', { port: {
    network_id: net.id, name: o.name, device_owner: 'compute:nova', device_id: instanceId, 'binding:host_id': o.host,
    ...(sgIds ? { security_groups: sgIds } : {}),
    ...(o.portSecurity === false ? { port_security_enabled: false, security_groups: [] } : {}),
    ...(o.fixedIp ? { fixed_ips: [{ ip_address: o.fixedIp }] } : {}),
    ...(o.allowedAddressPairs ? { allowed_address_pairs: o.allowedAddressPairs } : {}),
  } })).port as { id: string; mac_address: string; 'binding:vif_type': string; 'binding:vif_details': { reason?: string } };
  const tPort = performance.now();
  if (port['binding:vif_type'] !== 'bridge') {
    await api.req('DELETE', `/v2.0/ports/${port.id}`).catch(() => {});
    throw new UserError(oneLine(`VM ${o.name} not booted: port binding failed on host '${o.host}': ${port['binding:vif_details']?.reason ?? port['binding:vif_type']} (Nova would fail the boot with PortBindingFailed)`));
  }
  const vm: VmRecord = { name: o.name, instance_id: instanceId, host: o.host, netns: `vm-${o.name}`, port_id: port.id, network_id: net.id, mac_address: port.mac_address, mtu: net.mtu };
  try {
    return await plugAndWait(rt, api, o, vm, vms, { t0, tPort });
  } catch (e) {
    // a failed boot leaves nothing: no namespace, no port, no record (Nova deletes the ports it made)
    await removeVm(rt, vm).catch(() => {});
    throw e;
  }
}

const oneLine = (s: string) => s.split('\n').map((l) => l.trim()).filter(Boolean).join(' / ');

/** A VM gets its address by DHCP: a network with DHCP off on every IPv4 subnet cannot give it one. */
async function requireDhcp(api: ApiClient, name: string, networkId: string): Promise<void> {
  const subnets = ((await api.req('GET', `/v2.0/subnets?network_id=${networkId}`)).subnets as { id: string; name: string; cidr: string; ip_version: number; enable_dhcp: boolean }[])
    .filter((s) => s.ip_version === 4);
  if (!subnets.length) throw new UserError(`network '${name}' has no IPv4 subnet: a VM there gets no address (openstack subnet create --network ${name} --subnet-range …)`);
  if (subnets.some((s) => s.enable_dhcp)) return;
  throw new UserError(`DHCP is disabled on ${subnets.map((s) => `subnet ${s.name ? `'${s.name}' ` : ''}${s.cidr}`).join(', ')} of network '${name}': the VM would get no address; enable it: openstack subnet set --dhcp ${subnets[0].name || subnets[0].id}`);
}

/** Power the VM off and take away its port and its record (a failed boot, `muon vm delete`). */
async function removeVm(rt: LabRuntime, vm: VmRecord): Promise<void> {
  const place = rt.lab.place(vm.host);
  const ino = (await netnsInodes(place)).get(vm.netns);
  if (ino !== undefined) {
    // power off: what ran in the VM would keep its namespace alive, unnamed, past any teardown
    const inside = await processesIn({ net: new Set([ino]) });
    if (inside.length) await terminate(inside.map((p) => p.pid));
    await delNetns(place, vm.netns); // the veth pair goes with it
  }
  try {
    await (await rt.api()).req('DELETE', `/v2.0/ports/${vm.port_id}`);
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) throw e;
  }
  await writeRegistry(rt, (await readRegistry(rt)).filter((v) => v.name !== vm.name));
}

async function plugAndWait(rt: LabRuntime, api: ApiClient, o: BootOptions, vm: VmRecord, vms: VmRecord[], t: { t0: number; tPort: number }): Promise<{ vm: VmRecord; timings: BootTimings }> {
  const { t0, tPort } = t;
  const net = { mtu: vm.mtu ?? 1500 };
  const port = { id: vm.port_id, mac_address: vm.mac_address };
  await writeRegistry(rt, [...vms, vm]);
  // Nova knows its instance before it plugs the port (its events are accepted, not 404)
  await writeNovaInstances(rt);
  const eventsFrom = await eventsOffset(rt.novaEventsFile);

  // plug, as libvirt does: the tap on the host (MTU of the network), eth0 in the VM (MTU 1500
  // until DHCP says otherwise), and the tap in the network's bridge, `brq<network id[:11]>`,
  // as Nova names it for a linuxbridge port (libvirt's <interface type='bridge'> enslaves it;
  // the Linux bridge agent then finds it plugged). A bridge not there yet (the first port of
  // the network on this host) is left to the agent, which makes it and plugs the tap.
  const place = rt.lab.place(o.host);
  const tap = `tap${port.id.slice(0, 11)}`;
  const bridge = `brq${vm.network_id.slice(0, 11)}`;
  // ONE process start (each costs 15–70 ms here, and the agents are busy with the new port at
  // this very moment): on the host the namespace and the veth (eth0 made with the port's MAC),
  // the tap up; then lo and eth0 up inside the VM (a device moved to another namespace arrives
  // down) by a `netns exec` line, which ip runs itself, reading a constant batch file; the
  // bridge last, as ip stops at a line naming a device that does not exist
  await writeVmUpBatch(rt);
  try {
    await batch(place, [
      ['netns', 'add', vm.netns],
      ['link', 'add', tap, 'mtu', String(net.mtu), 'type', 'veth', 'peer', 'name', 'eth0', 'address', port.mac_address, 'netns', vm.netns],
      ['link', 'set', tap, 'up'],
      ['netns', 'exec', vm.netns, 'ip', '-batch', vmUpBatch(rt)],
      ['link', 'set', tap, 'master', bridge],
    ]);
  } catch (e) {
    if (!(e instanceof ExecError && namesMissingDevice(e.result.stderr, bridge))) throw e;
  }
  const tPlug = performance.now();

  const timeout = o.timeoutMs ?? 30_000;
  const until = Date.now() + timeout;
  const triage = { portId: port.id, networkId: vm.network_id, host: o.host, vm: o.name };
  // what is known to hold the port up is said at once (an agent gone or dead, dnsmasq refusing),
  // looked at once a second; what is only slow is said when the wait is over
  let nextLook = Date.now() + 1000;
  // As Nova does, wait for network-vif-plugged (the lab's server sends it at once) rather
  // than ask for the port every few ms beside the agents doing the work; a look every 250 ms
  // stands in where no event comes (notifications off), and once the event came
  const vif = waitVifPlugged(rt.novaEventsFile, port.id, eventsFrom);
  let vifSeen = false;
  try {
    for (;;) {
      const p = (await api.req('GET', `/v2.0/ports/${port.id}`)).port as { status: string };
      if (p.status === 'ACTIVE') break;
      const final = Date.now() > until;
      if (final || Date.now() > nextLook) {
        nextLook = Date.now() + 1000;
        const why = await triagePort(rt, api, triage, final);
        if (why) throw new UserError(oneLine(`VM ${o.name} not booted: ${why}`));
        if (final) throw new UserError(`VM ${o.name} not booted: port ${port.id} is still ${p.status} after ${timeout / 1000} s (see ${rt.agentLog(o.host, 'linuxbridge')})`);
      }
      let timer: NodeJS.Timeout | undefined;
      const pause = new Promise<void>((r) => { timer = setTimeout(r, vifSeen ? 10 : 250); });
      await (vifSeen ? pause : Promise.race([vif.plugged.then(() => { vifSeen = true; }), pause]));
      clearTimeout(timer);
    }
  } finally {
    vif.close();
  }
  const tActive = performance.now();

  const script = await writeUdhcpcScript(`${rt.lab.paths.stateDir}/udhcpc.script`);
  const { lease, output } = await requestLease(rt.lab.place(o.host, vm.netns), script, 10, timeout);
  if (!lease) throw new UserError(oneLine(`VM ${o.name} not booted: no DHCP lease although its port is ACTIVE (udhcpc: ${output.split('\n').pop() ?? ''}); read the log of the DHCP agent serving network ${vm.network_id} and dnsmasq's under its state directory`));
  vm.ip_address = lease.ip;
  if (lease.mtu) vm.mtu = Number(lease.mtu);
  const tLease = performance.now();
  await writeRegistry(rt, [...(await readRegistry(rt)).filter((v) => v.name !== vm.name), vm]);
  await writeNovaInstances(rt);
  const ms = (a: number, b: number) => Math.round((b - a) * 10) / 10;
  return { vm, timings: { port_ms: ms(t0, tPort), plug_ms: ms(tPort, tPlug), active_ms: ms(tPlug, tActive), lease_ms: ms(tActive, tLease), total_ms: ms(t0, tLease) } };
}

export async function deleteVm(rt: LabRuntime, name: string): Promise<void> {
  await removeVm(rt, await findVm(rt, name));
  await writeNovaInstances(rt);
}

/** The stand-in Nova answers metadata for the lab's VMs from this registry (src/lab/nova-standin.ts). */
async function writeNovaInstances(rt: LabRuntime): Promise<void> {
  const api = await rt.api();
  const entries = Object.fromEntries((await readRegistry(rt)).filter((v) => v.instance_id).map((v) => [v.instance_id!, {
    name: v.name, hostname: v.name, project_id: api.projectId, ...(v.ip_address ? { local_ipv4: v.ip_address } : {}),
  }]));
  const f = rt.novaInstancesFile;
  await writeFile(`${f}.tmp`, JSON.stringify(entries, null, 2));
  await rename(`${f}.tmp`, f);
}

export async function deleteAllVms(rt: LabRuntime): Promise<string[]> {
  const names = (await readRegistry(rt)).map((v) => v.name);
  for (const n of names) await deleteVm(rt, n).catch(() => {});
  return names;
}

/** Run a command in a VM; captures output (tests) … */
export async function execInVm(rt: LabRuntime, name: string, argv: readonly string[], opts: { timeoutMs?: number } = {}) {
  const vm = await findVm(rt, name);
  return tryExec(argv, { place: rt.lab.place(vm.host, vm.netns), timeoutMs: opts.timeoutMs });
}

/** … or with the user's terminal (`muon vm exec`). */
export async function execInVmInteractive(rt: LabRuntime, name: string, argv: readonly string[]): Promise<number> {
  const vm = await findVm(rt, name);
  return interactive(argv, { place: rt.lab.place(vm.host, vm.netns) });
}

/**
 * A TCP service in a VM that answers each connection with `text` (socat); resolves with its
 * pid once it listens, so that a refused connection can never pass for a blocking rule.
 */
export async function serveTcpInVm(rt: LabRuntime, name: string, port: number, text: string, timeoutMs = 8000): Promise<number> {
  const vm = await findVm(rt, name);
  const pid = await rt.lab.startOn(vm.host, ['socat', `TCP-LISTEN:${port},fork,reuseaddr`, `EXEC:echo ${text}`], { netns: vm.netns, settleMs: 20 });
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await tryExec(['ss', '-Hltn', `sport = :${port}`], { place: rt.lab.place(vm.host, vm.netns), timeoutMs: 5000 });
    if (r.code === 0 && r.stdout.trim()) return pid;
    if (Date.now() > until) throw new Error(`socat in VM ${name} is not listening on TCP ${port} after ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 50));
  }
}
