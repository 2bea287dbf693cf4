import type { LoggerService, LogLevel } from '@nestjs/common';
import type { Logger } from '@itinera/core';

type PinoLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * Nest's own lines (start-up, module init, exceptions it catches) written by the
 * node's pino logger, so every line on stdout is the same JSON with the same
 * bindings (node, redaction). Nest passes its context (`NestFactory`,
 * `InstanceLoader`, …) as the last string argument; it becomes the `context` field.
 */
export class PinoNestLogger implements LoggerService {
  private readonly logger: Logger;

  constructor(logger: Logger) {
    this.logger = logger.child({ component: 'nest' });
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    // Nest calls error(message, stack?, context?): a stack is a string with "\n    at ".
    const stack = params.length >= 2 || (params.length === 1 && isStack(params[0])) ? params[0] : undefined;
    const rest = stack === undefined ? params : params.slice(1);
    this.write('error', message, rest, typeof stack === 'string' ? stack : undefined);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  /** The level is pino's (ITINERA_LOG_LEVEL): Nest's own list does not narrow it. */
  setLogLevels(_levels: LogLevel[]): void {}

  private write(level: PinoLevel, message: unknown, params: unknown[], stack?: string): void {
    if (this.logger.isLevelEnabled && !this.logger.isLevelEnabled(level)) return;
    const last = params[params.length - 1];
    const context = typeof last === 'string' ? last : undefined;
    const fields: Record<string, unknown> = {};
    if (context) fields.context = context;
    if (stack) fields.stack = stack;
    if (message instanceof Error) {
      fields.err = message;
      this.logger[level](fields, message.message);
    } else if (message !== null && typeof message === 'object') {
      this.logger[level]({ ...fields, ...(message as Record<string, unknown>) }, context ?? 'nest');
    } else {
      this.logger[level](fields, String(message));
    }
  }
}

function isStack(v: unknown): boolean {
  return typeof v === 'string' && /\n\s+at /.test(v);
}

