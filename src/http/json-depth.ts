// JSON nested deeper than any API body needs is refused before it is parsed:
// every recursive walk of a value (validation, messages that quote it, rendering)
// is then safe from exhausting the stack.

/** The deepest nesting clients may send; Neutron's and Keystone's bodies need under 10. */
export const MAX_JSON_DEPTH = 100;

/** True when `text` opens more than `max` arrays/objects at once (strings skipped). */
export function nestedDeeperThan(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) { if (++depth > max) return true; }
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
