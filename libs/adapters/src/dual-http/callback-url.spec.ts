import { describe, expect, it } from 'vitest';
import { callbackTarget, checkCallbackUrl } from './callback-url';

const refused = (url: unknown, list: string[] = []) => {
  try {
    callbackTarget(url, list);
  } catch (err) {
    return err as { code: string; message: string };
  }
  return undefined;
};

describe('callback address checks', () => {
  it('refuses what is not a plain http(s) URL', () => {
    expect(refused('ws://client.example/')).toMatchObject({ code: 'CALLBACK_URL_REFUSED', message: expect.stringMatching(/http:\/\/ or https:\/\//) });
    expect(refused('/relative')).toMatchObject({ message: expect.stringMatching(/absolute URL/) });
    expect(refused(42)).toMatchObject({ code: 'CALLBACK_URL_REFUSED' });
    const creds = refused('https://bob:secret@client.example/');
    expect(creds?.message).toMatch(/credentials/);
    expect(creds?.message).not.toContain('secret@');
  });

  it('refuses loopback, private, link-local and metadata literals unless listed; offers no development switch', () => {
    for (const url of ['http://127.0.0.1/', 'http://localhost:8080/', 'http://192.168.1.2/', 'http://169.254.1.1/', 'http://[fd00::1]/', 'http://2130706433/']) {
      const err = refused(url);
      expect(err, url).toMatchObject({ code: 'CALLBACK_URL_REFUSED', message: expect.stringMatching(/ITINERA_CALLBACK_ALLOWLIST/) });
      expect(err!.message).not.toMatch(/=true/);
    }
    expect(refused('http://169.254.169.254/')?.message).toMatch(/metadata/);
    expect(refused('http://127.0.0.1:4000/hooks/a', ['http://127.0.0.1:4000/hooks/'])).toBeUndefined();
    // Listed by path prefix on a segment boundary, after normalisation.
    expect(refused('http://127.0.0.1:4000/hooks-evil/', ['http://127.0.0.1:4000/hooks/'])?.message).toMatch(/not on the callback allow-list/);
    expect(refused('http://127.0.0.1:4000/hooks/../admin', ['http://127.0.0.1:4000/hooks/'])?.message).toMatch(/not on the callback allow-list/);
  });

  it('lets public addresses through an empty or * list, and keeps a non-empty list strict', () => {
    expect(refused('https://93.184.215.14/cb')).toBeUndefined();
    expect(refused('https://93.184.215.14/cb', ['*'])).toBeUndefined();
    expect(refused('https://93.184.215.14/cb', ['https://client.example/'])?.message).toMatch(/allow-list/);
  });

  it('checks names after DNS at creation', async () => {
    await expect(checkCallbackUrl('http://localhost./x', [])).rejects.toMatchObject({ code: 'CALLBACK_URL_REFUSED' });
    await expect(checkCallbackUrl('http://no-such-host.invalid/x', [])).rejects.toMatchObject({
      code: 'CALLBACK_URL_REFUSED',
      message: expect.stringMatching(/does not resolve/),
    });
  });
});
