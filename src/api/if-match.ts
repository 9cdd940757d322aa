// If-Match: revision_number=N (revision-if-match). Other etag forms are ignored, as Neutron does.
import { InvalidIfMatch, MultipleIfMatch } from '../errors/catalog.ts';

export function parseIfMatch(header: string | undefined): number | null {
  if (!header) return null;
  const revs = header.split(',').map((s) => s.trim()).filter((s) => s.startsWith('revision_number='));
  if (revs.length === 0) return null;
  if (revs.length > 1) throw MultipleIfMatch();
  const v = revs[0].slice('revision_number='.length);
  if (!/^\d+$/.test(v)) throw InvalidIfMatch();
  return Number.parseInt(v, 10);
}
