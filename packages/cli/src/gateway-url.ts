/** The gateway whose admin API a command calls: `--url`, else $FLOTILLA_GATEWAY_URL, else the dev gateway. */
export const DEFAULT_GATEWAY = 'http://127.0.0.1:8080';

export const GATEWAY_URL_HELP = `the gateway's base URL (default: $FLOTILLA_GATEWAY_URL or ${DEFAULT_GATEWAY})`;

export function gatewayUrl(option: string | undefined): string {
  return option ?? process.env.FLOTILLA_GATEWAY_URL ?? DEFAULT_GATEWAY;
}
