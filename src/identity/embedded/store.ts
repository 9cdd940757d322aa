// The embedded identity's users, projects, roles, role assignments, services, endpoints
// and regions: one JSON file under state_path (identity.json), created on first start
// with Keystone bootstrap's defaults (domain Default; roles admin, member, reader,
// service; project admin with user admin; region RegionOne) plus the seed's demo
// project/user and service project. Every change through the API rewrites the file.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generatePassword, hashPassword } from './password.ts';

export interface Domain { id: string; name: string; enabled: boolean; description: string }
export interface Project { id: string; name: string; domain_id: string; enabled: boolean; description: string }
export interface User {
  id: string; name: string; domain_id: string; enabled: boolean; password_hash: string; default_project_id?: string;
  /** Attributes Keystone keeps for a user without knowing them (email, description, ...). */
  extra?: Record<string, unknown>;
  /** Bumped when the password changes or the user is disabled: tokens issued before stop validating, as Keystone revokes them. */
  token_generation?: number;
}
export interface Role { id: string; name: string; description?: string | null }
/** The catalog as the operator registered it (`openstack service/endpoint create`). */
export interface Service { id: string; type: string; name?: string; description?: string; enabled: boolean }
export interface Endpoint { id: string; service_id: string; interface: string; url: string; region_id: string | null; enabled: boolean }
export interface Region { id: string; description: string; parent_region_id: string | null }
/** One role on one target: a project, a domain, or the system ('all'). */
export interface Assignment { user_id: string; role_id: string; project_id?: string; domain_id?: string; system?: 'all' }

export interface IdentityData {
  version: 1;
  domains: Domain[];
  projects: Project[];
  users: User[];
  roles: Role[];
  assignments: Assignment[];
  /** Files written before the catalog was stored lack these: loading fills them in. */
  services: Service[];
  endpoints: Endpoint[];
  regions: Region[];
}

export interface Bootstrap {
  data: IdentityData;
  /** Passwords of the accounts created now (only on first start): user name → password. */
  created: Record<string, string>;
}

const hex = () => randomUUID().replaceAll('-', '');

export async function defaultIdentity(passwords: Record<string, string> = {}): Promise<Bootstrap> {
  const roles = ['admin', 'member', 'reader', 'service'].map((name) => ({ id: hex(), name }));
  const role = (n: string) => roles.find((r) => r.name === n)!.id;
  const domain: Domain = { id: 'default', name: 'Default', enabled: true, description: 'The default domain' };
  const project = (name: string, description: string): Project => ({ id: hex(), name, domain_id: 'default', enabled: true, description });
  const admin = project('admin', 'Bootstrap project for initializing the cloud.');
  const demo = project('demo', 'Demo Project');
  const service = project('service', 'Service Project');
  const created: Record<string, string> = {};
  const user = async (name: string, defaultProject: Project): Promise<User> => {
    created[name] = passwords[name] ?? generatePassword();
    return { id: hex(), name, domain_id: 'default', enabled: true, password_hash: await hashPassword(created[name]), default_project_id: defaultProject.id };
  };
  const adminUser = await user('admin', admin);
  const demoUser = await user('demo', demo);
  return {
    created,
    data: {
      version: 1,
      domains: [domain],
      projects: [admin, demo, service],
      users: [adminUser, demoUser],
      roles,
      services: [],
      endpoints: [],
      regions: [{ id: 'RegionOne', description: '', parent_region_id: null }],
      assignments: [
        // keystone-manage bootstrap: admin on the admin project and on the system; member/reader implied.
        ...['admin', 'member', 'reader'].map((r) => ({ user_id: adminUser.id, role_id: role(r), project_id: admin.id })),
        ...['admin', 'member', 'reader'].map((r) => ({ user_id: adminUser.id, role_id: role(r), system: 'all' as const })),
        ...['member', 'reader'].map((r) => ({ user_id: demoUser.id, role_id: role(r), project_id: demo.id })),
      ],
    },
  };
}

export class IdentityStoreError extends Error {}

/** Reads identity.json; creates it (and says which passwords it generated) when absent. */
export async function loadOrCreateIdentity(file: string, passwords: Record<string, string> = {}): Promise<Bootstrap> {
  if (existsSync(file)) {
    let data: IdentityData;
    try {
      data = JSON.parse(readFileSync(file, 'utf8')) as IdentityData;
    } catch (e) {
      throw new IdentityStoreError(`${file}: not valid JSON (${(e as Error).message}); fix it or move it away to start with fresh admin/demo accounts`);
    }
    if (data.version !== 1 || !Array.isArray(data.users) || !Array.isArray(data.projects)) {
      throw new IdentityStoreError(`${file}: not a Muon identity file (version 1 with domains, projects, users, roles, assignments)`);
    }
    data.services ??= [];
    data.endpoints ??= [];
    data.regions ??= [{ id: 'RegionOne', description: '', parent_region_id: null }];
    return { data, created: {} };
  }
  const boot = await defaultIdentity(passwords);
  writeSecret(file, JSON.stringify(boot.data, null, 2) + '\n');
  return boot;
}

/** Writes a file only its owner can read, atomically. */
export function writeSecret(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, file);
}
