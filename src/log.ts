import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout (pino). Tests and CLI commands pass 'silent' or 'warn'. */
export function createLogger(level: string = 'info'): Logger {
  return pino({ level, base: { service: 'tally' } });
}
