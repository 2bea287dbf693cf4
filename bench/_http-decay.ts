// SCRATCH (not for commit)
import { startChild } from './lib/children';
import { cannon } from './lib/autocannon';
import { makeBody } from './children/serve';
(async () => {
  const body = JSON.stringify(makeBody(1, 1024));
  for (const set of process.argv.slice(2)) {
    const { child, info } = await startChild('ablate', '_ablate.ts', { nodeFlags: ['--expose-gc'], env: { ABLATE: set === 'none' ? '' : set, ITINERA_TRANSPORT: 'memory', ITINERA_LOG_LEVEL: 'warn', BENCH_ITINERARIES: '/work/main/bench/itineraries' } });
    let total = 0;
    for (let i = 0; i < 5; i++) {
      const x = await cannon({ url: info.url + '/itineraries/bench-reply/messages', method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: 64, pipelining: 1, duration: 6 });
      total += x.requests.total;
      const m = await child.request('mem');
      console.log(set, i, Math.round(x.requests.total / x.duration), 'req/s; records so far', total, 'heapUsed after gc', Math.round(m.heapUsed / 2 ** 20), 'MB');
    }
    await child.stop();
  }
})();
