// admin-openrc.sh / demo-openrc.sh, as the install guide's: `source admin-openrc.sh`
// then any openstack or neutron command. Written with the generated passwords on first
// start; later starts only keep OS_AUTH_URL in step with where the identity listens.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSecret } from './store.ts';

export interface OpenrcAccount { user: string; project: string; password: string }

export function openrcText(authUrl: string, a: OpenrcAccount): string {
  return [
    `# ${a.user} credentials for the Muon embedded identity (generated; keep this file private)`,
    `export OS_AUTH_URL=${authUrl}`,
    `export OS_USERNAME=${a.user}`,
    `export OS_PASSWORD=${a.password}`,
    `export OS_PROJECT_NAME=${a.project}`,
    'export OS_USER_DOMAIN_NAME=Default',
    'export OS_PROJECT_DOMAIN_NAME=Default',
    'export OS_REGION_NAME=RegionOne',
    'export OS_IDENTITY_API_VERSION=3',
    '',
  ].join('\n');
}

/** Writes <dir>/<user>-openrc.sh for accounts just created; refreshes OS_AUTH_URL in existing ones. */
export function writeOpenrcFiles(dir: string, authUrl: string, created: OpenrcAccount[], existing: string[] = ['admin', 'demo']): string[] {
  const written: string[] = [];
  for (const a of created) {
    const file = join(dir, `${a.user}-openrc.sh`);
    writeSecret(file, openrcText(authUrl, a));
    written.push(file);
  }
  for (const user of existing) {
    const file = join(dir, `${user}-openrc.sh`);
    if (written.includes(file) || !existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const next = text.replace(/^export OS_AUTH_URL=.*$/m, `export OS_AUTH_URL=${authUrl}`);
    if (next !== text) writeSecret(file, next);
    written.push(file);
  }
  return written;
}
