/** Template rendering: placeholders, feature blocks, single lines and spans, and template mistakes caught. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serviceNames } from '../../../src/new/names.ts';
import { renderPath, renderTemplate, type TemplateValues } from '../../../src/new/render.ts';
import { serviceTemplateFiles } from '../../../src/new/template-files.ts';

const values = (grpc: boolean, database = true): TemplateValues => ({
  names: serviceNames('stock-levels'),
  features: { database, grpc },
  ports: { http: 8086, grpc: 9086 },
});

test('placeholders in contents and paths', () => {
  assert.equal(
    renderTemplate('$name$ $Name$ $nameCamel$ $NAME$ $name_proto$ $httpPort$ $grpcPort$ $response.body#/id', values(true)),
    'stock-levels StockLevels stockLevels STOCK_LEVELS stock_levels 8086 9086 $response.body#/id',
  );
  assert.equal(
    renderPath('services/$name$/test/unit/domain.test.template.ts', values(true)),
    'services/stock-levels/test/unit/domain.test.ts',
  );
  assert.equal(
    renderPath('proto/flotilla/$name_proto$/v1/$name_proto$.proto', values(true)),
    'proto/flotilla/stock_levels/v1/stock_levels.proto',
  );
});

test('blocks, single lines and spans follow the features; directive lines disappear', () => {
  const template = [
    'import {',
    '  GrpcConfig, // #if grpc',
    '  serviceConfig,',
    "} from '@flotilla/service';",
    '// #if grpc',
    'grpc: true',
    '// #endif',
    '# #if !grpc',
    'rest only',
    '# #endif',
    'REST<!-- #if grpc --> and gRPC<!-- #endif --> in dev',
    'port: 1 # #if !database',
  ].join('\n');
  assert.equal(
    renderTemplate(template, values(true)),
    ['import {', '  GrpcConfig,', '  serviceConfig,', "} from '@flotilla/service';", 'grpc: true', 'REST and gRPC in dev'].join('\n'),
  );
  assert.equal(
    renderTemplate(template, values(false)),
    ['import {', '  serviceConfig,', "} from '@flotilla/service';", 'rest only', 'REST in dev'].join('\n'),
  );
});

test('a file that renders to nothing is empty (and is not written)', () => {
  assert.equal(renderTemplate('// #if grpc\nexport const x = 1;\n// #endif\n', values(false)), '');
});

test('template mistakes are errors naming the file and line', () => {
  assert.throws(() => renderTemplate('// #if grpc\nx', values(true), 'a.ts'), /a\.ts: #if without #endif/);
  assert.throws(() => renderTemplate('x\n// #endif', values(true), 'a.ts'), /a\.ts:2: #endif without #if/);
  assert.throws(() => renderTemplate('// #if redis\n// #endif', values(true), 'a.ts'), /a\.ts:1: unknown feature "redis"/);
  assert.throws(() => renderTemplate('$nmae$', values(true), 'a.ts'), /a\.ts: unknown placeholder \$nmae\$/);
  assert.throws(() => renderTemplate('a <!-- #if grpc -->b\nc<!-- #endif -->', values(true), 'a.md'), /a\.md:1: a <!-- #if --> span/);
});

test('every shipped template renders in all four combinations', () => {
  for (const database of [true, false]) {
    for (const grpc of [true, false]) {
      const files = serviceTemplateFiles(database);
      assert.ok(files.length > 0);
      for (const file of files) {
        const text = renderTemplate(file.text, values(grpc, database), file.path);
        if (!grpc) assert.doesNotMatch(text, /grpc\.ts|@flotilla\/contracts|GrpcConfig/, `${file.path} without gRPC`);
      }
      const paths = files.map((f) => f.path);
      assert.equal(paths.includes('services/$name$/src/store.ts'), database);
    }
  }
});
