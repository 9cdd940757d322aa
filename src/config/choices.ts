// The driver and plugin names Neutron configs use, split into what Muon
// implements and what it knows but refuses, so a typo and a real-but-unsupported
// choice get different, precise messages.
import type { Choices } from './option-spec.ts';

const NEEDS_OVS = 'Muon implements the linuxbridge data plane only';

export const TYPE_DRIVERS: Choices = {
  noun: 'type driver',
  supported: ['flat', 'vlan', 'vxlan'],
  unsupported: {
    local: 'local networks reach no other host; use flat or vxlan',
    gre: 'the linuxbridge data plane has no GRE tunnels; use vxlan',
    geneve: 'Geneve needs OVN/Open vSwitch; use vxlan',
  },
};

export const MECHANISM_DRIVERS: Choices = {
  noun: 'mechanism driver',
  supported: ['linuxbridge', 'l2population'],
  unsupported: {
    openvswitch: NEEDS_OVS,
    ovn: NEEDS_OVS,
    macvtap: NEEDS_OVS,
    sriovnicswitch: 'SR-IOV ports are not supported',
    baremetal: 'bare-metal ports are not supported',
    fake_agent: 'a Neutron test driver',
    logger: 'a Neutron test driver',
    test: 'a Neutron test driver',
  },
};

export const EXTENSION_DRIVERS: Choices = {
  noun: 'extension driver',
  supported: [
    'port_security', 'dns', 'dns_domain_ports', 'dns_domain_keywords', 'qos', 'data_plane_status',
    'uplink_status_propagation', 'subnet_dns_publish_fixed_ip', 'port_numa_affinity_policy',
    'port_hints', 'port_device_profile', 'port_trusted',
  ],
};

export const SERVICE_PLUGINS: Choices = {
  noun: 'service plugin',
  supported: [
    'router', 'qos', 'trunk', 'segments', 'port_forwarding', 'metering', 'tag', 'timestamp',
    'revisions', 'network_ip_availability', 'auto_allocate', 'flavors', 'network_segment_range',
    'placement', 'log', 'conntrack_helper', 'ndp_proxy', 'local_ip',
  ],
  aliases: {
    'neutron.services.l3_router.l3_router_plugin.L3RouterPlugin': 'router',
    'neutron.services.qos.qos_plugin.QoSPlugin': 'qos',
    'neutron.services.trunk.plugin.TrunkPlugin': 'trunk',
    'neutron.services.segments.plugin.Plugin': 'segments',
    'neutron.services.portforwarding.pf_plugin.PFPlugin': 'port_forwarding',
    'neutron.services.metering.metering_plugin.MeteringPlugin': 'metering',
    'neutron.services.tag.tag_plugin.TagPlugin': 'tag',
    'neutron.services.timestamp.timestamp_plugin.TimeStampPlugin': 'timestamp',
    'neutron.services.revisions.revision_plugin.RevisionPlugin': 'revisions',
    'neutron.services.network_ip_availability.plugin.NetworkIPAvailabilityPlugin': 'network_ip_availability',
    'neutron.services.auto_allocate.plugin.Plugin': 'auto_allocate',
    'neutron.services.flavors.flavors_plugin.FlavorsPlugin': 'flavors',
    'neutron.services.network_segment_range.plugin.NetworkSegmentRangePlugin': 'network_segment_range',
    'neutron.services.placement_report.plugin.PlacementReportPlugin': 'placement',
    'neutron.services.logapi.logging_plugin.LoggingPlugin': 'log',
    'neutron.services.conntrack_helper.plugin.Plugin': 'conntrack_helper',
    'neutron.services.ndp_proxy.plugin.NDPProxyPlugin': 'ndp_proxy',
    'neutron.services.local_ip.local_ip_plugin.LocalIPPlugin': 'local_ip',
  },
  unsupported: {
    'ovn-router': 'it needs OVN; use router',
    lbaas: 'load balancing moved to Octavia',
    lbaasv2: 'load balancing moved to Octavia',
    'neutron_lbaas.services.loadbalancer.plugin.LoadBalancerPluginv2': 'load balancing moved to Octavia',
    vpnaas: 'VPN as a service is not implemented',
    firewall: 'FWaaS is not implemented; use security groups',
    firewall_v2: 'FWaaS is not implemented; use security groups',
    dummy: 'a Neutron test plugin',
    loki: 'a Neutron test plugin',
  },
};

export const CORE_PLUGINS: Choices = {
  noun: 'core plugin',
  supported: ['ml2'],
  aliases: {
    'neutron.plugins.ml2.plugin.Ml2Plugin': 'ml2',
    'neutron.plugins.ml2.plugin:Ml2Plugin': 'ml2',
  },
  unsupported: {
    'neutron.plugins.openvswitch.ovs_neutron_plugin.OVSNeutronPluginV2': 'the monolithic OVS plugin was removed from Neutron; use ml2',
    'neutron.plugins.linuxbridge.lb_neutron_plugin.LinuxBridgePluginV2': 'the monolithic linuxbridge plugin was removed from Neutron; use ml2',
  },
};

const IPTABLES = 'neutron.agent.linux.iptables_firewall.IptablesFirewallDriver';

export const FIREWALL_DRIVERS: Choices = {
  noun: 'firewall driver',
  supported: [
    'iptables', 'iptables_hybrid', 'openvswitch', 'noop', IPTABLES,
    'neutron.agent.linux.iptables_firewall.OVSHybridIptablesFirewallDriver',
    'neutron.agent.linux.openvswitch_firewall:OVSFirewallDriver',
    'neutron.agent.firewall.NoopFirewallDriver',
  ],
  onUnknown: 'warn',
  note: 'Neutron would fail to load it; Muon ignores this option\'s value and enforces security groups with nftables whenever [securitygroup] enable_security_group is true',
};

export const INTERFACE_DRIVERS: Choices = {
  noun: 'interface driver',
  supported: ['linuxbridge', 'neutron.agent.linux.interface.BridgeInterfaceDriver'],
  unsupported: {
    openvswitch: NEEDS_OVS,
    'neutron.agent.linux.interface.OVSInterfaceDriver': NEEDS_OVS,
  },
  onUnknown: 'warn',
  note: 'Muon\'s agents always plug router and DHCP ports into linux bridges and ignore this value',
};

export const DHCP_DRIVERS: Choices = {
  noun: 'DHCP driver',
  supported: ['neutron.agent.linux.dhcp.Dnsmasq'],
  onUnknown: 'warn',
  note: 'Muon\'s DHCP agent always runs dnsmasq and ignores this value',
};
