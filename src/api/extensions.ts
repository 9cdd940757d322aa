// Extensions Muon really implements, with Neutron's names, descriptions and dates
// (copied from what Zed answered). Clients gate features on this list, so an
// alias goes here only together with the behaviour it promises.
export interface Extension { alias: string; name: string; description: string; updated: string }

export const extensions: readonly Extension[] = [
  { alias: "allowed-address-pairs", name: "Allowed Address Pairs", description: "Provides allowed address pairs", updated: "2013-07-23T10:00:00-00:00" },
  { alias: "binding", name: "Port Binding", description: "Expose port bindings of a virtual port to external application", updated: "2014-02-03T10:00:00-00:00" },
  { alias: "dns-integration", name: "DNS Integration", description: "Provides integration with DNS.", updated: "2015-08-15T18:00:00-00:00" },
  { alias: "empty-string-filtering", name: "Empty String Filtering Extension", description: "Allow filtering by attributes with empty string value", updated: "2018-05-01T10:00:00-00:00" },
  { alias: "external-net", name: "Neutron external network", description: "Adds external network attribute to network resource.", updated: "2013-01-14T10:00:00-00:00" },
  { alias: "extra_dhcp_opt", name: "Neutron Extra DHCP options", description: "Extra options configuration for DHCP. For example PXE boot options to DHCP clients can be specified (e.g. tftp-server, server-ip-address, bootfile-name)", updated: "2013-03-17T12:00:00-00:00" },
  { alias: "filter-validation", name: "Filter parameters validation", description: "Provides validation on filter parameters.", updated: "2018-07-04T10:00:00-00:00" },
  { alias: "ip-substring-filtering", name: "IP address substring filtering", description: "Provides IP address substring filtering when listing ports", updated: "2017-11-28T09:00:00-00:00" },
  { alias: "multi-provider", name: "Multi Provider Network", description: "Expose mapping of virtual networks to multiple physical networks", updated: "2013-06-27T10:00:00-00:00" },
  { alias: "net-mtu", name: "Network MTU", description: "Provides MTU attribute for a network resource.", updated: "2015-03-25T10:00:00-00:00" },
  { alias: "net-mtu-writable", name: "Network MTU (writable)", description: "Provides a writable MTU attribute for a network resource.", updated: "2017-07-12T00:00:00-00:00" },
  { alias: "network-ip-availability", name: "Network IP Availability", description: "Provides IP availability data for each network and subnet.", updated: "2015-09-24T00:00:00-00:00" },
  { alias: "pagination", name: "Pagination support", description: "Extension that indicates that pagination is enabled.", updated: "2016-06-12T00:00:00-00:00" },
  { alias: "port-mac-address-regenerate", name: "Neutron Port MAC address regenerate", description: "Network port MAC address regenerate", updated: "2018-05-03T10:00:00-00:00" },
  { alias: "port-security", name: "Port Security", description: "Provides port security", updated: "2012-07-23T10:00:00-00:00" },
  { alias: "project-id", name: "project_id field enabled", description: "Extension that indicates that project_id field is enabled.", updated: "2016-09-09T09:09:09-09:09" },
  { alias: "provider", name: "Provider Network", description: "Expose mapping of virtual networks to physical networks", updated: "2012-09-07T10:00:00-00:00" },
  { alias: "revision-if-match", name: "If-Match constraints based on revision_number", description: "Extension indicating that If-Match based on revision_number is supported.", updated: "2016-12-11T00:00:00-00:00" },
  { alias: "sorting", name: "Sorting support", description: "Extension that indicates that sorting is enabled.", updated: "2016-06-12T00:00:00-00:00" },
  { alias: "standard-attr-description", name: "standard-attr-description", description: "Extension to add descriptions to standard attributes", updated: "2016-02-10T10:00:00-00:00" },
  { alias: "standard-attr-revisions", name: "Resource revision numbers", description: "This extension will display the revision number of neutron resources.", updated: "2016-04-11T10:00:00-00:00" },
  { alias: "standard-attr-tag", name: "Tag support for resources with standard attribute: port, subnet, subnetpool, network, security_group, router, floatingip, policy, trunk, network_segment_range", description: "Enables to set tag on resources with standard attribute.", updated: "2017-01-01T00:00:00-00:00" },
  { alias: "standard-attr-timestamp", name: "Resource timestamps", description: "Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.", updated: "2016-09-12T10:00:00-00:00" },
];

export const renderExtension = (e: Extension) => ({ alias: e.alias, description: e.description, links: [], name: e.name, updated: e.updated });
