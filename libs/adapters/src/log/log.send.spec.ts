import { describe, expect, it } from 'vitest';
import { silentLogger, type Logger } from '@itinera/core';
import { logSendAdapter as log } from './log.send';
import { fixtureMessage, fixtureSendContext } from '../provider/send-fixtures';

function recordingLogger(): Logger & { lines: { level: string; obj: unknown; msg?: string }[] } {
  const lines: { level: string; obj: unknown; msg?: string }[] = [];
  const at = (level: string) => (obj: object | string, msg?: string) => void lines.push({ level, obj, msg });
  return { ...silentLogger, trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), lines };
}

describe('log send adapter', () => {
  it('writes the message at the configured level', async () => {
    const logger = recordingLogger();
    const out = await log.send('orders', fixtureMessage({ a: 1 }), { level: 'warn', includeBody: true }, fixtureSendContext({ logger }));
    expect(out).toEqual({});
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toMatchObject({ level: 'warn', obj: { address: 'orders', messageId: 'msg-1', idempotencyKey: 'step-key-1', body: { a: 1 } } });
  });

  it('can leave the body out', async () => {
    const logger = recordingLogger();
    await log.send('orders', fixtureMessage({ secret: 1 }), { level: 'info', includeBody: false }, fixtureSendContext({ logger }));
    expect(logger.lines[0].obj).not.toHaveProperty('body');
  });

  it('honours the allow-list (exact label)', async () => {
    const logger = recordingLogger();
    await expect(
      log.send('orders', fixtureMessage(), { level: 'info', includeBody: true }, fixtureSendContext({ logger, allowList: ['audit'] })),
    ).rejects.toMatchObject({
      code: 'ADDRESS_NOT_ALLOWED',
    });
    expect(logger.lines).toHaveLength(0);
  });

  it('documents every option', () => {
    for (const [key, field] of Object.entries(log.spec)) {
      expect(field.description, key).toBeTruthy();
      expect(field.examples?.length, key).toBeGreaterThan(0);
    }
    expect(log.checkAddress!(' ')).toBeDefined();
  });
});
