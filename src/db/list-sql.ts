// Turns a ListQuery into WHERE / ORDER BY / LIMIT on a Kysely select, so
// filtering, sorting and paging happen in the database, never in memory.
import { sql, type Expression, type SqlBool, type SelectQueryBuilder, type ExpressionBuilder } from 'kysely';
import type { ListQuery, SortSpec, TagFilters } from './list-query.ts';

export type ColumnKind = 'string' | 'bool' | 'int';
/** API attribute → SQL column (qualified, e.g. "n.name") and how its values are stored. */
export type ColumnMap = Record<string, { column: string; kind: ColumnKind }>;

const toDb = (kind: ColumnKind, v: unknown): unknown =>
  kind === 'bool' ? (v === true || v === 'true' || v === 'True' ? 1 : 0) : kind === 'int' ? Number(v) : v;

export function whereFilters<DB, TB extends keyof DB, O>(
  qb: SelectQueryBuilder<DB, TB, O>, filters: Map<string, unknown[]>, columns: ColumnMap,
): SelectQueryBuilder<DB, TB, O> {
  for (const [attr, values] of filters) {
    const col = columns[attr];
    if (!col) continue; // handled by the resource itself
    let vals = values.map((v) => toDb(col.kind, v));
    // A value that is no integer (or too large for one) can match no row of an integer column,
    // and the databases reject it rather than say so.
    if (col.kind === 'int') vals = vals.filter((v) => Number.isSafeInteger(v));
    if (vals.length === 0) { qb = qb.where(sql<SqlBool>`1 = 0`); continue; }
    qb = vals.length === 1
      ? qb.where(sql.ref(col.column), '=', vals[0] as any)
      : qb.where(sql.ref(col.column), 'in', vals as any);
  }
  return qb;
}

export function whereTags<DB, TB extends keyof DB, O>(
  qb: SelectQueryBuilder<DB, TB, O>, idColumn: string, tags: TagFilters,
): SelectQueryBuilder<DB, TB, O> {
  const has = (tag: string) => sql<SqlBool>`exists (select 1 from tags tg where tg.resource_id = ${sql.ref(idColumn)} and tg.tag = ${tag})`;
  const hasAny = (list: string[]) =>
    sql<SqlBool>`exists (select 1 from tags tg where tg.resource_id = ${sql.ref(idColumn)} and tg.tag in (${sql.join(list)}))`;
  for (const t of tags.all) qb = qb.where(has(t));
  if (tags.any.length) qb = qb.where(hasAny(tags.any));
  if (tags.notAll.length) qb = qb.where(sql<SqlBool>`not (${sql.join(tags.notAll.map(has), sql` and `)})`);
  if (tags.notAny.length) qb = qb.where(sql<SqlBool>`not ${hasAny(tags.notAny)}`);
  return qb;
}

/** ORDER BY the requested keys then id; with a marker row, keyset-paginate after it. */
export function orderAndPage<DB, TB extends keyof DB, O>(
  qb: SelectQueryBuilder<DB, TB, O>, q: ListQuery, columns: ColumnMap, idColumn: string,
  markerRow: Record<string, unknown> | null,
): SelectQueryBuilder<DB, TB, O> {
  const sorts: SortSpec[] = [...q.sorts.filter((s) => s.key !== 'id'), { key: 'id', dir: q.sorts.find((s) => s.key === 'id')?.dir ?? 'asc' }];
  const eff = sorts.map((s) => ({
    col: s.key === 'id' ? idColumn : columns[s.key]?.column ?? idColumn,
    attr: s.key,
    dir: (q.pageReverse ? (s.dir === 'asc' ? 'desc' : 'asc') : s.dir) as 'asc' | 'desc',
  }));
  if (markerRow) {
    // (k1 > v1) or (k1 = v1 and k2 > v2) or ...
    qb = qb.where((eb: ExpressionBuilder<DB, TB>) => {
      const ors: Expression<SqlBool>[] = [];
      for (let i = 0; i < eff.length; i++) {
        const ands: Expression<SqlBool>[] = [];
        for (let j = 0; j < i; j++) ands.push(sql<SqlBool>`${sql.ref(eff[j].col)} = ${markerRow[eff[j].attr] as any}`);
        const op = eff[i].dir === 'asc' ? sql.raw('>') : sql.raw('<');
        ands.push(sql<SqlBool>`${sql.ref(eff[i].col)} ${op} ${markerRow[eff[i].attr] as any}`);
        ors.push(eb.and(ands));
      }
      return eb.or(ors);
    });
  }
  for (const e of eff) qb = qb.orderBy(sql.ref(e.col), e.dir);
  if (q.limit !== null) qb = qb.limit(q.limit);
  return qb;
}
