/**
 * The pino logger factory. Credentials are redacted wherever they might appear; decision lines never carry
 * headers or query strings in the first place.
 */
import { pino, type Logger, type DestinationStream } from 'pino';
import { stdoutWriter } from './stdout-writer.ts';

/** Paths redacted in every log line. */
const REDACT_PATHS = [
  'authorization',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.cookie',
  'headers["proxy-authorization"]',
  '*.authorization',
  '*["x-api-key"]',
  '*.cookie',
  '*.password',
  '*.token',
  'redisUrl',
];

/** Creates the process logger (JSON to stdout through the process's one writer of it, or to `destination` in tests). */
export function createLogger(level: string, name: string, destination?: DestinationStream): Logger {
  return pino(
    {
      name,
      level,
      base: { service: name },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? stdoutWriter(),
  );
}

/** Hides the password of a URL like redis://:secret@host:6379 for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = 'redacted';
    return u.toString();
  } catch {
    return '[unparseable url]';
  }
}
