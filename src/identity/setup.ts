// From the configuration to the API's authenticate hook: noauth (no hook), Keystone
// ([keystone_authtoken]) or the embedded identity ([muon] identity = embedded).
import type { IncomingMessage } from 'node:http';
import type { MuonConfig } from '../config/types.ts';
import type { RequestContext } from '../domain/policy/context.ts';
import { createEnforcer } from '../domain/policy/enforcer.ts';
import { policyOptions } from '../domain/policy/options.ts';
import { createTokenAuthenticator } from './authenticator.ts';
import { keystoneSettings } from './keystone-settings.ts';
import { createKeystoneValidator } from './keystone-validator.ts';
import { reachableHost, startEmbeddedIdentity, type RunningIdentity } from './embedded/server.ts';
import { KeystoneError } from './embedded/keystone-error.ts';
import { createLogin, keystoneIssuer, LoginRefused, type Login } from './password-login.ts';

export interface AuthSetup {
  authenticate?: (req: IncomingMessage, requestId: string) => Promise<RequestContext>;
  /** The embedded identity, when it runs. */
  identity: RunningIdentity | null;
  /** Username/password sign-in at the same identity (the topology page); absent under noauth. */
  login?: Login;
  /** For the start-up log line. */
  summary: Record<string, unknown>;
  close(): Promise<void>;
}

type Log = (msg: string, fields: Record<string, unknown>) => void;

export async function setupAuth(config: MuonConfig, log: { info: Log; warn?: Log } = { info: () => {} }): Promise<AuthSetup> {
  if (config.authStrategy === 'noauth') return { identity: null, summary: { auth_strategy: 'noauth' }, close: async () => {} };
  const rules = createEnforcer(policyOptions(config)).rules;
  const m = config.values.muon ?? {};
  if (m.identity === 'embedded') {
    const host = (m.identity_bind_host as string | null) || config.bindHost;
    const networkUrl = (config.networkLinkPrefix ?? `http://${reachableHost(config.bindHost)}:${config.bindPort}`).replace(/\/+$/, '');
    const identity = await startEmbeddedIdentity({
      stateDir: config.statePath, host, port: m.identity_port as number, publicUrl: m.identity_public_url as string | null,
      networkUrl, tokenLifetime: m.identity_token_expiration as number,
    });
    // in-process: the identity may listen on an address this process cannot name
    const issue = async (authBody: unknown) => {
      try {
        return (await identity.identity.issue(authBody, { catalog: false })).token;
      } catch (e) {
        if (e instanceof KeystoneError && e.status === 401) throw new LoginRefused(e.message);
        throw e;
      }
    };
    return {
      identity,
      login: createLogin({ issue, validator: identity.validator, rules }),
      authenticate: createTokenAuthenticator({ validator: identity.validator, wwwAuthenticateUri: identity.url.replace(/\/v3$/, ''), rules }),
      summary: { auth_strategy: 'keystone', identity: 'embedded', identity_url: identity.url, openrc: identity.openrc },
      close: () => identity.close(),
    };
  }
  const settings = keystoneSettings(config);
  const warn = log.warn ?? log.info;
  const validator = createKeystoneValidator(settings, { onEvent: (event, detail) => warn(event, detail) });
  return {
    identity: null,
    login: createLogin({ issue: keystoneIssuer(settings.identityRoots, settings.timeoutMs), validator, rules }),
    authenticate: createTokenAuthenticator({ validator, wwwAuthenticateUri: settings.wwwAuthenticateUri, rules }),
    summary: { auth_strategy: 'keystone', identity: settings.identityRoots[0] },
    close: async () => {},
  };
}
