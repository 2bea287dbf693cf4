import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from './api';
import { useInterval } from './hooks';
import { Problem, time } from './widgets';

export const LIVE_EVERY_MS = 2000;

interface LiveSnapshot {
  at: string;
  /** The span the rates, percentiles and fault counts are over. */
  windowSeconds?: number;
  itineraries: { itinerary: string; step?: string; throughputPerSec: number; p50Ms: number; p95Ms: number; faults: number }[];
  sessions: { open: number };
  outboxes: { session: string; depth: number }[];
  queues: { name: string; waiting: number; active: number; delayed: number }[];
}

const HISTORY = 60;
const fmt = (n: number | undefined, digits = 1) => (n === undefined || n === null ? '' : Number(n).toFixed(digits));

/** A polyline of the last samples, scaled to the box. */
function Spark({ values }: { values: number[] }) {
  const max = Math.max(1, ...values);
  const span = Math.max(1, values.length - 1);
  const pts = values.map((v, i) => `${(i / span) * 200},${40 - (v / max) * 36}`).join(' ');
  return html`<svg class="spark" viewBox="0 0 200 42" width="200" height="42"><polyline points=${pts} /></svg>`;
}

/** Throughput, latency and faults per itinerary and step, sessions, outboxes and queues; polled every 2 s. */
export function LiveView() {
  const [snap, setSnap] = useState<LiveSnapshot>();
  const [error, setError] = useState<Error>();
  const [history, setHistory] = useState<number[]>([]);
  const [updates, setUpdates] = useState(0);
  const poll = () =>
    api<LiveSnapshot>('/live').then(
      (s) => {
        setSnap(s);
        setError(undefined);
        setUpdates((u) => u + 1);
        const total = s.itineraries.filter((r) => !r.step).reduce((a, r) => a + (r.throughputPerSec ?? 0), 0);
        setHistory((h) => [...h, total].slice(-HISTORY));
      },
      (err: Error) => setError(err),
    );
  useEffect(() => void poll(), []);
  useInterval(poll, LIVE_EVERY_MS);
  const rows = [...(snap?.itineraries ?? [])].sort((a, b) => a.itinerary.localeCompare(b.itinerary) || (a.step ?? '').localeCompare(b.step ?? ''));
  return html`<section class="live" data-updates=${updates}>
    <h1>Live <span class="muted live-at">${snap ? `as of ${time(snap.at)}` : ''}</span></h1>
    <${Problem} error=${error} />
    <div class="cards">
      <div class="card">
        <div class="label">duplex sessions open</div>
        <div class="figure sessions-open">${snap?.sessions.open ?? '–'}</div>
      </div>
      <div class="card">
        <div class="label">messages/s (all itineraries)</div>
        <div class="figure">${fmt(history.at(-1))}</div>
        <${Spark} values=${history} />
      </div>
      <div class="card">
        <div class="label">faults (last ${snap?.windowSeconds ? Math.round(snap.windowSeconds) : '–'} s)</div>
        <div class="figure">${rows.filter((r) => !r.step).reduce((a, r) => a + r.faults, 0)}</div>
      </div>
    </div>
    <h2>Itineraries and steps</h2>
    <table class="rows live-table">
      <thead>
        <tr>
          <th>itinerary</th>
          <th>step</th>
          <th>msg/s</th>
          <th>p50 ms</th>
          <th>p95 ms</th>
          <th>faults</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (r) =>
            html`<tr class=${r.step ? 'step-row' : 'itinerary-row'} data-itinerary=${r.itinerary} data-step=${r.step ?? ''}>
              <td>${r.step ? '' : r.itinerary}</td>
              <td>${r.step ?? '(all steps)'}</td>
              <td class="throughput">${fmt(r.throughputPerSec, 2)}</td>
              <td>${fmt(r.p50Ms)}</td>
              <td>${fmt(r.p95Ms)}</td>
              <td class=${r.faults ? 'faults-count bad' : 'faults-count'}>${r.faults}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <div class="split">
      <div>
        <h2>Queues</h2>
        <table class="rows queues-table">
          <thead>
            <tr>
              <th>queue</th>
              <th>waiting</th>
              <th>active</th>
              <th>delayed</th>
            </tr>
          </thead>
          <tbody>
            ${(snap?.queues ?? []).map(
              (q) =>
                html`<tr>
                  <td>${q.name}</td>
                  <td>${q.waiting}</td>
                  <td>${q.active}</td>
                  <td>${q.delayed}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
      <div>
        <h2>Outboxes</h2>
        <table class="rows outboxes-table">
          <thead>
            <tr>
              <th>session</th>
              <th>callbacks waiting</th>
            </tr>
          </thead>
          <tbody>
            ${(snap?.outboxes ?? []).map(
              (o) =>
                html`<tr>
                  <td>${o.session}</td>
                  <td>${o.depth}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
    </div>
  </section>`;
}
