/**
 * The dev ports of a new service: the next pair after the ones in use, HTTP
 * 80NN and gRPC 90NN as for the services already there (users 8081/9081,
 * orders 8082/9082, greeter 8083/9083). 8090 is the operator's.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const HTTP_BASE = 8080;
const GRPC_BASE = 9080;
const TAKEN_ELSEWHERE = [8090];

export function chooseDevPorts(root: string): { http: number; grpc: number } {
  const used = new Set<number>([HTTP_BASE, ...TAKEN_ELSEWHERE, ...portsInConfig(root)]);
  for (let offset = 1; offset < 100; offset++) {
    const http = HTTP_BASE + offset;
    const grpc = GRPC_BASE + offset;
    if (!used.has(http) && !used.has(grpc)) return { http, grpc };
  }
  throw new Error('no free dev port pair between 8081/9081 and 8179/9179 in config/');
}

/** Every `port: N` in every namespace's YAML files. */
function portsInConfig(root: string): number[] {
  const config = join(root, 'config');
  if (!existsSync(config)) return [];
  const ports: number[] = [];
  for (const entry of readdirSync(config, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.yaml')) continue;
    const text = readFileSync(join(entry.parentPath, entry.name), 'utf8');
    for (const match of text.matchAll(/\bport:\s*(\d+)/g)) ports.push(Number(match[1]));
  }
  return ports;
}
