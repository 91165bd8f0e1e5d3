import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FlotillaError } from '@flotilla/kit';
import { Admission, compileAdmission, deadlineStep, type Inbound, ORDER, Refusal, type StepFactory } from '@flotilla/pipeline';

const inbound = (headers: Record<string, string> = {}): Inbound => ({
  method: 'GET',
  url: '/things?x=1',
  path: '/things',
  headers,
  clientAddress: '127.0.0.1',
  response: { on: () => undefined } as unknown as Inbound['response'],
});

/** A step that logs its name; `answer` decides what it returns. */
function logged(
  order: StepFactory['order'],
  name: string,
  log: string[],
  answer: () => Refusal | undefined | Promise<Refusal | undefined> = () => undefined,
  needsIdentity = false,
): StepFactory {
  return {
    order,
    needsIdentity: () => needsIdentity,
    compile: () => () => {
      log.push(name);
      return answer();
    },
  };
}

describe('compileAdmission', () => {
  test('steps run in the documented order, whatever order they were given in', () => {
    const log: string[] = [];
    const admit = compileAdmission({ name: '/things' }, [
      logged(ORDER.rateLimit, 'rate-limit', log),
      logged(ORDER.shed, 'shed', log),
      logged(ORDER.authenticate, 'authenticate', log),
    ]);
    const result = admit(inbound());
    assert.ok(result instanceof Admission, 'all synchronous: answered without a promise');
    assert.deepEqual(log, ['shed', 'authenticate', 'rate-limit']);
  });

  test('a refusal stops the steps after it', () => {
    const log: string[] = [];
    const refusal = new Refusal(new FlotillaError('overloaded', 'busy'), ['retry-after', '1']);
    const result = compileAdmission({ name: '/things' }, [
      logged(ORDER.shed, 'shed', log, () => refusal),
      logged(ORDER.rateLimit, 'rate-limit', log),
    ])(inbound());
    assert.equal(result, refusal);
    assert.deepEqual(log, ['shed']);
  });

  test('a step that needs I/O makes only the rest asynchronous', async () => {
    const log: string[] = [];
    const result = compileAdmission({ name: '/things' }, [
      logged(ORDER.shed, 'shed', log),
      logged(ORDER.authenticate, 'authenticate', log, () => Promise.resolve(undefined)),
      logged(ORDER.rateLimit, 'rate-limit', log),
    ])(inbound());
    assert.ok(result instanceof Promise);
    assert.deepEqual(log, ['shed', 'authenticate']);
    assert.ok((await result) instanceof Admission);
    assert.deepEqual(log, ['shed', 'authenticate', 'rate-limit']);
  });

  test('a later step that needs the identity is told to the earlier ones when the route compiles', () => {
    let wanted: boolean | undefined;
    const auth: StepFactory = {
      order: ORDER.authenticate,
      compile: (_route, context) => {
        wanted = context.identityWanted;
        return undefined;
      },
    };
    compileAdmission({ name: '/mine' }, [auth, logged(ORDER.rateLimit, 'limit', [], undefined, true)]);
    assert.equal(wanted, true);
    compileAdmission({ name: '/mine' }, [auth, logged(ORDER.rateLimit, 'limit', [], undefined, false)]);
    assert.equal(wanted, false);
  });

  test('the deadline step reads the client timeout capped by the route, and refuses a malformed one with 400', () => {
    const admit = compileAdmission({ name: '/things', timeoutMs: 500 }, [deadlineStep]);
    const capped = admit(inbound({ 'x-request-timeout': '5000' }));
    assert.ok(capped instanceof Admission);
    assert.ok(capped.deadline.remaining() <= 500);
    const own = admit(inbound({ 'x-request-timeout': '100' }));
    assert.ok(own instanceof Admission && own.deadline.remaining() <= 100);
    const refused = admit(inbound({ 'x-request-timeout': 'soon' }));
    assert.ok(refused instanceof Refusal);
    assert.equal(refused.error.code, 'bad-request');
  });
});
