import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@itinera/observability';
import { PinoNestLogger } from './nest.logger';

function capture(level = 'info'): { nest: PinoNestLogger; lines: () => Record<string, any>[] } {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on('data', (d: Buffer) => chunks.push(d.toString()));
  const nest = new PinoNestLogger(createLogger({ level, destination: out, base: { node: 'n1' } }));
  return {
    nest,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, any>),
  };
}

describe('PinoNestLogger: Nest lines as pino JSON', () => {
  it('log, warn and fatal: the message, Nest\'s context and the node\'s bindings', () => {
    const { nest, lines } = capture();
    nest.log('Starting Nest application...', 'NestFactory');
    nest.warn('careful', 'RouterExplorer');
    nest.fatal('gone');
    expect(lines()).toEqual([
      expect.objectContaining({ level: 'info', node: 'n1', component: 'nest', context: 'NestFactory', msg: 'Starting Nest application...' }),
      expect.objectContaining({ level: 'warn', context: 'RouterExplorer', msg: 'careful' }),
      expect.objectContaining({ level: 'fatal', msg: 'gone' }),
    ]);
  });

  it('error(message, stack, context) keeps the stack in a field, on one line', () => {
    const { nest, lines } = capture();
    const stack = 'Error: no provider\n    at Injector.resolve (injector.js:1:1)';
    nest.error('Nest can\'t resolve dependencies', stack, 'ExceptionHandler');
    nest.error('plain failure', 'ExceptionsZone');
    const [withStack, plain] = lines();
    expect(withStack).toMatchObject({ level: 'error', context: 'ExceptionHandler', stack, msg: "Nest can't resolve dependencies" });
    expect(plain).toMatchObject({ level: 'error', context: 'ExceptionsZone', msg: 'plain failure' });
    expect(plain.stack).toBeUndefined();
  });

  it('an Error or an object as the message becomes fields; credentials in it are masked', () => {
    const { nest, lines } = capture();
    nest.error(new Error('cannot reach redis://user:hunter2@redis:6379'), undefined, 'BusService');
    nest.log({ route: '/health/ready', method: 'GET' }, 'RouterExplorer');
    const [err, obj] = lines();
    expect(err).toMatchObject({ level: 'error', context: 'BusService', err: { type: 'Error' } });
    expect(JSON.stringify(err)).not.toContain('hunter2');
    expect(obj).toMatchObject({ level: 'info', context: 'RouterExplorer', route: '/health/ready', method: 'GET' });
  });

  it('follows the pino level: debug and verbose lines are dropped at info', () => {
    const { nest, lines } = capture('info');
    nest.debug('d', 'X');
    nest.verbose('v', 'X');
    nest.log('kept', 'X');
    expect(lines().map((l) => l.msg)).toEqual(['kept']);
    const debug = capture('trace');
    debug.nest.debug('d', 'X');
    debug.nest.verbose('v', 'X');
    expect(debug.lines().map((l) => [l.level, l.msg])).toEqual([
      ['debug', 'd'],
      ['trace', 'v'],
    ]);
  });
});
