import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dsnFor, parseServerDsn, serverAddress } from '../../../src/database/dsn.ts';
import { ProvisioningError } from '../../../src/database/errors.ts';

test('a PostgreSQL administrator DSN: parts decoded, default port and database, sslmode kept', () => {
  const server = parseServerDsn('postgresql', 'postgresql://ad%40min:p%2Fss@db.example.com/postgres?sslmode=require&application_name=x');
  assert.deepEqual(server, {
    engine: 'postgresql',
    host: 'db.example.com',
    port: 5432,
    user: 'ad@min',
    password: 'p/ss',
    database: 'postgres',
    sslmode: 'require',
  });
  assert.equal(serverAddress(server), 'db.example.com:5432');
  assert.equal(parseServerDsn('postgresql', 'postgres://a:b@h:6543').database, undefined);
});

test('a MySQL administrator DSN: mysql:// or mariadb://, port 3306, no parameters', () => {
  const server = parseServerDsn('mysql', 'mariadb://root:secret@[::1]/');
  assert.equal(server.port, 3306);
  assert.equal(server.host, '[::1]');
  assert.equal(server.database, undefined);
  assert.throws(() => parseServerDsn('mysql', 'mysql://root:secret@db:3306/x?ssl=true'), /takes no query parameters/);
});

test('a bad DSN says what is wrong with it, never what it is', () => {
  const cases: [Parameters<typeof parseServerDsn>[0], string, RegExp][] = [
    ['postgresql', 'mysql://root:hunter2@db/x', /must start with postgres:\/\/ or postgresql:\/\/ for engine postgresql/],
    ['mysql', 'postgres://root:hunter2@db/x', /must start with mysql:\/\/ or mariadb:\/\//],
    ['postgresql', 'postgres://root:hun ter2@db:99999/x', /is not a valid URL/],
    ['postgresql', 'postgres://:hunter2@db/x', /needs a user/],
    ['postgresql', 'postgres://root:hunter2@db/a/b', /more than one database/],
    ['postgresql', 'hunter2', /must start with/],
  ];
  for (const [engine, dsn, message] of cases) {
    assert.throws(
      () => parseServerDsn(engine, dsn),
      (error: unknown) =>
        error instanceof ProvisioningError &&
        error.reason === 'InvalidServerDSN' &&
        message.test(error.message) &&
        !error.message.includes('hunter2') &&
        !JSON.stringify(error).includes('hunter2'),
    );
  }
});

test('the application DSN: same server, its own user and database, password encoded, only sslmode carried', () => {
  const pgServer = parseServerDsn('postgresql', 'postgres://admin:x@db:5433/postgres?sslmode=verify-full&sslcert=/etc/admin.crt');
  assert.equal(dsnFor(pgServer, 'app', 'a/b@c', 'app'), 'postgres://app:a%2Fb%40c@db:5433/app?sslmode=verify-full');
  const myServer = parseServerDsn('mysql', 'mysql://root:x@db/flotilla');
  assert.equal(dsnFor(myServer, 'app', 'pw', 'app'), 'mysql://app:pw@db:3306/app');
});
