// The policy engine's public surface.
export { createEnforcer, type Enforcer, type EnforcerOptions, type EnforceOptions, type Explicit } from './enforcer.ts';
export { createRequestContext, isAdminRoles, policyCredentials, type ContextInit, type RequestContext } from './context.ts';
export { loadPolicyFile, loadPolicyFileSync, parsePolicyText, PolicyFileError, type PolicyOverrides } from './policy-file.ts';
export { parseRule } from './parser.ts';
export { render, evaluate, type Check, type Creds, type RuleSet, type Target } from './checks.ts';
export { DEFAULT_RULES, type RuleDefault } from './defaults.ts';
