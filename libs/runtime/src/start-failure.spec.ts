import { describe, expect, it } from 'vitest';
import { ItineraError } from '@itinera/core';
import { startFailure, startFailureText, wantsStartFailureText } from './start-failure';

const insecure = new ItineraError(
  'INSECURE_PRODUCTION_CONFIG',
  'NODE_ENV=production and 2 setting(s) are unsafe:\nITINERA_ADMIN_TOKEN: set it\nITINERA_SEND_ALLOWLIST: set it',
  {
    details: [
      { pointer: '/ITINERA_ADMIN_TOKEN', message: 'set it' },
      { pointer: '/ITINERA_SEND_ALLOWLIST', message: 'set it' },
    ],
  },
);

describe('startFailure', () => {
  it('is one pino-style JSON record: level fatal, time, code, msg, each setting with its pointer', () => {
    const now = new Date('2026-01-02T03:04:05.000Z');
    const line = JSON.stringify(startFailure('bus', insecure, now));
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({
      level: 'fatal',
      time: '2026-01-02T03:04:05.000Z',
      pid: process.pid,
      role: 'bus',
      code: 'INSECURE_PRODUCTION_CONFIG',
      msg: 'bus did not start (INSECURE_PRODUCTION_CONFIG): NODE_ENV=production and 2 setting(s) are unsafe',
      details: [
        { pointer: '/ITINERA_ADMIN_TOKEN', message: 'set it' },
        { pointer: '/ITINERA_SEND_ALLOWLIST', message: 'set it' },
      ],
    });
  });

  it('keeps the code of an error from elsewhere (START_FAILED when it has none) and masks credentials', () => {
    const inUse = Object.assign(new Error('listen EADDRINUSE: address already in use 0.0.0.0:8080'), { code: 'EADDRINUSE' });
    expect(startFailure('gateway', inUse)).toMatchObject({
      code: 'EADDRINUSE',
      msg: 'gateway did not start (EADDRINUSE): listen EADDRINUSE: address already in use 0.0.0.0:8080',
    });
    const failure = startFailure('worker', new Error('connect to redis://user:hunter2@redis:6379 failed'));
    expect(failure.code).toBe('START_FAILED');
    expect(failure.msg).not.toContain('hunter2');
    expect(failure.details).toBeUndefined();
  });

  it('as text for a terminal: the lines a person reads', () => {
    expect(startFailureText('bus', insecure)).toBe(`bus did not start (INSECURE_PRODUCTION_CONFIG):\n${insecure.message}`);
    expect(startFailureText('bus', new Error('boom'))).toBe('bus did not start: boom');
  });

  it('is text on a terminal outside production or with ITINERA_LOG_PRETTY=true, JSON otherwise', () => {
    expect(wantsStartFailureText({}, true)).toBe(true);
    expect(wantsStartFailureText({}, false)).toBe(false);
    expect(wantsStartFailureText({ NODE_ENV: 'production' }, true)).toBe(false);
    expect(wantsStartFailureText({ ITINERA_LOG_PRETTY: 'true' }, false)).toBe(true);
    expect(wantsStartFailureText({ ITINERA_LOG_PRETTY: 'false' }, true)).toBe(false);
  });
});
