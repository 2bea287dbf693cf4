import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, wantsPrettyLogs } from './logger';

const ADDRESS = 'http://user:pw@host/x?apikey=SECRET&q=1';

function capture(level = 'info') {
  const lines: string[] = [];
  const out = new PassThrough();
  out.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  return { logger: createLogger({ level, destination: out, base: { node: `n1 ${ADDRESS}` } }), lines };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('createLogger masks credentials on every line', () => {
  it('masks errors (message, stack, causes), the message string, fields and child bindings', async () => {
    const { logger, lines } = capture();
    const cause = new Error(`connect ${ADDRESS} refused`);
    const err = new Error(`send to ${ADDRESS} failed`, { cause });
    err.stack = `Error: send to ${ADDRESS} failed\n    at send (${ADDRESS})`;
    Object.assign(err, { password: 'SECRET', target: ADDRESS });
    logger.error({ err }, `posting to ${ADDRESS}`);
    logger.error(err);
    logger.warn({ err });
    logger.info('calling %s now', ADDRESS);
    logger.info({ config: { apiKey: 'SECRET', url: ADDRESS } }, 'config');
    const child = logger.child({ endpoint: ADDRESS, token: 'SECRET' });
    child.info({ step: 1 }, 'child line');
    child.child({ url: ADDRESS }).info('grandchild line');
    await settle();

    expect(lines).toHaveLength(7);
    for (const line of lines) {
      expect(line).not.toContain('SECRET');
      expect(line).not.toContain('pw');
      expect(line).toContain('http://***@host/x?apikey=***&q=1');
    }
    const [withMsg, bare, noMsg, , , childLine] = lines.map((l) => JSON.parse(l));
    expect(withMsg.msg).toBe('posting to http://***@host/x?apikey=***&q=1');
    expect(withMsg.err.message).toContain('connect http://***@host/x?apikey=***&q=1 refused');
    expect(withMsg.err.stack).toContain('at send (http://***@host/x?apikey=***&q=1)');
    expect(withMsg.err.password).toBe('***');
    expect(bare.msg).toBe('send to http://***@host/x?apikey=***&q=1 failed');
    expect(noMsg.msg).toBe('send to http://***@host/x?apikey=***&q=1 failed');
    expect(childLine.endpoint).toBe('http://***@host/x?apikey=***&q=1');
    expect(childLine.token).toBe('***');
    expect(childLine.node).toBe('n1 http://***@host/x?apikey=***&q=1');
  });

  it('leaves lines without secrets as written', async () => {
    const { logger, lines } = capture();
    logger.child({ role: 'worker' }).info({ address: 'https://api.test/orders?q=1', n: 2 }, 'sent 100% of it');
    await settle();
    const line = JSON.parse(lines[0]);
    expect(line).toMatchObject({ role: 'worker', address: 'https://api.test/orders?q=1', n: 2, msg: 'sent 100% of it' });
  });
});

describe('pretty lines for people (pino-pretty, a dev dependency)', () => {
  it('ITINERA_LOG_PRETTY decides; unset, a terminal outside production gets them', () => {
    expect(wantsPrettyLogs(undefined, false, true)).toBe(true);
    expect(wantsPrettyLogs(undefined, true, true)).toBe(false);
    expect(wantsPrettyLogs(undefined, false, false)).toBe(false);
    expect(wantsPrettyLogs(true, true, false)).toBe(true);
    expect(wantsPrettyLogs(false, false, true)).toBe(false);
  });

  it('writes one readable line, still masked, its fields after the message', () => {
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (d: Buffer) => chunks.push(d.toString()));
    const logger = createLogger({ pretty: true, destination: out, base: { node: 'n1' } });
    logger.info({ messageId: 'm-1', address: 'http://u:pw@host/x' }, 'step');
    const text = chunks.join('');
    expect(text).toMatch(/^\[[\d:.]+\] INFO.*: step \{.*\}\n$/);
    expect(text).toContain('"messageId":"m-1"');
    expect(text).not.toContain('pw@');
    expect(() => JSON.parse(text)).toThrow();
  });
});
