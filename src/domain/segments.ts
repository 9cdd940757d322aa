// ML2 type drivers (flat, vlan, vxlan): validation of provider segments and the
// MTU a network gets. Pure; allocation against the database is in services.
import { InvalidInput } from '../errors/catalog.ts';
import type { MuonConfig } from '../config/types.ts';

export interface Segment {
  network_type: string;
  physical_network: string | null;
  segmentation_id: number | null;
}

export interface SegmentRequest {
  network_type?: unknown;
  physical_network?: unknown;
  segmentation_id?: unknown;
}

export const VXLAN_MAX = 16777215;
const VXLAN_OVERHEAD_IPV4 = 50;

/** Validates a provider segment as Neutron's type drivers do (messages from Zed). */
export function validateProviderSegment(req: SegmentRequest, cfg: MuonConfig): Segment {
  const type = req.network_type as string;
  const physnet = (req.physical_network ?? null) as string | null;
  const segId = (req.segmentation_id ?? null) as number | null;
  if (!cfg.ml2.typeDrivers.includes(type)) throw InvalidInput(`network_type value '${type}' not supported`);
  switch (type) {
    case 'flat': {
      if (segId !== null) throw InvalidInput('segmentation_id prohibited for flat provider network');
      if (!physnet) throw InvalidInput('physical_network required for flat provider network');
      const flat = cfg.ml2.flatNetworks;
      if (!flat.includes('*') && !flat.includes(physnet)) throw InvalidInput(`physical_network '${physnet}' unknown for flat provider network`);
      return { network_type: 'flat', physical_network: physnet, segmentation_id: null };
    }
    case 'vlan': {
      if (physnet === null) {
        if (segId !== null) throw InvalidInput('segmentation_id requires physical_network for VLAN provider network');
        return { network_type: 'vlan', physical_network: null, segmentation_id: null }; // tenant-style allocation
      }
      if (!cfg.ml2.networkVlanRanges.some((r) => r.physnet === physnet)) {
        throw InvalidInput(`physical_network '${physnet}' unknown for VLAN provider network`);
      }
      if (segId !== null && (segId < 1 || segId > 4094)) throw InvalidInput('segmentation_id out of range (1 through 4094)');
      return { network_type: 'vlan', physical_network: physnet, segmentation_id: segId };
    }
    case 'vxlan': {
      if (physnet !== null) throw InvalidInput('provider:physical_network specified for vxlan network');
      // Zed accepts out-of-range VNIs (and -1) here; a VNI the kernel cannot use is refused instead.
      if (segId !== null && (segId < 1 || segId > VXLAN_MAX)) throw InvalidInput(`segmentation_id out of range (1 through ${VXLAN_MAX})`);
      return { network_type: 'vxlan', physical_network: null, segmentation_id: segId };
    }
    default:
      throw InvalidInput(`network_type value '${type}' not supported`);
  }
}

/** Largest MTU the segments allow (ML2's _get_network_mtu). */
export function maxMtu(segments: readonly Segment[], cfg: MuonConfig): number {
  const base = cfg.ml2.pathMtu > 0 ? Math.min(cfg.ml2.pathMtu, cfg.globalPhysnetMtu) : cfg.globalPhysnetMtu;
  let mtu = Number.MAX_SAFE_INTEGER;
  for (const s of segments) {
    if (s.network_type === 'vxlan') mtu = Math.min(mtu, (cfg.ml2.pathMtu > 0 ? cfg.ml2.pathMtu : cfg.globalPhysnetMtu) - VXLAN_OVERHEAD_IPV4);
    else {
      const physMtu = s.physical_network ? cfg.ml2.physicalNetworkMtus[s.physical_network] : undefined;
      mtu = Math.min(mtu, physMtu ? Math.min(physMtu, cfg.globalPhysnetMtu) : cfg.globalPhysnetMtu);
    }
  }
  return mtu === Number.MAX_SAFE_INTEGER ? base : mtu;
}

/** The id ranges a tenant network of this type may take, per physical network. */
export function tenantRanges(type: string, cfg: MuonConfig): { physnet: string; min: number; max: number }[] {
  if (type === 'vxlan') return cfg.ml2.vniRanges.map((r) => ({ physnet: '', min: r.min, max: r.max }));
  if (type === 'vlan') {
    return cfg.ml2.networkVlanRanges
      .filter((r) => r.min !== undefined && r.max !== undefined)
      .map((r) => ({ physnet: r.physnet, min: r.min!, max: r.max! }));
  }
  return [];
}
