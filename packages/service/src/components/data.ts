/** The service's database: opened, migrated, instrumented; closed after the servers. */
import type { TObject } from 'typebox';
import { createDatabase, databaseTelemetry, migrate, redactDsn } from '@flotilla/data';
import type { BaseProperties } from '../config-schema.ts';
import { type Component, component } from '../lifecycle.ts';
import type { DatabaseSettings } from '../types.ts';
import { type Assembly, made } from './assembly.ts';

export function databaseComponent<S extends TObject<BaseProperties>, Deps>(
  a: Assembly<S, Deps>,
  migrations: NonNullable<Assembly<S, Deps>['definition']['database']>['migrations'],
): Component {
  return component('database', {
    start: async () => {
      const settings = databaseSettings(a.definition.name, a.config);
      const telemetry = databaseTelemetry(made(a.telemetry, 'telemetry'), settings.dsn);
      const database = createDatabase({
        dsn: settings.dsn,
        pool: settings.pool,
        sqlite: { busyTimeoutMs: settings.sqliteBusyTimeoutMs },
        log: telemetry.log,
      });
      a.database = database;
      telemetry.watchPool(() => database.poolStats());
      const { applied } = await migrate(database, migrations);
      a.logger.info(
        {
          event: { action: 'migrated' },
          database: { dsn: redactDsn(settings.dsn), dialect: database.dialect },
          migrations: applied,
        },
        applied.length > 0 ? `applied ${applied.length} migration(s)` : 'database schema up to date',
      );
    },
    stop: () => a.database?.close(),
  });
}

export function databaseSettings(service: string, config: unknown): DatabaseSettings {
  const settings = (config as { database?: DatabaseSettings }).database;
  if (settings === undefined) throw new Error(`${service} declares a database but its config schema has no "database" key`);
  return settings;
}
