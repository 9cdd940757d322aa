// A list request as the repositories take it: filters, fields, sorting and pagination,
// already validated (src/api/list-query.ts parses it from the query string).
export interface SortSpec { key: string; dir: 'asc' | 'desc' }

export interface TagFilters { all: string[]; any: string[]; notAll: string[]; notAny: string[] }

export interface ListQuery {
  /** attribute → accepted values (OR within, AND across); '' means "is empty". */
  filters: Map<string, unknown[]>;
  /** Raw values of resource-specific filters (fixed_ips, ip_address_substr, ...). */
  special: Map<string, string[]>;
  tags: TagFilters;
  fields: string[] | null;
  sorts: SortSpec[];
  limit: number | null;
  marker: string | null;
  pageReverse: boolean;
}
