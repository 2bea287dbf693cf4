import { defineAdapter } from '@itinera/core';
import { checkSendAllowed } from '../provider/allow-list';

export type LogSendOptions = {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  includeBody: boolean;
};

/** Log off-ramp: writes the message to the bus log. For demos and tests. */
export const logSendAdapter = defineAdapter<LogSendOptions>({
  name: 'log',
  summary: 'Writes the message to the bus log at a level, under the address as a label. For demos and tests: nothing leaves the process.',
  spec: {
    level: { type: 'string', description: 'Log level of the line.', default: 'info', enum: ['trace', 'debug', 'info', 'warn', 'error'], examples: ['debug'] },
    includeBody: {
      type: 'boolean',
      description: 'Include the body in the log line (turn off for large or sensitive payloads).',
      default: true,
      examples: [false],
    },
  },
  checkAddress(address) {
    return address.trim() === '' ? 'must be a label for the log line, such as "orders"' : undefined;
  },
  async send(address, message, options, ctx) {
    checkSendAllowed('log', address, ctx);
    const level = options.level ?? 'info';
    const line: Record<string, unknown> = {
      adapter: 'log',
      address,
      messageId: message.envelope.id,
      correlationId: message.envelope.correlationId,
      action: message.envelope.action,
      idempotencyKey: message.idempotencyKey,
    };
    if (options.includeBody !== false) line.body = message.body;
    ctx.logger[level](line, `message sent to log "${address}"`);
    return {};
  },
});
