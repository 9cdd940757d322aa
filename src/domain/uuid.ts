// UUIDs as neutron_lib accepts them (dashes optional, any case).
import { pyStr } from './py-str.ts';

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
export const isUuid = (v: unknown): v is string => typeof v === 'string' && UUID_RE.test(v);
/** neutron_lib's validate_uuid: null when valid, else the reason Neutron prints. */
export const validUuid = (v: unknown): string | null => (isUuid(v) ? null : `'${pyStr(v)}' is not a valid UUID`);
