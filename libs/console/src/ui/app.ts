import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { credential, onDenied, signIn } from './api';
import { ActivitiesView } from './activities.view';
import { AuditView } from './audit.view';
import { FaultsView } from './faults.view';
import { useRoute } from './hooks';
import { ItinerariesView } from './itineraries.view';
import { LiveView } from './live.view';
import { MessagesView } from './messages.view';
import { SignIn } from './sign-in.view';

/** The sections, in the order of the navigation bar. */
const SECTIONS = [
  { id: 'itineraries', label: 'Itineraries', view: ItinerariesView },
  { id: 'messages', label: 'Messages', view: MessagesView },
  { id: 'faults', label: 'Faults', view: FaultsView },
  { id: 'live', label: 'Live', view: LiveView },
  { id: 'activities', label: 'Activity', view: ActivitiesView },
  { id: 'audit', label: 'Audit', view: AuditView },
] as const;

export function App() {
  const route = useRoute();
  const [denied, setDenied] = useState<string>();
  // Signing in again remounts the section, so it loads with the new credential.
  const [epoch, setEpoch] = useState(0);
  useEffect(
    () =>
      onDenied((err) => {
        // A refused credential is forgotten, so no further call sends it; the first refusal's words stay.
        if (err.credentialSent) signIn(undefined);
        const said = `${err.credentialSent ? 'The bus refused that credential. ' : ''}${err.code}: ${err.message}`;
        setDenied((before) => (before?.startsWith('The bus refused') ? before : said));
      }),
    [],
  );
  const section = SECTIONS.find((s) => s.id === route.path[0]) ?? SECTIONS[0];
  const View = section.view as (p: { route: typeof route }) => any;
  const signedIn = !!credential();
  return html`<div class="app">
    <header>
      <a class="brand" href="#/">Itinera console</a>
      <nav>${SECTIONS.map((s) => html`<a class=${s === section ? 'active' : ''} href=${`#/${s.id}`} data-section=${s.id}>${s.label}</a>`)}</nav>
      <span class="who">
        ${
          signedIn
            ? html`<button
                class="sign-out"
                onClick=${() => {
                  signIn(undefined);
                  setEpoch((e) => e + 1);
                }}
              >
                Sign out
              </button>`
            : html`<button class="sign-in-open" onClick=${() => setDenied('Sign in with an operator credential.')}>Sign in</button>`
        }
      </span>
    </header>
    <main>
      ${
        denied
          ? html`<${SignIn}
              reason=${denied}
              onDone=${() => {
                setDenied(undefined);
                setEpoch((e) => e + 1);
              }}
            />`
          : html`<${View} key=${`${section.id}:${epoch}`} route=${route} />`
      }
    </main>
  </div>`;
}
