// stream.js — the coordinators' live stream, GET /v1/coord/stream.
//
// EventSource cannot send an Authorization header, and the token never goes
// into a URL, so the stream is read with fetch() and a ReadableStream and
// parsed here (Server-Sent Events: id/event/data lines, a blank line ends an
// event, ':' lines are keep-alives). After a drop it reconnects with
// Last-Event-ID, so nothing in between is missed. A 404 means this server has
// no coordinator stream: the pages then poll instead (state 'unavailable').

import { ApiError, authHeaders, session, sessionLost } from './core.js';

const PATH = '/v1/coord/stream';
const SILENCE_MS = 45_000; // the server sends a keep-alive every 15 s: this much silence is a drop
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;

// state: 'off' (signed out), 'connecting', 'live', 'retrying', 'unavailable' (404)
export const stream = { state: 'off', lastId: null };

const auditListeners = [];
const stateListeners = [];
let gen = 0;
let ctrl = null;
let retryTimer = null;
let silenceTimer = null;
let backoff = RETRY_MIN_MS;

// fn(entry) for each audit event; fn(null) each time the stream (re)opens
// (events before it, or while it was down, were not seen: look again).
export function onAudit(fn) {
  auditListeners.push(fn);
}

export function onStreamState(fn) {
  stateListeners.push(fn);
}

function setState(next) {
  if (stream.state === next) return;
  stream.state = next;
  for (const fn of stateListeners) fn(next);
}

export function startStream() {
  if (stream.state !== 'off' || !session.token) return;
  backoff = RETRY_MIN_MS;
  connect(false);
}

export function stopStream() {
  gen++;
  clearTimeout(retryTimer);
  clearTimeout(silenceTimer);
  if (ctrl) ctrl.abort();
  ctrl = null;
  stream.lastId = null;
  setState('off');
}

function retryLater() {
  clearTimeout(silenceTimer);
  ctrl = null;
  setState('retrying');
  const wait = backoff;
  backoff = Math.min(backoff * 2, RETRY_MAX_MS);
  const my = gen;
  retryTimer = setTimeout(() => {
    if (my === gen && session.token) connect(true);
  }, wait);
}

function armSilence(my) {
  clearTimeout(silenceTimer);
  silenceTimer = setTimeout(() => {
    if (my === gen && ctrl) ctrl.abort(); // the read below fails and we reconnect
  }, SILENCE_MS);
}

async function connect(again) {
  const my = ++gen;
  if (!again) setState('connecting');
  ctrl = new AbortController();
  const headers = { Accept: 'text/event-stream', ...authHeaders() };
  if (stream.lastId) headers['Last-Event-ID'] = stream.lastId;
  let res;
  try {
    res = await fetch(PATH, { headers, signal: ctrl.signal, cache: 'no-store', credentials: 'omit', redirect: 'error' });
  } catch {
    if (my === gen) retryLater();
    return;
  }
  if (my !== gen) return;
  if (!res.ok) {
    let problem = null;
    try {
      problem = await res.json();
    } catch {
      problem = null;
    }
    if (my !== gen) return;
    ctrl = null;
    if (res.status === 404) {
      setState('unavailable');
    } else if (res.status === 401) {
      sessionLost(new ApiError(401, problem));
    } else {
      if (res.status === 400) stream.lastId = null; // a position this server does not know: start afresh
      retryLater();
    }
    return;
  }
  backoff = RETRY_MIN_MS;
  setState('live');
  for (const fn of auditListeners) fn(null); // whatever happened before (or while down): look again
  armSilence(my);
  try {
    await read(res.body, my);
  } catch {
    // aborted (signed out, or silence) or the connection dropped
  }
  if (my === gen) retryLater();
}

async function read(body, my) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  let ev = { id: null, event: 'message', data: [] };
  for (;;) {
    const { value, done } = await reader.read();
    if (done || my !== gen) return;
    armSilence(my);
    buf += value;
    let nl;
    while ((nl = buf.search(/\r\n|\r|\n/)) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + (buf.startsWith('\r\n', nl) ? 2 : 1));
      if (line === '') {
        if (ev.data.length) dispatch(ev);
        ev = { id: null, event: 'message', data: [] };
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const name = colon < 0 ? line : line.slice(0, colon);
      let val = colon < 0 ? '' : line.slice(colon + 1);
      if (val.startsWith(' ')) val = val.slice(1);
      if (name === 'data') ev.data.push(val);
      else if (name === 'event') ev.event = val;
      else if (name === 'id' && !val.includes('\0')) ev.id = val;
    }
  }
}

function dispatch(ev) {
  if (ev.id !== null) stream.lastId = ev.id;
  if (ev.event !== 'audit') return;
  let entry;
  try {
    entry = JSON.parse(ev.data.join('\n'));
  } catch {
    return;
  }
  for (const fn of auditListeners) fn(entry);
}
