/* global URLSearchParams, location, sessionStorage */
// The demo page: the chat and calculator samples, each over its own duplex session
// (as each WCF service proxy has its own session, so one sample's per-session state
// never touches the other's). Uses the browser bundle of the client (window.Itinera,
// served at /client/itinera.js).
(function () {
  'use strict';
  const { ItineraClient } = window.Itinera;
  const $ = (id) => document.getElementById(id);

  const params = new URLSearchParams(location.search);
  const TRANSPORTS = ['websocket', 'long-polling'];
  const initialTransport = TRANSPORTS.includes(params.get('transport')) ? params.get('transport') : sessionStorage.getItem('itinera.transport') || 'websocket';
  $(`transport-${initialTransport}`).checked = true;

  function log(text) {
    const li = document.createElement('li');
    li.textContent = `${new Date().toLocaleTimeString()} ${text}`;
    $('log').prepend(li);
  }

  /**
   * One client per sample (`panel` is the id prefix of its elements). The session is kept
   * in sessionStorage, so a reload of this tab resumes it.
   */
  function makeClient(panel, label) {
    const key = `itinera.session.${panel}`;
    let resume;
    try {
      resume = params.has('fresh') ? undefined : JSON.parse(sessionStorage.getItem(key) || 'null') || undefined;
    } catch {
      resume = undefined;
    }
    const client = new ItineraClient({ transport: initialTransport, resume, reconnect: { minDelayMs: 250, maxDelayMs: 5000 } });
    const save = () => {
      const info = client.resumeInfo;
      if (info) sessionStorage.setItem(key, JSON.stringify(info));
    };
    const setStatus = (state) => {
      const el = $(`${panel}-status`);
      el.textContent = state === 'connected' ? `connected (${client.transport === 'websocket' ? 'WebSocket' : 'long polling'})` : state;
      el.className = `status status-${state}`;
      el.dataset.state = state;
      el.dataset.transport = client.transport || '';
      $(`${panel}-session`).textContent = client.session ? client.session.slice(0, 8) : '–';
    };
    client.onCallback((_body, frame) => {
      $(`${panel}-seq`).textContent = String(frame.seq);
      save();
    });
    client.onFault((error, frame) => {
      $(`${panel}-error`).textContent = `${error.code}: ${error.message}`;
      $(`${panel}-seq`).textContent = String(frame.seq);
      log(`${label}: fault ${error.code} (seq ${frame.seq})`);
    });
    client.onEvent('connected', (e) => (setStatus('connected'), save(), log(`${label}: connected over ${e.transport}, session ${e.session}`)));
    client.onEvent('resumed', (e) => (setStatus('connected'), log(`${label}: resumed over ${e.transport} after seq ${e.lastSeq}`)));
    client.onEvent('disconnected', (e) => (setStatus(e.willReconnect ? 'reconnecting' : 'closed'), log(`${label}: disconnected (${e.reason})`)));
    client.onEvent('closing', (e) => log(`${label}: server closing (${e.reason}${e.retryAfterMs ? `, back in ${e.retryAfterMs} ms` : ''})`));
    client.onEvent('expired', (e) => log(`${label}: session ${e.session} expired; starting a new one`));
    client.onEvent('fallback', () => log(`${label}: WebSocket unavailable, using long polling`));
    client.onEvent('error', (e) => log(`${label}: error ${e.error && e.error.message}`));

    /** Send; a refusal shows in the panel. Resolves with the accepted frame or undefined. */
    async function send(itinerary, action, body) {
      $(`${panel}-error`).textContent = '';
      try {
        return await client.send(itinerary, action, body);
      } catch (err) {
        $(`${panel}-error`).textContent = `${err.code}: ${err.message}`;
        log(`${label}: ${action} refused (${err.code})`);
        return undefined;
      }
    }

    function start() {
      setStatus('connecting');
      client.connect().catch((err) => {
        setStatus('closed');
        log(`${label}: cannot connect (${err.message})`);
      });
    }

    async function switchTo(transport) {
      setStatus('connecting');
      try {
        await client.switchTransport(transport);
      } catch (err) {
        log(`${label}: switch failed (${err.message})`);
      }
    }

    window.addEventListener('pagehide', save);
    return { client, send, start, switchTo };
  }

  // ---- chat: RegisterClient / SendMessage / UnRegisterClient, NotifyClient callbacks ----
  const chat = makeClient('chat', 'chat');
  let chatClientId = sessionStorage.getItem('itinera.chat.clientId') || undefined;
  const showClientId = () => {
    $('chat-client-id').textContent = chatClientId || '–';
    $('chat-unregister').disabled = !chatClientId;
    if (chatClientId) sessionStorage.setItem('itinera.chat.clientId', chatClientId);
    else sessionStorage.removeItem('itinera.chat.clientId');
  };
  if (params.has('fresh')) chatClientId = undefined;
  showClientId();
  chat.client.bind({
    NotifyClient(body) {
      const li = document.createElement('li');
      li.textContent = body.text;
      $('chat-messages').append(li);
      li.scrollIntoView({ block: 'nearest' });
      if (body.clientId) {
        chatClientId = body.clientId;
        showClientId();
      }
    },
  });
  chat.client.onEvent('expired', () => {
    chatClientId = undefined;
    showClientId();
  });
  $('chat-register-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    void chat.send('chat', 'RegisterClient', { name: $('chat-name').value.trim() });
  });
  $('chat-unregister').addEventListener('click', async () => {
    if (chatClientId && (await chat.send('chat', 'UnRegisterClient', { clientId: chatClientId }))) {
      chatClientId = undefined;
      showClientId();
    }
  });
  $('chat-send-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const input = $('chat-text');
    if (await chat.send('chat', 'SendMessage', { text: input.value })) input.value = '';
  });

  // ---- calculator: AddTo / SubtractFrom / MultiplyBy / DivideBy / Clear, Result and Equation callbacks ----
  const calc = makeClient('calc', 'calculator');
  calc.client.bind({
    Result(body) {
      $('calc-result').textContent = String(body.result);
    },
    Equation(body) {
      $('calc-equation').textContent = body.equation;
      $('calc-result').textContent = '0';
    },
  });
  for (const button of document.querySelectorAll('button[data-op]')) {
    button.addEventListener('click', () => {
      const op = button.dataset.op;
      void calc.send('calculator', op, op === 'Clear' ? {} : { n: Number($('calc-n').value) });
    });
  }

  // ---- transport switch: both sessions move, keeping their sequence ----
  for (const radio of document.querySelectorAll('input[name="transport"]')) {
    radio.addEventListener('change', () => {
      sessionStorage.setItem('itinera.transport', radio.value);
      log(`switching to ${radio.value}`);
      void chat.switchTo(radio.value);
      void calc.switchTo(radio.value);
    });
  }

  chat.start();
  calc.start();
  // For tests and the console.
  window.itineraDemo = { chat: chat.client, calculator: calc.client };
})();
