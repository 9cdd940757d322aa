// Kysely's MySQL dialect with every pooled connection's session in READ COMMITTED, the level
// src/db/transaction.ts asks for (see why there). Kysely sends `SET TRANSACTION ISOLATION
// LEVEL ...` before every `BEGIN` that names a level: one round trip more per transaction,
// a tenth of a sequential port create's. The session already has that level, so the driver
// sends only `BEGIN` then; any other level or an access mode still goes out as asked.
import { CompiledQuery, MysqlDialect, MysqlDriver, type DatabaseConnection, type Driver, type MysqlDialectConfig, type TransactionSettings } from 'kysely';

const SESSION_LEVEL = 'read committed';

class ReadCommittedMysqlDriver extends MysqlDriver {
  override async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    if (settings.isolationLevel === SESSION_LEVEL && !settings.accessMode) {
      await connection.executeQuery(CompiledQuery.raw('begin'));
      return;
    }
    await super.beginTransaction(connection, settings);
  }
}

export class ReadCommittedMysqlDialect extends MysqlDialect {
  readonly #config: MysqlDialectConfig;

  constructor(config: MysqlDialectConfig) {
    const onCreateConnection = config.onCreateConnection;
    const withSession: MysqlDialectConfig = {
      ...config,
      onCreateConnection: async (conn) => {
        await conn.executeQuery(CompiledQuery.raw(`set session transaction isolation level ${SESSION_LEVEL}`));
        await onCreateConnection?.(conn);
      },
    };
    super(withSession);
    this.#config = withSession;
  }

  override createDriver(): Driver {
    return new ReadCommittedMysqlDriver(this.#config);
  }
}
