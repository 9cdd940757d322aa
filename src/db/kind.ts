export type DbKind = 'sqlite' | 'mysql' | 'postgres';
