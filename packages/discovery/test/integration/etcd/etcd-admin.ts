// What the etcd suites do behind the registry's back (read keys, revoke a
// lease, compact history, switch authentication on), through etcd3.
import { Etcd3, type IOptions } from 'etcd3';

export interface AdminKeyValue {
  key: string;
  value: Buffer;
  /** Lease id ("0" when none). */
  lease: string;
}

export class EtcdAdmin {
  readonly client: Etcd3;

  constructor(endpoint: string, options: Omit<IOptions, 'hosts'> = {}) {
    this.client = new Etcd3({ hosts: endpoint, ...options });
  }

  async range(key: string, options: { prefix?: boolean } = {}): Promise<{ revision: number; kvs: AdminKeyValue[] }> {
    const response = await (options.prefix === true ? this.client.getAll().prefix(key) : this.client.get(key)).exec();
    return {
      revision: Number(response.header.revision),
      kvs: response.kvs.map((kv) => ({ key: kv.key.toString('utf8'), value: kv.value, lease: kv.lease })),
    };
  }

  async put(key: string, value: string): Promise<{ revision: number }> {
    const response = await this.client.put(key).value(value).exec();
    return { revision: Number(response.header.revision) };
  }

  async delete(key: string, options: { prefix?: boolean } = {}): Promise<void> {
    await (options.prefix === true ? this.client.delete().prefix(key) : this.client.delete().key(key)).exec();
  }

  /** Seconds left on a lease, or -1 when it does not exist (anymore). */
  async leaseTimeToLive(id: string): Promise<number> {
    return Number((await this.client.leaseClient.leaseTimeToLive({ ID: id })).TTL);
  }

  async leaseRevoke(id: string): Promise<void> {
    await this.client.leaseClient.leaseRevoke({ ID: id });
  }

  /** Drops history before `revision` (forces a watch to list again). */
  async compact(revision: number): Promise<void> {
    await this.client.kv.compact({ revision: String(revision), physical: true });
  }

  /** Authentication on, with `root` (password `rootPassword`) as the only user. */
  async enableAuth(rootPassword: string): Promise<void> {
    await this.client.role('root').create();
    await this.client.user('root').create(rootPassword);
    await this.client.user('root').addRole('root');
    await this.client.auth.authEnable();
  }

  close(): void {
    this.client.close();
  }
}
