export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: any;
}

export async function request(
  url: string,
  init: { method?: string; token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<HttpAnswer> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  let body: string | undefined = init.raw;
  if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(url, { method: init.method ?? (body !== undefined ? 'POST' : 'GET'), headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

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
