import { describe, expect, it } from 'vitest';
import { DEFAULT_DUPLEX_OPTIONS, duplexOptions, duplexOptionsFromEnv, duplexOptionsMarkdown } from './duplex-options';

describe('duplex options', () => {
  it('defaults are those of PROTOCOL.md', () => {
    expect(DEFAULT_DUPLEX_OPTIONS).toEqual({
      heartbeatMs: 15000,
      pollTimeoutMs: 15000,
      sessionTtlMs: 600000,
      maxFrameBytes: 262144,
      pollBatch: 100,
      maxInFlight: 256,
      maxBufferedBytes: 1048576,
    });
  });

  it('fills what is missing and refuses bad values by name', () => {
    expect(duplexOptions({ heartbeatMs: 500 }).heartbeatMs).toBe(500);
    expect(duplexOptions({ heartbeatMs: 500 }).pollTimeoutMs).toBe(15000);
    expect(() => duplexOptions({ pollBatch: 0 })).toThrow(/pollBatch/);
    expect(() => duplexOptions({ heartbeatMs: Number.NaN })).toThrow(/heartbeatMs/);
  });

  it('reads the environment variables', () => {
    const o = duplexOptionsFromEnv({
      ITINERA_HEARTBEAT_MS: '2000',
      ITINERA_POLL_TIMEOUT_MS: '3000',
      ITINERA_SESSION_TTL_MS: '60000',
      ITINERA_MAX_FRAME_BYTES: '',
    });
    expect(o).toMatchObject({ heartbeatMs: 2000, pollTimeoutMs: 3000, sessionTtlMs: 60000, maxFrameBytes: 262144 });
    expect(() => duplexOptionsFromEnv({ ITINERA_HEARTBEAT_MS: 'soon' })).toThrow(/heartbeatMs/);
  });

  it('documents itself', () => {
    expect(duplexOptionsMarkdown()).toContain('| `heartbeatMs` | `ITINERA_HEARTBEAT_MS` | 15000 |');
  });
});
