// Checks that span options: the combinations Neutron accepts at startup but that
// fail later (a self-service network without VNIs, a port no driver can bind).
import { ConfigError, locationPrefix, type ConfigLocation } from './config-error.ts';
import type { Values } from './build.ts';

/** Where the effective value of an option came from (absent when it is the default). */
export type Locate = (section: string, option: string) => ConfigLocation | undefined;

export type Role = 'server' | 'agent';

/** Server-side ML2 consistency. Throws on fatal combinations, returns warnings for silent failures. */
export function checkMl2(values: Values, locate: Locate, ml2Read: boolean): string[] {
  const warnings: string[] = [];
  const ml2 = values.ml2;
  const typeDrivers = ml2.type_drivers as string[];
  const tenantTypes = ml2.tenant_network_types as string[];
  const where = (section: string, option: string) => locate(section, option) ?? { section, option };
  const at = (section: string, option: string) => {
    const loc = locate(section, option);
    return loc ? `${loc.file}${loc.line ? `:${loc.line}` : ''}: ` : '';
  };
  const hint = ml2Read ? '' : ' (no [ml2] section was read: is --config-file /etc/neutron/plugins/ml2/ml2_conf.ini missing?)';

  for (const t of tenantTypes) {
    if (!typeDrivers.includes(t)) {
      const loc = { ...where('ml2', 'tenant_network_types'), section: 'ml2', option: 'tenant_network_types' };
      throw new ConfigError(
        `${locationPrefix(loc)} '${t}' is not in [ml2] type_drivers (${typeDrivers.join(', ') || 'empty'}); add it to type_drivers or choose tenant_network_types among them${hint}`,
        loc,
      );
    }
  }
  if (tenantTypes.includes('vxlan') && (values.ml2_type_vxlan.vni_ranges as string[]).length === 0) {
    warnings.push(`${at('ml2_type_vxlan', 'vni_ranges')}[ml2] tenant_network_types includes vxlan but [ml2_type_vxlan] vni_ranges is empty: creating a self-service network will fail with NoNetworkAvailable; set e.g. vni_ranges = 1:1000${hint}`);
  }
  if (tenantTypes.includes('vlan') && !(values.ml2_type_vlan.network_vlan_ranges as string[]).some((r) => r.includes(':'))) {
    warnings.push(`${at('ml2_type_vlan', 'network_vlan_ranges')}[ml2] tenant_network_types includes vlan but [ml2_type_vlan] network_vlan_ranges has no physnet:min:max range: self-service VLAN networks will fail with NoNetworkAvailable${hint}`);
  }
  const mech = ml2.mechanism_drivers as string[];
  if (mech.length === 0) {
    warnings.push(`${at('ml2', 'mechanism_drivers')}[ml2] mechanism_drivers is empty: no port can be bound (binding:vif_type binding_failed); set mechanism_drivers = linuxbridge,l2population${hint}`);
  } else if (!mech.includes('linuxbridge')) {
    warnings.push(`${at('ml2', 'mechanism_drivers')}[ml2] mechanism_drivers has no linuxbridge: l2population only assists a binding driver, so no port can be bound; add linuxbridge`);
  }
  return warnings;
}

/** Agent-side: the settings without which the linux bridge agent cannot realise networks. */
export function checkAgent(values: Values, locate: Locate): string[] {
  const warnings: string[] = [];
  const vx = values.vxlan;
  if (vx.enable_vxlan === true && vx.local_ip === null) {
    const loc = locate('vxlan', 'enable_vxlan');
    const at = loc ? `${loc.file}${loc.line ? `:${loc.line}` : ''}: ` : '';
    warnings.push(`${at}[vxlan] enable_vxlan is true but local_ip is not set: VXLAN networks cannot be realised on this host; set [vxlan] local_ip to this host's tunnel address or enable_vxlan = false`);
  }
  return warnings;
}
