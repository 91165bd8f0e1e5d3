/**
 * One ECS JSON log line → one line for a person: time, level, message and the
 * few fields that matter (route, status, duration, request id, error), an
 * access line as `GET /api/users 200 3.1 ms`. Verbose keeps every field (and
 * an error's stack, on the lines below). A line that is not a log event is
 * returned as it came.
 */

export interface FormatOptions {
  /** Every field, and stacks; otherwise only the ones that matter. */
  verbose: boolean;
  /** ANSI colours. */
  color: boolean;
}

export interface LogEvent {
  level: string;
  time: Date | undefined;
  message: string;
  /** Every field, nested objects flattened to dotted keys (`http.request.id`). */
  fields: Map<string, unknown>;
}

const PINO_LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const LEVEL_COLORS: Record<string, string> = { trace: '90', debug: '90', info: '32', warn: '33', error: '1;31', fatal: '1;97;41' };
const MESSAGE_COLORS: Record<string, string> = { warn: '33', error: '1;31', fatal: '1;31' };
const QUIET_LEVELS = new Set(['trace', 'debug', 'info']);
/** Shown in their own place, never as key=value. */
const RENDERED = new Set(['@timestamp', 'time', 'log.level', 'level', 'message', 'msg', 'error.stack_trace']);
const MAX_VALUE = 120;

/** The event in a JSON log line; undefined for anything else (plain text, JSON of another shape). */
export function parseLogLine(line: string): LogEvent | undefined {
  if (!line.startsWith('{')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const fields = flatten(value as Record<string, unknown>);
  const rawLevel = fields.get('log.level') ?? fields.get('level');
  const level = typeof rawLevel === 'number' ? PINO_LEVELS[rawLevel] : rawLevel;
  const message = fields.get('message') ?? fields.get('msg');
  if (typeof level !== 'string' || typeof message !== 'string') return undefined;
  const rawTime = fields.get('@timestamp') ?? fields.get('time');
  const time = typeof rawTime === 'string' || typeof rawTime === 'number' ? new Date(rawTime) : undefined;
  return { level: level.toLowerCase(), time: time === undefined || Number.isNaN(time.getTime()) ? undefined : time, message, fields };
}

/** The lines to print for one line a process wrote (without the process prefix). */
export function formatLogLine(line: string, options: FormatOptions): string[] {
  const event = parseLogLine(line);
  return event === undefined ? [line] : formatEvent(event, options);
}

export function formatEvent(event: LogEvent, options: FormatOptions): string[] {
  const paint = painter(options.color);
  const [first = '', ...more] = event.message.split('\n');
  const access = isAccess(event);
  let text = access ? accessText(event, first, paint) : first;
  const messageColor = MESSAGE_COLORS[event.level];
  if (messageColor !== undefined) text = paint(messageColor, text);
  const pairs = options.verbose ? allFields(event) : fieldsThatMatter(event, first, access);
  const rendered = pairs.map(([key, value]) => `${paint('2', `${key}=`)}${render(value, !options.verbose)}`);
  const time = event.time === undefined ? [] : [paint('2', clock(event.time))];
  const head = [...time, paint(LEVEL_COLORS[event.level] ?? '0', event.level.toUpperCase().padEnd(5)), text, ...rendered].join(' ');
  if (!options.verbose) return [head];
  const stack = event.fields.get('error.stack_trace');
  return [head, ...more.map((l) => `  ${l}`), ...(typeof stack === 'string' ? stack.split('\n').map((l) => `  ${l}`) : [])];
}

/** Info and below that is not a process saying it is ready: what start-up condenses away. */
export function isStartupChatter(event: LogEvent): boolean {
  return QUIET_LEVELS.has(event.level) && event.fields.get('event.action') !== 'started';
}

/** `HH:MM:SS.mmm`, local time. */
export function clock(time: Date | undefined): string {
  if (time === undefined) return '';
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(time.getHours())}:${two(time.getMinutes())}:${two(time.getSeconds())}.${String(time.getMilliseconds()).padStart(3, '0')}`;
}

export function painter(color: boolean): (codes: string, text: string) => string {
  return color ? (codes, text) => `\u001b[${codes}m${text}\u001b[0m` : (_codes, text) => text;
}

function isAccess(event: LogEvent): boolean {
  const types = event.fields.get('event.type');
  return Array.isArray(types) && types.includes('access') && event.fields.has('http.request.method');
}

/** `GET /api/users 200 3.1 ms` (the access line's message is `METHOD path status`). */
function accessText(event: LogEvent, message: string, paint: (codes: string, text: string) => string): string {
  const status = event.fields.get('http.response.status_code');
  let text = message;
  if (typeof status === 'number' && status >= 400) {
    const code = String(status);
    const at = text.lastIndexOf(code);
    if (at !== -1) text = `${text.slice(0, at)}${paint(status >= 500 ? '31' : '33', code)}${text.slice(at + code.length)}`;
  }
  const duration = event.fields.get('event.duration');
  return typeof duration === 'number' ? `${text} ${milliseconds(duration)}` : text;
}

function fieldsThatMatter(event: LogEvent, message: string, access: boolean): Array<[string, unknown]> {
  const get = (key: string): unknown => event.fields.get(key);
  const pairs: Array<[string, unknown]> = [];
  const add = (key: string, value: unknown): void => {
    if (value !== undefined && value !== null && value !== '' && !message.includes(String(value))) pairs.push([key, value]);
  };
  if (!access) {
    add('route', get('http.route'));
    add('status', get('http.response.status_code'));
    const duration = get('event.duration');
    if (typeof duration === 'number') pairs.push(['duration', milliseconds(duration).replace(' ', '')]);
  }
  if (!QUIET_LEVELS.has(event.level)) add('req', get('http.request.id') ?? get('requestId') ?? get('request.id'));
  const error = get('error.message');
  if (typeof error === 'string') add('error', error.split('\n')[0]);
  add('code', get('error.code'));
  return pairs;
}

function allFields(event: LogEvent): Array<[string, unknown]> {
  return [...event.fields].filter(([key]) => !RENDERED.has(key));
}

/** ECS durations are nanoseconds. */
function milliseconds(nanoseconds: number): string {
  const ms = nanoseconds / 1e6;
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

function render(value: unknown, shorten: boolean): string {
  let text: string;
  if (typeof value === 'string') text = /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  else if (typeof value === 'number' || typeof value === 'boolean') text = String(value);
  else text = JSON.stringify(value) ?? String(value);
  return shorten && text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

function flatten(value: Record<string, unknown>, prefix = '', into = new Map<string, unknown>()): Map<string, unknown> {
  for (const [key, item] of Object.entries(value)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (item !== null && typeof item === 'object' && !Array.isArray(item) && Object.keys(item).length > 0) {
      flatten(item as Record<string, unknown>, path, into);
    } else into.set(path, item);
  }
  return into;
}
