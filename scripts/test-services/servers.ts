// Every server startServices() knows, in start order of the report. To add one,
// import its TestServer and append it here.
import type { TestServer } from './types.ts';
import { postgresServer } from './postgres.ts';
import { mariadbServer } from './mariadb.ts';
import { redisServer } from './redis.ts';
import { etcdServer } from './etcd.ts';
import { prometheusServer } from './prometheus.ts';
import { nginxServer } from './nginx.ts';
import { kube } from './kube.ts';
import { kubeNode } from './kube-node.ts';

export const servers: TestServer[] = [
  postgresServer,
  mariadbServer,
  redisServer,
  etcdServer,
  prometheusServer,
  nginxServer,
  kube,
  kubeNode,
];
