/**
 * The console in a real browser (Debian's Chromium, headless) against the
 * whole system started by `flotilla dev`: sign-in, topology, governance and
 * a fault set by the CLI, the config centre (validation, apply, history,
 * diff, rollback, export and import), live traffic, a trace's waterfall, the
 * API explorer and log levels. Each page is saved as a screenshot; the
 * folder is printed (kept when a test fails, and copied to
 * $FLOTILLA_CONSOLE_SHOTS_DIR when set).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { eventually, tempDir, type TempDir } from '@flotilla/testing';
import { parse, stringify } from 'yaml';
import { type ConsoleBrowser, copyShots, openBrowser } from './support/browser.ts';
import { DEV_ADMIN_KEY, type System, startSystem } from './support/system.ts';

interface ConfigExport {
  format: string;
  namespace: string;
  services: Record<string, { document: unknown; version: number }>;
}

const CENTRE = '/admin/config-centre';

describe('the console', { timeout: 15 * 60_000 }, () => {
  let system: System;
  let browser: ConsoleBrowser;
  let shots: TempDir;
  let failed = false;

  const page = () => browser.page;
  const open = async (title: string): Promise<void> => {
    await page().getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: title, exact: true }).click();
    await page().getByRole('heading', { level: 2, name: title, exact: true }).waitFor();
  };
  const rateLimitPolicy = async (): Promise<string> => {
    const response = await fetch(`${system.gateway}/api/hello/console`);
    await response.arrayBuffer();
    return response.headers.get('ratelimit-policy') ?? '';
  };

  before(async () => {
    shots = tempDir('console-shots');
    process.stderr.write(`[console] screenshots: ${shots.path}\n`);
    system = await startSystem();
    browser = await openBrowser(shots.path);
  });

  after(async () => {
    await browser?.close();
    await system?.stop();
    const copy = process.env.FLOTILLA_CONSOLE_SHOTS_DIR;
    if (copy !== undefined && copy !== '') {
      copyShots(shots.path, copy);
      process.stderr.write(`[console] screenshots copied to ${copy}\n`);
    }
    if (failed) process.stderr.write(`[console] a test failed: screenshots kept in ${shots.path}\n`);
    else shots.remove();
  });

  const step = (name: string, body: () => Promise<void>) =>
    test(name, async () => {
      try {
        await body();
      } catch (error) {
        failed = true;
        await browser?.shot(`failed-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}`).catch(() => undefined);
        throw error;
      }
    });

  step('sign-in: a wrong key is refused, the dev admin key enters; no credential in the URL or in storage', async () => {
    await page().goto(`${system.gateway}/console/`);
    await page().getByRole('heading', { name: 'Sign in' }).waitFor();
    await browser.shot('01-login');

    await page().getByLabel('API key or JWT').fill('flk_this_key_does_not_exist');
    await page().getByRole('button', { name: 'Sign in' }).click();
    await page().getByRole('alert').filter({ hasText: 'refused' }).waitFor();
    assert.deepEqual(
      (await browser.context.cookies()).filter((c) => c.name === 'flotilla_console'),
      [],
      'no session cookie after a refusal',
    );

    await page().getByLabel('API key or JWT').fill(DEV_ADMIN_KEY);
    await page().getByRole('button', { name: 'Sign in' }).click();
    await page().getByRole('heading', { level: 2, name: 'Topology' }).waitFor();
    assert.ok(!page().url().includes(DEV_ADMIN_KEY), page().url());
    const stored = await page().evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    assert.equal(stored, '{}{}');
    const cookie = (await browser.context.cookies()).find((c) => c.name === 'flotilla_console');
    assert.ok(cookie?.httpOnly === true && cookie.sameSite === 'Strict', JSON.stringify(cookie));
    assert.ok(!cookie.value.includes(DEV_ADMIN_KEY));
    await page().getByText('Signed in as').waitFor();
  });

  step('topology: the gateway and the three services, with their instances', async () => {
    await open('Topology');
    const instances = page().getByRole('table');
    for (const name of ['gateway', 'users', 'orders', 'greeter']) {
      await instances.getByRole('rowheader', { name, exact: true }).first().waitFor({ timeout: 30_000 });
    }
    const graph = (await page().getByRole('img').first().getAttribute('aria-label')) ?? '';
    for (const name of ['gateway', 'users', 'orders', 'greeter']) assert.match(graph, new RegExp(`\\b${name}\\b`));
    await browser.shot('02-topology');
  });

  step('governance: a fault set with the CLI shows, and its Clear button removes it from the config centre', async () => {
    const current = await system.cli(['config', 'get', '--ns', 'dev', '--service', 'gateway']);
    assert.equal(current.code, 0, current.stderr);
    const document = parse(current.stdout) as Record<string, Record<string, unknown>>;
    const resilience = (document.resilience ?? {}) as { upstreams?: Record<string, unknown> };
    resilience.upstreams = { ...resilience.upstreams, greeter: { fault: { delay: { ms: 5, percent: 100 } } } };
    document.resilience = resilience as Record<string, unknown>;
    const set = await system.cli(
      ['config', 'set', '--ns', 'dev', '--service', 'gateway', '-m', 'slow greeter down a little'],
      stringify(document),
    );
    assert.equal(set.code, 0, set.stderr);

    await open('Governance');
    const clear = page().getByRole('button', { name: /^Clear fault .*greeter.*delay/ });
    await clear.waitFor({ timeout: 30_000 });
    await page().getByRole('heading', { name: 'Circuit breakers' }).waitFor();
    await browser.shot('03-governance-fault');

    await clear.click();
    await page().getByText('No fault is configured.').waitFor({ timeout: 30_000 });
    const cleared = await system.cli(['config', 'get', '--ns', 'dev', '--service', 'gateway']);
    const upstreams = (parse(cleared.stdout) as { resilience?: { upstreams?: Record<string, { fault?: unknown }> } }).resilience?.upstreams;
    assert.equal(upstreams?.greeter?.fault, undefined, cleared.stdout);
    await browser.shot('04-governance-cleared');
  });

  let beforeVersion: number;
  let appliedVersion: number;

  step('config centre: an invalid value shows its schema error, and nothing changes', async () => {
    await open('Config centre');
    await page().getByText('Live version').waitFor();
    assert.equal(await page().getByLabel('Namespace', { exact: true }).inputValue(), 'dev');
    await eventually(async () => (await page().getByLabel('Service', { exact: true }).inputValue()) === 'gateway', {
      message: 'the gateway picked',
    });
    beforeVersion = Number(await page().getByTestId('live-version').textContent());
    assert.ok(beforeVersion >= 1);

    const editor = page().getByLabel('Document (JSON)');
    const document = JSON.parse(await editor.inputValue()) as { rateLimit: { policies: { api: { limit: number } } } };
    assert.equal(document.rateLimit.policies.api.limit, 1000);
    document.rateLimit.policies.api.limit = 0;
    await editor.fill(JSON.stringify(document, null, 2));
    await page().getByRole('button', { name: 'Validate' }).click();
    const errors = page().getByRole('list', { name: 'Schema errors' });
    await errors.waitFor();
    assert.match((await errors.textContent()) ?? '', /\/rateLimit\/policies\/api\/limit/);
    assert.equal(await page().getByRole('button', { name: 'Apply' }).isDisabled(), true);
    await browser.shot('05-config-invalid');

    const head = await system.admin<{ version: number; document: typeof document }>(`${CENTRE}/dev/gateway`);
    assert.equal(head.version, beforeVersion);
    assert.equal(head.document.rateLimit.policies.api.limit, 1000);
  });

  step('config centre: a valid edit is applied with its message, shows in the history and takes effect', async () => {
    const editor = page().getByLabel('Document (JSON)');
    const document = JSON.parse(await editor.inputValue()) as { rateLimit: { policies: { api: { limit: number } } } };
    document.rateLimit.policies.api.limit = 7;
    await editor.fill(JSON.stringify(document, null, 2));
    await page().getByLabel('Change message').fill('tighter api limit, from the console');
    await page().getByRole('button', { name: 'Validate' }).click();
    await page().getByText('Valid: it can be applied.').waitFor();
    await page().getByRole('button', { name: 'Apply' }).click();
    const status = await page()
      .getByText(/Applied as version \d+/)
      .textContent();
    appliedVersion = Number(/version (\d+)/.exec(status ?? '')?.[1]);
    assert.equal(appliedVersion, beforeVersion + 1);

    const row = page().getByRole('table', { name: 'Versions' }).getByRole('row').filter({ hasText: 'tighter api limit, from the console' });
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /dev-admin/);
    await eventually(async () => /q=7\b/.test(await rateLimitPolicy()), { timeoutMs: 20_000, message: 'the gateway to apply limit 7' });
    await browser.shot('06-config-applied');
  });

  step('config centre: a diff between two versions, then a rollback', async () => {
    await page().getByLabel('From version').selectOption(String(beforeVersion));
    await page().getByLabel('To version', { exact: true }).first().selectOption(String(appliedVersion));
    await page().getByRole('button', { name: 'Show diff' }).click();
    const diff = page().getByRole('figure');
    await diff.waitFor();
    const removed = await diff.locator('.diff-del').allTextContents();
    const added = await diff.locator('.diff-add').allTextContents();
    assert.ok(
      removed.some((l) => l.includes('1000')),
      removed.join(''),
    );
    assert.ok(
      added.some((l) => /\b7\b/.test(l)),
      added.join(''),
    );
    await browser.shot('07-config-diff');

    await page().locator('#rollback-version').selectOption(String(beforeVersion));
    await page().getByLabel('Message', { exact: true }).fill('back to 1000');
    await page().getByRole('button', { name: 'Roll back' }).click();
    await page()
      .getByText(/Rolled back: version \d+/)
      .waitFor();
    await eventually(async () => Number(await page().getByTestId('live-version').textContent()) === appliedVersion + 1, {
      message: 'the new live version',
    });
    await page().getByRole('table', { name: 'Versions' }).getByRole('row').filter({ hasText: 'back to 1000' }).waitFor();
    await eventually(async () => /q=1000\b/.test(await rateLimitPolicy()), { timeoutMs: 20_000, message: 'the gateway back at 1000' });
    await browser.shot('08-config-rolled-back');
  });

  step('config centre: export, then import into an empty namespace, gives identical documents', async () => {
    const [download] = await Promise.all([
      page().waitForEvent('download'),
      page().getByRole('link', { name: 'Export namespace dev' }).click(),
    ]);
    const file = await download.path();
    const exported = JSON.parse(readFileSync(file, 'utf8')) as ConfigExport;
    assert.equal(exported.format, 'flotilla-config-export/v1');
    assert.ok(Object.keys(exported.services).includes('gateway'));

    const target = `console-${randomBytes(3).toString('hex')}`;
    await page().getByLabel('Import into namespace').fill(target);
    await page().getByLabel('Export file').setInputFiles(file);
    await page().getByRole('button', { name: 'Import' }).click();
    await page().getByText(`Imported into ${target}`).waitFor();

    const copy = await system.admin<ConfigExport>(`/admin/config-export/${target}`);
    assert.deepEqual(Object.keys(copy.services).sort(), Object.keys(exported.services).sort());
    for (const [service, entry] of Object.entries(exported.services))
      assert.deepEqual(copy.services[service]?.document, entry.document, service);
    await browser.shot('09-config-imported');
  });

  step('traffic: the numbers move while load runs', async () => {
    await open('Traffic');
    const rate = page().locator('tr[data-key="/api/users/**"] td[data-metric="rate"] .value');
    const load = async (): Promise<void> => {
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let i = 0; i < 10; i++) await (await fetch(`${system.gateway}/api/users`)).arrayBuffer();
        }),
      );
    };
    await eventually(
      async () => {
        await load();
        if ((await rate.count()) === 0) return false;
        return Number.parseFloat((await rate.textContent()) ?? '') > 0;
      },
      { timeoutMs: 90_000, intervalMs: 200, message: 'a rate above 0 for /api/users/**' },
    );
    await browser.shot('10-traffic');
  });

  step('traces: the waterfall of one request shows gateway, users and database spans', async () => {
    // The traffic step may have used up the rate limit for a moment: a 429 is tried again.
    const answered = (path: string, headers: Record<string, string> = {}): Promise<Response> =>
      eventually(
        async () => {
          const response = await fetch(`${system.gateway}${path}`, { headers });
          if (response.status === 429) await response.arrayBuffer();
          return response.status === 429 ? undefined : response;
        },
        { timeoutMs: 30_000, intervalMs: 250, message: `GET ${path} past the rate limit` },
      );
    const users = (await (await answered('/api/users?limit=1')).json()) as { items?: Array<{ id: string }> } | Array<{ id: string }>;
    const id = (Array.isArray(users) ? users : (users.items ?? []))[0]?.id;
    assert.ok(id !== undefined, JSON.stringify(users));
    const traceId = randomBytes(16).toString('hex');
    const answer = await answered(`/api/users/${id}`, { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` });
    assert.equal(answer.status, 200);
    await answer.arrayBuffer();
    // The services hand their spans over in batches: wait until all three kinds are there.
    await eventually(
      async () => {
        const trace = await system.admin<{ spans: Array<{ service: string; attributes?: Record<string, unknown> }> }>(
          `/admin/traces/${traceId}`,
        );
        const services = new Set(trace.spans.map((s) => s.service));
        return services.has('gateway') && services.has('users') && trace.spans.some((s) => s.attributes?.['db.system.name'] !== undefined);
      },
      { timeoutMs: 30_000, intervalMs: 250, message: 'the spans of the gateway, users and its database' },
    );

    await open('Traces');
    const row = page()
      .getByRole('row')
      .filter({ hasText: traceId.slice(0, 12) });
    await row.waitFor({ timeout: 30_000 });
    await row.getByRole('button').click();
    const spans = page().getByRole('list', { name: 'Spans' });
    await spans.waitFor();
    assert.ok((await spans.locator('li[data-service="gateway"]').count()) >= 1, 'a gateway span');
    assert.ok((await spans.locator('li[data-service="users"]').count()) >= 1, 'a users span');
    assert.ok((await spans.locator('li[data-database]').count()) >= 1, 'a database span');
    await browser.shot('11-trace-waterfall');
  });

  step('API explorer: operations by tag, and "try it" sends through the gateway', async () => {
    await open('API explorer');
    const operation = page()
      .locator('details')
      .filter({ has: page().locator('summary', { hasText: '/api/hello/{name}' }) })
      .first();
    await operation.waitFor({ timeout: 30_000 });
    await operation.locator('summary').click();
    await operation.getByLabel(/^name/).fill('console');
    await operation.getByRole('button', { name: 'Send' }).click();
    await operation.getByRole('status').filter({ hasText: '200' }).waitFor();
    assert.match((await operation.locator('pre').textContent()) ?? '', /console/);
    await page().getByRole('heading', { name: 'gRPC services' }).waitFor();
    await browser.shot('12-api-explorer');
  });

  step('logs: every service with its level; one changed from the page is what the CLI then reads', async () => {
    await open('Logs');
    for (const name of ['gateway', 'users', 'orders', 'greeter'])
      await page().getByRole('heading', { level: 4, name, exact: true }).waitFor({ timeout: 30_000 });
    await page().getByLabel('New level for every orders instance').selectOption('debug');
    await page().getByRole('form', { name: 'orders' }).getByRole('button', { name: 'Set level' }).click();
    await page().getByRole('status').filter({ hasText: 'orders now logs at debug' }).waitFor();
    const read = await system.cli(['log-level', 'orders', '--url', system.gateway, '--json']);
    assert.equal(read.code, 0, read.stderr);
    const levels = (JSON.parse(read.stdout) as { services: Array<{ instances: Array<{ level: string }> }> }).services;
    assert.deepEqual(
      levels.flatMap((s) => s.instances.map((i) => i.level)).filter((l) => l !== 'debug'),
      [],
    );
    await browser.shot('13-logs');
  });

  step('the Content-Security-Policy refused nothing, and no page threw', async () => {
    assert.deepEqual(
      browser.problems.filter((p) => /Content Security Policy|uncaught/i.test(p)),
      [],
    );
  });
});
