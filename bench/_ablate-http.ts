// SCRATCH (not for commit)
import { startChild } from './lib/children';
import { cannon } from './lib/autocannon';
import { makeBody } from './children/serve';
import { median } from './lib/stats';
(async () => {
  const body = JSON.stringify(makeBody(1, 1024));
  for (const set of process.argv.slice(2)) {
    const { child, info } = await startChild('ablate', '_ablate.ts', { env: { ABLATE: set === 'none' ? '' : set, ITINERA_TRANSPORT: 'memory', ITINERA_LOG_LEVEL: 'warn', BENCH_ITINERARIES: '/work/main/bench/itineraries' } });
    const run = (d: number) => cannon({ url: info.url + '/itineraries/bench-reply/messages', method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: 64, pipelining: 1, duration: d });
    await run(3);
    if (process.env.PROF) await child.request('profile-start');
    const r: number[] = [];
    for (let i = 0; i < 3; i++) { const x = await run(3); r.push(x.requests.total / x.duration); }
    if (process.env.PROF) await child.request('profile-stop', { file: `/tmp/http-${set}.cpuprofile` });
    console.log(set.padEnd(24), median(r).toFixed(0), 'req/s', r.map((x) => x.toFixed(0)).join(' '));
    await child.stop();
  }
})();
