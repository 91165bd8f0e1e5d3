import { test } from 'node:test';
import { startChildGateway } from '/work/main/packages/gateway/test/support/child-gateway.ts';
test('start', async () => {
  const t0 = Date.now();
  const g = await startChildGateway('proxy: { accessLog: false }\n');
  console.log('started in', Date.now() - t0, g.url);
  const r = await fetch(g.url + '/admin/breakers');
  console.log(r.status, await r.text());
  console.log(await g.stop());
});
