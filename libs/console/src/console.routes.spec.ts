import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { CONSOLE_CSP, registerConsole } from './console.routes';

describe('the console routes', () => {
  it('ITINERA_CONSOLE off: nothing under /console/', async () => {
    const app = Fastify();
    registerConsole(app, { enabled: false });
    expect((await app.inject('/console/')).statusCode).toBe(404);
    expect((await app.inject('/console')).statusCode).toBe(404);
    await app.close();
  });

  it('a built console: its files from the folder, with the content security policy, nothing outside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'console-built-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>built</title>');
    writeFileSync(join(dir, 'console.js'), 'void 0;');
    const app = Fastify();
    registerConsole(app, { enabled: true, publicDir: dir });
    const index = await app.inject('/console/');
    expect(index.statusCode).toBe(200);
    expect(index.body).toContain('built');
    expect(index.headers['content-security-policy']).toBe(CONSOLE_CSP);
    const js = await app.inject('/console/console.js');
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect((await app.inject('/console/../package.json')).statusCode).toBe(404);
    expect((await app.inject('/console')).headers.location).toBe('/console/');
    await app.close();
  });

  it('from sources: bundled once in memory; an unknown file is a 404', async () => {
    const app = Fastify();
    registerConsole(app, { enabled: true, publicDir: join(tmpdir(), 'no-such-console-build') });
    const [html, js, css, none] = await Promise.all(['/console/', '/console/console.js', '/console/console.css', '/console/nope.js'].map((u) => app.inject(u)));
    expect(html.body).toContain('<script src="console.js"></script>');
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect(js.body.length).toBeGreaterThan(10_000);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    expect(html.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(none.statusCode).toBe(404);
    await app.close();
  });
});
