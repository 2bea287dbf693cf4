/* global URLSearchParams, location, sessionStorage */
// The demo page: the chat and calculator samples over one duplex session.
// Uses the browser bundle of the client (window.Itinera, served at /client/itinera.js).
(function () {
  'use strict';
  const { ItineraClient } = window.Itinera;
  const $ = (id) => document.getElementById(id);

  const params = new URLSearchParams(location.search);
  const TRANSPORTS = ['websocket', 'long-polling'];
  const initialTransport = TRANSPORTS.includes(params.get('transport'))
    ? params.get('transport')
    : sessionStorage.getItem('itinera.transport') || 'websocket';
  $(`transport-${initialTransport}`).checked = true;

  // Keep the session across reloads of this tab (a reload resumes it).
  let resume;
  try {
    resume = params.has('fresh') ? undefined : JSON.parse(sessionStorage.getItem('itinera.session') || 'null') || undefined;
  } catch {
    resume = undefined;
  }

  const client = new ItineraClient({ transport: initialTransport, resume, reconnect: { minDelayMs: 250, maxDelayMs: 5000 } });
  const saveSession = () => {
    const info = client.resumeInfo;
    if (info) sessionStorage.setItem('itinera.session', JSON.stringify(info));
  };

  function log(text) {
    const li = document.createElement('li');
    li.textContent = `${new Date().toLocaleTimeString()} ${text}`;
    $('log').prepend(li);
  }

  function setStatus(state) {
    const el = $('status');
    el.textContent = state === 'connected' ? `connected (${client.transport === 'websocket' ? 'WebSocket' : 'long polling'})` : state;
    el.className = `status status-${state}`;
    el.dataset.state = state;
    el.dataset.transport = client.transport || '';
    $('session').textContent = client.session ? client.session.slice(0, 8) : '–';
  }

  // Which panel a message belongs to, so its fault lands there.
  const panelOf = new Map();
  async function send(panel, itinerary, action, body) {
    const errorEl = $(`${panel}-error`);
    errorEl.textContent = '';
    try {
      const accepted = await client.send(itinerary, action, body);
      panelOf.set(accepted.id, panel);
      return accepted;
    } catch (err) {
      errorEl.textContent = `${err.code}: ${err.message}`;
      log(`${action} refused: ${err.code}`);
      return undefined;
    }
  }

  // ---- callbacks (the callback contract of both samples) ----
  let chatClientId;
  client.bind({
    NotifyClient(body) {
      const li = document.createElement('li');
      li.textContent = body.text;
      $('chat-messages').append(li);
      li.scrollIntoView({ block: 'nearest' });
      if (body.clientId) {
        chatClientId = body.clientId;
        $('chat-client-id').textContent = chatClientId;
        $('chat-unregister').disabled = false;
      }
    },
    Result(body) {
      $('calc-result').textContent = String(body.result);
    },
    Equation(body) {
      $('calc-equation').textContent = body.equation;
      $('calc-result').textContent = '0';
    },
  });
  client.onFault((error, frame) => {
    const panel = panelOf.get(frame.id) || (error.code === 'DIVIDE_BY_ZERO' ? 'calc' : error.code === 'NOT_REGISTERED' ? 'chat' : undefined);
    if (panel) $(`${panel}-error`).textContent = `${error.code}: ${error.message}`;
    log(`fault ${error.code} (seq ${frame.seq})`);
  });
  client.onCallback((_body, frame) => {
    $('seq').textContent = String(frame.seq);
    saveSession();
  });

  // ---- connection events ----
  client.onEvent('connected', (e) => (setStatus('connected'), saveSession(), log(`connected over ${e.transport}, session ${e.session}`)));
  client.onEvent('resumed', (e) => (setStatus('connected'), log(`resumed over ${e.transport} after seq ${e.lastSeq}`)));
  client.onEvent('disconnected', (e) => (setStatus(e.willReconnect ? 'reconnecting' : 'closed'), log(`disconnected (${e.reason})`)));
  client.onEvent('closing', (e) => log(`server closing: ${e.reason}${e.retryAfterMs ? `, back in ${e.retryAfterMs} ms` : ''}`));
  client.onEvent('expired', (e) => {
    log(`session ${e.session} expired; starting a new one`);
    chatClientId = undefined;
    $('chat-client-id').textContent = '–';
    $('chat-unregister').disabled = true;
  });
  client.onEvent('fallback', () => log('WebSocket unavailable: using long polling'));
  client.onEvent('error', (e) => log(`error: ${e.error && e.error.message}`));

  // ---- controls ----
  $('chat-register-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    void send('chat', 'chat', 'RegisterClient', { name: $('chat-name').value.trim() });
  });
  $('chat-unregister').addEventListener('click', async () => {
    if (!chatClientId) return;
    if (await send('chat', 'chat', 'UnRegisterClient', { clientId: chatClientId })) {
      chatClientId = undefined;
      $('chat-client-id').textContent = '–';
      $('chat-unregister').disabled = true;
    }
  });
  $('chat-send-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const input = $('chat-text');
    if (await send('chat', 'chat', 'SendMessage', { text: input.value })) input.value = '';
  });
  for (const button of document.querySelectorAll('button[data-op]')) {
    button.addEventListener('click', () => {
      const op = button.dataset.op;
      void send('calc', 'calculator', op, op === 'Clear' ? {} : { n: Number($('calc-n').value) });
    });
  }
  for (const radio of document.querySelectorAll('input[name="transport"]')) {
    radio.addEventListener('change', async () => {
      sessionStorage.setItem('itinera.transport', radio.value);
      setStatus('connecting');
      log(`switching to ${radio.value}`);
      try {
        await client.switchTransport(radio.value);
      } catch (err) {
        log(`switch failed: ${err.message}`);
      }
    });
  }
  window.addEventListener('pagehide', () => saveSession());

  setStatus('connecting');
  client.connect().catch((err) => {
    setStatus('closed');
    log(`cannot connect: ${err.message}`);
  });
  // For tests and the console.
  window.itineraDemo = { client };
})();
