// Every server startServices() knows, in start order of the report. To add one,
// import its TestServer and append it here.
import type { TestServer } from './types.js';
import { postgresServer } from './postgres.js';
import { mariadbServer } from './mariadb.js';
import { redisServer } from './redis.js';
import { etcdServer } from './etcd.js';
import { prometheusServer } from './prometheus.js';
import { nginxServer } from './nginx.js';
import { kube } from './kube.js';

export const servers: TestServer[] = [postgresServer, mariadbServer, redisServer, etcdServer, prometheusServer, nginxServer, kube];
