/** `config status --url`: what a running service applied, rejected, and waits to restart for. */
import { UnavailableError } from '@flotilla/kit/errors';
import { CONFIG_STATUS_PATH, type ConfigReloadStatus } from '@flotilla/kit/config';
import { adminCredential } from '../admin-credential.js';
import { UsageError } from '../exit-codes.js';
import { formatTable, printJson, printLines } from '../output.js';


export async function statusCommand(options: { url: string; json?: boolean }): Promise<void> {
  const url = new URL(CONFIG_STATUS_PATH, options.url).href;
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(5_000), headers: adminCredential() });
  } catch (error) {
    throw new UnavailableError(`cannot reach ${url}: ${(error as Error).message}`, { cause: error });
  }
  if (response.status === 401 || response.status === 403) throw new UsageError(`${url} answered ${response.status}: set FLOTILLA_API_KEY (or FLOTILLA_TOKEN) to an admin credential`);
  if (!response.ok) throw new UnavailableError(`${url} answered ${response.status}`);
  const status = (await response.json()) as ConfigReloadStatus;
  if (options.json) return printJson(status);
  const rows: string[][] = [
    ['service', `${status.namespace}/${status.service} (${status.backend})`],
    ['applied version', `${status.appliedVersion ?? '-'} (shared ${status.sharedVersion ?? '-'}) at ${status.appliedAt}`],
    ['reloads / rejections', `${status.reloads} / ${status.rejections}`],
    ['pending restart', status.pendingRestart.length === 0 ? '-' : status.pendingRestart.join(', ')],
    ['rejected', status.rejected === null ? '-' : `${status.rejected.document}@${status.rejected.version ?? '?'} at ${status.rejected.at}`],
  ];
  if (status.watchError !== null) rows.push(['watch error', status.watchError]);
  printLines(formatTable(['', ''], rows).slice(1));
  if (status.rejected !== null) printLines(['', 'rejection reason:', status.rejected.reason]);
}
