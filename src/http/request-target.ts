// The request target as the router sees it: a URL whose path is the client's own
// (a leading `//` is not an authority), split into segments that are percent-
// decoded leniently, as Python's unquote does: a malformed escape stays as
// written and invalid UTF-8 becomes U+FFFD, so such a name is simply not found.

/** The URL of `target` (origin-form, or absolute-form from a proxy). */
export function requestUrl(target: string | undefined): URL {
  const t = target ?? '/';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(t)) {
    try { return new URL(t); } catch { /* not a URL after all: taken as a path below */ }
  }
  return new URL(`http://localhost${t.startsWith('/') ? '' : '/'}${t}`);
}

/** Path segments, empty ones dropped (`//v2.0//routers//` is /v2.0/routers), each decoded. */
export function pathSegments(pathname: string): string[] {
  return pathname.split('/').filter(Boolean).map(decodeSegment);
}

export function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    const bytes: number[] = [];
    for (let i = 0; i < s.length; i++) {
      if (s[i] === '%' && /^[0-9a-f]{2}$/i.test(s.slice(i + 1, i + 3))) {
        bytes.push(Number.parseInt(s.slice(i + 1, i + 3), 16));
        i += 2;
      } else {
        bytes.push(...Buffer.from(s[i], 'utf8'));
      }
    }
    return Buffer.from(bytes).toString('utf8');
  }
}
