// isacd coordinators' dashboard: plain ES modules, no framework, no build step.
//
// It talks to this origin's /v1/coord API only, with the coordinator's bearer
// token, which lives in sessionStorage (this tab) and in the Authorization
// header, never in a URL. Pages are hash routes:
//   #/queue  #/incident/<id>  #/bulletins  #/orgs  #/orgs/<id>  #/stats  #/audit
// This module signs in and out and routes; each page is its own module.

import { $, ApiError, TOKEN_KEY, api, hooks, session, setText, show } from './core.js';
import { startStream, stopStream } from './stream.js';
import { initQueue, resetQueue, showQueue, stopQueue } from './queue.js';
import { initIncident, openIncident, resetIncident, stopIncident } from './incident.js';
import { resetBulletins, showBulletins } from './bulletins.js';
import { leaveOrg, resetOrgs, showOrg, showOrgs } from './orgs.js';
import { resetStats, showStats } from './stats.js';
import { resetAudit, showAudit } from './audit.js';

const VIEWS = ['signin', 'queue', 'incident', 'bulletins', 'orgs', 'org', 'stats', 'audit'];
const TITLES = { queue: 'Queue', bulletins: 'Bulletins', orgs: 'Organizations', stats: 'Statistics', audit: 'Audit log' };

// ---- sign in / out ---------------------------------------------------------

function signInError(err) {
  if (!(err instanceof ApiError)) return String(err);
  if (err.status === 401) return `This token is unknown or revoked. ${err.describe()}`;
  if (err.status === 403) return `This token is not a coordinator's. ${err.describe()}`;
  return err.describe();
}

async function signIn(ev) {
  ev.preventDefault();
  const input = $('token');
  const token = input.value.trim();
  setText($('signin-error'), '');
  $('signin-note').textContent = '';
  if (!token) {
    setText($('signin-error'), 'Enter a token.');
    input.focus();
    return;
  }
  const button = $('signin-submit');
  button.disabled = true;
  try {
    await api('/v1/coord/incidents?limit=1', { token });
  } catch (err) {
    setText($('signin-error'), signInError(err));
    input.select();
    input.focus();
    return;
  } finally {
    button.disabled = false;
  }
  input.value = '';
  session.token = token;
  sessionStorage.setItem(TOKEN_KEY, token);
  startStream();
  route();
}

function signOut(note) {
  sessionStorage.removeItem(TOKEN_KEY);
  session.token = null;
  stopStream();
  // forget what was shown, too
  resetQueue();
  resetIncident();
  resetBulletins();
  resetOrgs();
  resetStats();
  resetAudit();
  if (location.hash && location.hash !== '#/') history.replaceState(null, '', '#/');
  route();
  $('signin-note').textContent = typeof note === 'string' ? note : 'Signed out.';
}

// ---- routing ---------------------------------------------------------------

function showView(name) {
  for (const v of VIEWS) show($(`view-${v}`), v === name);
  show($('who'), name !== 'signin');
  show($('nav'), name !== 'signin');
  const section = { incident: 'queue', org: 'orgs' }[name] || name;
  for (const a of $('nav').querySelectorAll('a')) {
    if (a.dataset.page === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (TITLES[name]) document.title = `${TITLES[name]} · isacd`;
}

function parse(hash) {
  const h = hash.replace(/^#/, '');
  let m = /^\/incidents?\/([0-9a-fA-F-]{1,64})$/.exec(h);
  if (m) return ['incident', m[1]];
  m = /^\/orgs\/([0-9a-fA-F-]{1,64})$/.exec(h);
  if (m) return ['org', m[1]];
  m = /^\/(queue|bulletins|orgs|stats|audit)$/.exec(h);
  if (m) return [m[1], null];
  return ['queue', null];
}

let current = null;

function route() {
  if (!session.token) {
    stopQueue();
    stopIncident();
    current = null;
    showView('signin');
    setText($('signin-error'), '');
    $('token').focus();
    return;
  }
  const [page, id] = parse(location.hash);
  const moved = current !== `${page}/${id}`;
  current = `${page}/${id}`;
  if (page !== 'queue') stopQueue();
  if (page !== 'incident') stopIncident();
  if (page !== 'org') leaveOrg();
  showView(page);
  switch (page) {
    case 'incident': openIncident(id); break;
    case 'org': showOrg(id); break;
    case 'bulletins': showBulletins(); break;
    case 'orgs': showOrgs(); break;
    case 'stats': showStats(); break;
    case 'audit': showAudit(); break;
    default: showQueue();
  }
  // a new page: the focus goes to its heading (the incident and an organization do it once loaded)
  if (moved && page !== 'incident' && page !== 'org') {
    const heading = $(`${page}-h`);
    if (heading) heading.focus();
  }
}

// ---- start -----------------------------------------------------------------

function start() {
  hooks.signOut = signOut;
  initQueue();
  initIncident();
  $('signin-form').addEventListener('submit', signIn);
  $('signout').addEventListener('click', () => signOut());
  window.addEventListener('hashchange', route);
  session.token = sessionStorage.getItem(TOKEN_KEY);
  if (session.token) startStream();
  route();
}

start();
