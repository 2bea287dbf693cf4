import { describe, expect, it } from 'vitest';
import { isSecretName, markRedacted, redactSecrets, redactText, redactUrl } from './redact';

describe('redaction of credentials and secrets', () => {
  it('masks userinfo (up to the last @ of the authority) and secret query values, keeping the rest as written', () => {
    expect(redactUrl('https://user:p@ss@api.test:8443/x?apikey=abc&q=1&Access_Token=zz#frag')).toBe(
      'https://***@api.test:8443/x?apikey=***&q=1&Access_Token=***#frag',
    );
    expect(redactUrl('ws://allowed.test:x@127.0.0.1:9/')).toBe('ws://***@127.0.0.1:9/');
    expect(redactUrl('http://api.test/a@b')).toBe('http://api.test/a@b');
    expect(redactUrl('http://api.test/x?q=1')).toBe('http://api.test/x?q=1');
  });

  it.each([
    'apikey',
    'api_key',
    'API-KEY',
    'key',
    'token',
    'access_token',
    'secret',
    'client_secret',
    'password',
    'sig',
    'signature',
    'X-Amz-Signature',
    'auth',
  ])('%s is a secret parameter', (name) => {
    expect(isSecretName(name)).toBe(true);
    expect(redactUrl(`https://h.test/?${name}=v1&page=2`)).toBe(`https://h.test/?${name}=***&page=2`);
  });

  it.each(['q', 'page', 'keyword', 'monkey', 'id', 'sort'])('%s is not', (name) => {
    expect(isSecretName(name)).toBe(false);
  });

  it('finds URLs inside free text and whole key=value config strings', () => {
    expect(redactText('POST http://a:b@h.test/x?token=1 failed: ECONNREFUSED')).toBe('POST http://***@h.test/x?token=*** failed: ECONNREFUSED');
    expect(redactText('address "https://h.test/?apikey=k", then')).toBe('address "https://h.test/?apikey=***", then');
    expect(redactText('method=POST&password=x&timeoutMs=2')).toBe('method=POST&password=***&timeoutMs=2');
    expect(redactText('a = b, no secrets')).toBe('a = b, no secrets');
  });

  it('masks secret name=value pairs elsewhere in text, but not the bare key', () => {
    expect(redactText('expression "token=abc&x=1" at http://h.test/')).toBe('expression "token=***&x=1" at http://h.test/');
    expect(redactText('header x-api-key=k1, client_secret=s; key=orders-1')).toBe('header x-api-key=***, client_secret=***; key=orders-1');
    expect(redactText('monkey=1 sort=asc')).toBe('monkey=1 sort=asc');
  });

  it('is cached for frozen values and skips values marked as redacted', () => {
    const frozen = Object.freeze({ address: 'https://u:p@h.test/', n: 1 });
    const first = redactSecrets(frozen);
    expect(first).toEqual({ address: 'https://***@h.test/', n: 1 });
    expect(redactSecrets(frozen)).toBe(first);
    const clean = Object.freeze({ a: 'x' });
    expect(redactSecrets(clean)).toBe(clean);
    const marked = markRedacted({ note: 'already done' });
    expect(redactSecrets(marked)).toBe(marked);
  });

  it('walks plain objects and arrays, masks secret-named fields but keeps ${env:NAME} placeholders, and copies only what it changes', () => {
    const value = {
      endpoint: { adapter: 'http', address: 'https://u:p@h.test/?key=k', config: { password: 'p', username: 'bot', headers: { 'X-Api-Key': 'k' } } },
      placeholder: { token: '${env:ORDERS_TOKEN}' },
      plain: { a: [1, 'x'], key: 'orders-1' },
    };
    const out = redactSecrets(value);
    expect(out).toEqual({
      endpoint: { adapter: 'http', address: 'https://***@h.test/?key=***', config: { password: '***', username: 'bot', headers: { 'X-Api-Key': '***' } } },
      placeholder: { token: '${env:ORDERS_TOKEN}' },
      plain: { a: [1, 'x'], key: 'orders-1' },
    });
    expect(out.plain).toBe(value.plain);
    expect(value.endpoint.address).toBe('https://u:p@h.test/?key=k');
    const untouched = { a: 'plain', b: [1, 'http://h.test/'] };
    expect(redactSecrets(untouched)).toBe(untouched);
  });
});
