// One copy of the values many simulated hosts of one load-generator process hold. Each host's
// agent keeps its whole state, and in a cloud whose default group names itself that is every
// port of the cloud twice over (remote-group members, l2population peers): 500 hosts in one
// process held ~10 million small objects, and collecting that heap took most of a load
// generator's CPU during a fan-out — delaying the arrivals the bench measures, a cost no real
// agent has (it runs alone on its machine). Equal values are shared instead: the hosts hold
// the same data, parsed from the same answers.
import type { HostState, L2popPeer, MemberAddresses } from '../../src/feed/host-state.ts';

/** past this many kept values, forget them all (a new topology; bounded memory) */
const MAX_PEERS = 100_000;
const MAX_MEMBER_LISTS = 64;

export class Interner {
  private readonly peers = new Map<string, L2popPeer>();
  private readonly members = new Map<string, MemberAddresses>();

  /** the answer with its l2pop peers and remote-group members replaced by shared equal copies */
  answer(a: HostState): HostState {
    if (a.l2pop) a.l2pop = a.l2pop.map((p) => this.peer(p));
    if (a.remote_groups) {
      for (const [id, m] of Object.entries(a.remote_groups)) a.remote_groups[id] = this.memberList(m);
    }
    return a;
  }

  private peer(p: L2popPeer): L2popPeer {
    const key = `${p.network_id} ${p.segmentation_id} ${p.vtep} ${p.ports.join(' ')}`;
    const had = this.peers.get(key);
    if (had) return had;
    if (this.peers.size >= MAX_PEERS) this.peers.clear();
    this.peers.set(key, p);
    return p;
  }

  private memberList(m: MemberAddresses): MemberAddresses {
    const key = `${m.IPv4.join(',')}|${m.IPv6.join(',')}`;
    const had = this.members.get(key);
    if (had) return had;
    if (this.members.size >= MAX_MEMBER_LISTS) this.members.delete(this.members.keys().next().value!);
    this.members.set(key, m);
    return m;
  }
}
