/** `config status --url`: what a running service applied, rejected, and waits to restart for. */
import { CONFIG_STATUS_PATH, type ConfigReloadStatus } from '@flotilla/config';
import { getAdminJson } from '../admin-json.ts';
import { formatTable, printJson, printLines } from '../output.ts';

export async function statusCommand(options: { url: string; json?: boolean }): Promise<void> {
  const status = await getAdminJson<ConfigReloadStatus>(options.url, CONFIG_STATUS_PATH);
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
