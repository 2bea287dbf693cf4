import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { signIn, type Credential } from './api';

/**
 * The operator's credential: the bus's ITINERA_ADMIN_TOKEN, an operator JWT (both sent as
 * `Authorization: Bearer`) or an operator API key (`X-API-Key`). Kept in sessionStorage only.
 */
export function SignIn({ reason, onDone }: { reason?: string; onDone(): void }) {
  const [kind, setKind] = useState<Credential['kind']>('bearer');
  const submit = (e: Event) => {
    e.preventDefault();
    const value = String(new FormData(e.target as HTMLFormElement).get('credential') ?? '').trim();
    signIn(value ? { kind, value } : undefined);
    onDone();
  };
  return html`<form class="sign-in panel" onSubmit=${submit}>
    <h1>Sign in</h1>
    <p>${reason ?? 'The operator endpoints of this bus need a credential.'}</p>
    <label><input type="radio" name="kind" checked=${kind === 'bearer'} onChange=${() => setKind('bearer')} /> Admin token or JWT (Bearer)</label>
    <label><input type="radio" name="kind" checked=${kind === 'apiKey'} onChange=${() => setKind('apiKey')} /> API key with role:operator</label>
    <input class="credential" type="password" name="credential" autocomplete="off" placeholder="credential" autofocus />
    <button type="submit" class="primary">Sign in</button>
    <p class="muted">Kept in this tab only (sessionStorage) and sent with every request of the console.</p>
  </form>`;
}
