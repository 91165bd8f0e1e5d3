import { missingServer } from './required.ts';

/** The harness's shared etcd (FLOTILLA_TEST_ETCD_ENDPOINTS, its first endpoint), or a reason to skip. */
export function sharedEtcd(): { endpoint: string } | { skip: string } {
  const endpoints = process.env.FLOTILLA_TEST_ETCD_ENDPOINTS;
  if (endpoints !== undefined && endpoints !== '') return { endpoint: endpoints.split(',')[0]! };
  return missingServer('FLOTILLA_TEST_ETCD_ENDPOINTS');
}
