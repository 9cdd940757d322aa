// A person's sign-in for the topology page (/muon/): username, password and project
// exchanged for a project-scoped token at the identity Muon is configured with (the
// embedded one in-process, or Keystone over HTTP), then validated the way every API
// request is, so the caller learns what the token allows (admin or not) before using it.
import type { RequestContext } from '../domain/policy/context.ts';
import type { RuleSet } from '../domain/policy/checks.ts';
import { passwordAuthBody } from './keystone-client.ts';
import { contextFromToken } from './token-info.ts';
import { IdentityUnavailable, type TokenValidator } from './validator.ts';

export interface LoginRequest {
  username: string;
  password: string;
  project: string;
  /** The user's and the project's domain name ('Default' unless given). */
  domain: string;
}

export interface LoginResult { token: string; expiresAt: string; context: RequestContext }

export type Login = (request: LoginRequest, requestId: string) => Promise<LoginResult>;

/** Wrong username, password or project: the identity said 401. */
export class LoginRefused extends Error {}

/** How one identity turns a v3 password-auth body into a token (throws LoginRefused on 401). */
export type IssueToken = (authBody: unknown) => Promise<string>;

export function createLogin(opts: { issue: IssueToken; validator: TokenValidator; rules?: RuleSet }): Login {
  return async (r, requestId) => {
    const body = passwordAuthBody({
      username: r.username, password: r.password, userDomain: { name: r.domain },
      projectName: r.project, projectId: null, projectDomain: { name: r.domain }, systemScope: null,
    });
    const token = await opts.issue(body);
    const info = await opts.validator.validate(token);
    return { token, expiresAt: info.expiresAt.toISOString(), context: contextFromToken(info, requestId, opts.rules) };
  };
}

/** POST {root}/auth/tokens at a Keystone, trying each configured root in turn while unreachable. */
export function keystoneIssuer(roots: readonly string[], timeoutMs: number): IssueToken {
  return async (authBody) => {
    let last: Error = new IdentityUnavailable('no identity URL configured');
    for (const root of roots) {
      let res: Response;
      try {
        res = await fetch(`${root}/auth/tokens?nocatalog`, {
          method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify(authBody), signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (e) {
        last = new IdentityUnavailable(`POST ${root}/auth/tokens: ${(e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name}`);
        continue;
      }
      await res.text();
      if (res.status === 401) throw new LoginRefused('the identity service refused these credentials');
      const token = res.headers.get('x-subject-token');
      if (res.status === 201 && token) return token;
      last = new IdentityUnavailable(`POST ${root}/auth/tokens: HTTP ${res.status}`);
    }
    throw last;
  };
}
