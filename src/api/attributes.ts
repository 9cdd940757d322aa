// Attribute maps: what each resource accepts and shows, as Neutron's
// RESOURCE_ATTRIBUTE_MAP does. The generic controller uses them to reject
// unknown or read-only attributes, fill defaults, convert and validate input
// with Neutron's exact messages, and to know what may be filtered or sorted.
import { InvalidInput } from '../errors/catalog.ts';
import { pyStr } from '../domain/py-str.ts';
import { validUuid } from '../domain/uuid.ts';

/** A validator returns null when valid, or the "Reason: ..." text Neutron prints. */
export type Validator = (value: unknown) => string | null;
/** A converter returns the converted value or throws a NeutronError (usually InvalidInput). */
export type Converter = (value: unknown) => unknown;

export interface AttrSpec {
  allowPost: boolean;
  allowPut: boolean;
  /** POST without it → "Failed to parse request. Required attribute 'x' not specified". */
  required?: boolean;
  /** Value used on POST when absent (functions are called per request). */
  default?: unknown;
  convert?: Converter;
  validate?: Validator;
  /** Shown in responses (subject to policy and ?fields=). */
  visible: boolean;
  /** Usable as a ?filter= on lists; `filterConvert` turns one query value into a typed value. */
  filter?: boolean;
  filterConvert?: Converter;
  sortKey?: boolean;
  /** Checked by policy when present in a request body (rule:<action>:<attr>). */
  enforcePolicy?: boolean;
}

export type AttrMap = Record<string, AttrSpec>;

// ---- converters (neutron_lib.api.converters) ----
export const toBoolean: Converter = (v) => {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number' && (v === 0 || v === 1)) return v === 1;
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    if (s === 'true' || s === '1') return true;
    if (s === 'false' || s === '0') return false;
  }
  throw InvalidInput(`'${pyStr(v)}' cannot be converted to boolean`);
};

export const toInt: Converter = (v) => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*[-+]?\d+\s*$/.test(v) ? Number.parseInt(v, 10) : NaN;
  if (!Number.isInteger(n)) throw InvalidInput(`'${pyStr(v)}' is not an integer`);
  // Larger integers lose their value here and overflow the databases' integer columns.
  if (!Number.isSafeInteger(n)) throw InvalidInput(`'${pyStr(v)}' is out of range - must be between ${Number.MIN_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}`);
  return n;
};

export const toIntOrNull: Converter = (v) => (v === null ? null : toInt(v));

/** A list attribute given as a scalar becomes a one-element list (convert_to_list). */
export const toList: Converter = (v) => (v === null || v === undefined ? [] : Array.isArray(v) ? v : [v]);

// ---- validators (neutron_lib.api.validators) ----
export function validString(maxLen?: number): Validator {
  return (v) => {
    if (typeof v !== 'string') return `'${pyStr(v)}' is not a valid string`;
    if (maxLen !== undefined && v.length > maxLen) return `'${v}' exceeds maximum length of ${maxLen}`;
    return null;
  };
}
export const validStringOrNone = (maxLen?: number): Validator => {
  const s = validString(maxLen);
  return (v) => (v === null ? null : s(v));
};

export const validUuidOrNone: Validator = (v) => (v === null ? null : validUuid(v));

/** An id Neutron looks up without checking its form (an unknown one is a 404), which still
 *  has to be a string: a list or an object is no id at all. */
export const validIdString: Validator = (v) => (typeof v === 'string' ? null : `'${pyStr(v)}' is not a valid UUID`);
export const validIdStringOrNone: Validator = (v) => (v === null ? null : validIdString(v));

export function validValues(values: readonly unknown[]): Validator {
  return (v) => (values.includes(v) ? null : `${pyStr(v)} is not in valid_values`);
}

export const validDict: Validator = (v) =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? null : `'${pyStr(v)}' is not a dictionary`;

export const validListOfStrings = (maxLen?: number): Validator => (v) => {
  if (!Array.isArray(v)) return `'${pyStr(v)}' is not a list`;
  const s = validString(maxLen);
  for (const item of v) { const r = s(item); if (r) return r; }
  return null;
};

export function validRange(min: number, max: number): Validator {
  return (v) => {
    if (typeof v !== 'number') return `'${pyStr(v)}' is not an integer`;
    if (v < min) return `'${v}' is too small - must be at least '${min}'`;
    if (v > max) return `'${v}' is too large - must be no more than '${max}'`;
    return null;
  };
}

// ---- standard attributes shared by every resource with standard-attr-* extensions ----
export const standardAttributes: AttrMap = {
  id: { allowPost: false, allowPut: false, visible: true, filter: true, sortKey: true },
  name: { allowPost: true, allowPut: true, default: '', validate: validString(255), visible: true, filter: true, sortKey: true },
  description: { allowPost: true, allowPut: true, default: '', validate: validString(255), visible: true, filter: true, sortKey: true },
  project_id: { allowPost: true, allowPut: false, validate: validString(255), visible: true, filter: true, sortKey: true, required: false },
  tenant_id: { allowPost: true, allowPut: false, validate: validString(255), visible: true, filter: true, sortKey: true, required: false },
  tags: { allowPost: true, allowPut: false, convert: toList, validate: validListOfStrings(255), visible: true },
  created_at: { allowPost: false, allowPut: false, visible: true, filter: true, sortKey: true },
  updated_at: { allowPost: false, allowPut: false, visible: true, filter: true, sortKey: true },
  revision_number: { allowPost: false, allowPut: false, visible: true, filter: true, sortKey: true, filterConvert: toInt },
};
