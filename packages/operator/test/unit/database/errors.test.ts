import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromDriverError, ProvisioningError } from '../../../src/database/errors.ts';

const where = 'the postgresql server at db:5432';
const driverError = (code: string, message: string) =>
  Object.assign(new Error(message), { code, sql: "ALTER USER 'a' IDENTIFIED BY 'hunter2'" });

test('driver errors become reasons: unreachable, refused credentials, missing privileges, the rest', () => {
  assert.equal(fromDriverError(driverError('ECONNREFUSED', 'connect ECONNREFUSED'), where, 'connecting').reason, 'ServerUnreachable');
  assert.equal(
    fromDriverError(new Error('Connection terminated due to connection timeout'), where, 'connecting').reason,
    'ServerUnreachable',
  );
  assert.equal(
    fromDriverError(driverError('28P01', 'password authentication failed'), where, 'connecting').reason,
    'ServerAuthenticationFailed',
  );
  assert.equal(
    fromDriverError(driverError('ER_ACCESS_DENIED_ERROR', 'Access denied'), where, 'connecting').reason,
    'ServerAuthenticationFailed',
  );
  const denied = fromDriverError(driverError('42501', 'permission denied to create database'), where, 'creating database "x"');
  assert.equal(denied.reason, 'InsufficientPrivileges');
  assert.equal(
    denied.message,
    'creating database "x" failed on the postgresql server at db:5432 (42501): permission denied to create database',
  );
  const other = new ProvisioningError('Busy', 'held');
  assert.equal(fromDriverError(other, where, 'x'), other, 'already translated');
});

test('a statement holding a password is never quoted, nor what the driver kept of it', () => {
  const error = fromDriverError(driverError('42601', "syntax error at or near 'hunter2'"), where, 'setting the password', false);
  assert.equal(error.message, 'setting the password failed on the postgresql server at db:5432 (42601)');
  assert.doesNotMatch(JSON.stringify({ ...error, message: error.message }), /hunter2/);
});
