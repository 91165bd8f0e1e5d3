import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ValidationError } from '@flotilla/kit';
import { parseDsn, redactDsn } from '@flotilla/data';

describe('parseDsn', () => {
  it('resolves sqlite paths against the working directory', () => {
    assert.deepEqual(parseDsn('sqlite:.flotilla/users.db', '/srv/app'), {
      dialect: 'sqlite',
      filename: '/srv/app/.flotilla/users.db',
    });
    assert.deepEqual(parseDsn('sqlite:/var/lib/x.db', '/srv/app'), { dialect: 'sqlite', filename: '/var/lib/x.db' });
    assert.deepEqual(parseDsn('sqlite:///var/lib/x.db', '/srv/app'), { dialect: 'sqlite', filename: '/var/lib/x.db' });
    assert.deepEqual(parseDsn('sqlite::memory:'), { dialect: 'sqlite', filename: ':memory:' });
    assert.equal(parseDsn('sqlite:data.db').dialect, 'sqlite');
    assert.equal((parseDsn('sqlite:data.db') as { filename: string }).filename, path.resolve('data.db'));
  });

  it('accepts both postgres schemes', () => {
    assert.deepEqual(parseDsn('postgresql://u:p@db:5433/app?sslmode=disable'), {
      dialect: 'postgres',
      connectionString: 'postgres://u:p@db:5433/app?sslmode=disable',
    });
    assert.equal(parseDsn('postgres://u@db/app').dialect, 'postgres');
  });

  it('splits mysql and mariadb URLs, decoding the password', () => {
    assert.deepEqual(parseDsn('mysql://app:p%40ss%3Aword@127.0.0.1:3307/orders'), {
      dialect: 'mysql',
      host: '127.0.0.1',
      port: 3307,
      user: 'app',
      password: 'p@ss:word',
      database: 'orders',
    });
    assert.deepEqual(parseDsn('mariadb://app@db/orders'), {
      dialect: 'mysql',
      host: 'db',
      port: 3306,
      user: 'app',
      password: '',
      database: 'orders',
    });
  });

  it('rejects anything else with a validation error that hides the password', () => {
    for (const dsn of [
      '',
      'oracle://u:hunter2@db/x',
      'sqlite:',
      'mysql://u:hunter2@db/',
      'mysql://u:hunter2@db/a?ssl=1',
      'postgres://u:hunter2@/x',
      'users.db',
    ]) {
      assert.throws(
        () => parseDsn(dsn),
        (error: unknown) => {
          assert.ok(error instanceof ValidationError, `${dsn}: ${String(error)}`);
          assert.equal(error.code, 'validation');
          assert.equal(error.violations[0]?.field, 'dsn');
          assert.ok(!error.message.includes('hunter2'), error.message);
          return true;
        },
      );
    }
  });
});

describe('redactDsn', () => {
  it('masks the password and keeps everything else', () => {
    assert.equal(redactDsn('postgres://app:s3cret@db:5432/users'), 'postgres://app:***@db:5432/users');
    assert.equal(redactDsn('mysql://app:p%40ss@db/orders'), 'mysql://app:***@db/orders');
    assert.equal(redactDsn('postgres://app@db/users'), 'postgres://app@db/users');
    assert.equal(
      redactDsn('postgres://db/users?user=a&password=s3cret&sslmode=require'),
      'postgres://db/users?user=a&password=***&sslmode=require',
    );
    assert.equal(redactDsn('sqlite:.flotilla/users.db'), 'sqlite:.flotilla/users.db');
  });

  it('masks passwords that are not valid URL text', () => {
    const redacted = redactDsn('mysql://app:we@k/pa:ss@db:3306/orders');
    assert.equal(redacted, 'mysql://app:***@db:3306/orders');
    assert.ok(!redactDsn('postgres://app:a#b@db/x').includes('a#b'));
  });
});
