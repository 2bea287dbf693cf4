import { http, type HttpAnswer } from '../../support/http';

export type { HttpAnswer };
/** The shared JSON request helper (`token` sets `Authorization: Bearer`). */
export const request = http;

/** A long-polling duplex session driven by hand. */
export class PollProbe {
  constructor(
    readonly base: string,
    readonly session: string,
    readonly token: string,
  ) {}

  static async start(base: string): Promise<PollProbe & { created: any }> {
    const r = await request(`${base}/duplex/sessions`, { method: 'POST' });
    if (r.status !== 201) throw new Error(`create failed: ${r.status} ${JSON.stringify(r.body)}`);
    return Object.assign(new PollProbe(base, r.body.session, r.body.token), { created: r.body });
  }

  get url(): string {
    return `${this.base}/duplex/sessions/${this.session}`;
  }

  send(id: string, itinerary: string, action: string, body?: unknown, token: string | null = this.token): Promise<HttpAnswer> {
    return request(`${this.url}/messages`, { token: token ?? undefined, body: { id, itinerary, action, body } });
  }

  poll(after?: number, token: string | null = this.token): Promise<HttpAnswer> {
    return request(`${this.url}/poll${after === undefined ? '' : `?after=${after}`}`, { token: token ?? undefined });
  }

  end(token: string | null = this.token): Promise<HttpAnswer> {
    return request(this.url, { method: 'DELETE', token: token ?? undefined });
  }
}
