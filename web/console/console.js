// SPDX-License-Identifier: Apache-2.0
// The operator's console: asks for the admin key once, then polls the admin API (/api/)
// every second and draws what it answers. No framework, no dependency: the server serves
// this file as it is, under a Content-Security-Policy that allows no other script.

const PERIOD = 1000;             // ms between two polls
const SAMPLES = 60;              // points per chart: a minute
const PAGE = 100;                // members shown at first, and added by "Show more"
const CHANNELS_SHOWN = 100;      // the largest channels listed; a filter finds the others
const ARMED_FOR = 4000;          // ms a disconnect button waits for its confirmation
const KEY_STORE = 'presence-admin-key';
const RATES = [
  ['joins', 'Joins'], ['leaves', 'Leaves'], ['publishes', 'Publishes'],
  ['deliveries', 'Deliveries'], ['errors', 'Errors'],
];
const SVG = 'http://www.w3.org/2000/svg';

const $ = (id) => document.getElementById(id);
const number = new Intl.NumberFormat('en');

// Builds an element; children are nodes or strings (inserted as text, never as HTML).
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function svg(tag, attributes = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

// ---- The admin API ----

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

let key = sessionStorage.getItem(KEY_STORE) || '';

// One call: the key as a bearer token, JSON both ways. Throws ApiError with the server's
// message, or with status 0 when the server could not be reached.
async function api(path, body) {
  const headers = { Authorization: `Bearer ${key}` };
  if (body) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(`/api/${path}`, {
      method: body ? 'POST' : 'GET', headers, body: body && JSON.stringify(body),
      cache: 'no-store', credentials: 'omit', redirect: 'error',
    });
  } catch {
    throw new ApiError(0, 'the server cannot be reached');
  }
  const answer = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, answer?.error?.message || `HTTP ${res.status}`);
  return answer;
}

const query = (params) => new URLSearchParams(Object.entries(params).filter(([, v]) => v !== '')).toString();

// ---- State ----

let namespace = '';
let selected = null;        // the channel whose members are shown; '' for everyone
let shown = PAGE;           // how many of its members are asked for
let lastChannels = { channels: [], total: 0, everyone: 0 };  // the answer of /api/channels
const samplesOf = new Map(RATES.map(([name]) => [name, []]));  // name -> rates per second, oldest first
let previous = null;        // { at, totals } of the last poll
let timer = null;
let polling = false;
let again = false;

// ---- Signing in and out ----

function showState(state, text, title = '') {
  const node = $('poll-state');
  node.dataset.state = state;
  node.textContent = text;
  node.title = title;
}

async function signIn(event) {
  event.preventDefault();
  key = $('key-input').value;
  $('key-error').textContent = '';
  $('key-button').disabled = true;
  showState('connecting', 'Checking the key…');
  try {
    const info = await api('info');
    sessionStorage.setItem(KEY_STORE, key);
    $('key-input').value = '';
    showConsole(info);
  } catch (e) {
    key = '';
    if (e.status === 401) showState('refused', 'Key refused');
    else showState('signed-out', 'Signed out');
    $('key-error').textContent = refusal(e);
  } finally {
    $('key-button').disabled = false;
  }
}

function refusal(e) {
  if (e.status === 401) return 'The server refused this key (401): it is not the admin key.';
  if (e.status === 404) return 'This server has no admin API here (404): no admin key is set, or it has an admin address of its own.';
  if (e.status === 0) return 'The server cannot be reached. Is it running?';
  return `The server answered ${e.status}: ${e.message}`;
}

function showConsole(info) {
  $('key-section').hidden = true;
  $('console').hidden = false;
  $('sign-out').hidden = false;
  samplesOf.forEach((samples) => samples.splice(0));
  previous = null;
  showNamespaces(info.namespaces);
  refresh();
}

function signOut(message = '') {
  clearTimeout(timer);
  timer = null;
  key = '';
  sessionStorage.removeItem(KEY_STORE);
  selected = null;
  $('console').hidden = true;
  $('sign-out').hidden = true;
  $('namespace-field').hidden = true;
  $('server').textContent = '';
  $('key-section').hidden = false;
  $('key-error').textContent = message;
  showState(message ? 'refused' : 'signed-out', message ? 'Key refused' : 'Signed out');
  $('key-input').focus();
}

// ---- Polling ----

// Polls now, or right after the poll in flight; then every PERIOD.
function refresh() {
  if (polling) {
    again = true;
    return;
  }
  clearTimeout(timer);
  poll();
}

async function poll() {
  polling = true;
  try {
    const wanted = selected;
    const match = $('channel-filter').value.trim();
    const [info, channels, members] = await Promise.all([
      api('info'),
      api(`channels?${query({ namespace, top: CHANNELS_SHOWN, match })}`),
      wanted === null ? null : api(`members?${query({ channel: wanted, namespace, limit: shown })}`),
    ]);
    if (!key) return;  // signed out meanwhile
    draw(info, channels, wanted === selected ? members : undefined);
    const updated = `Updated ${new Date().toLocaleTimeString()}`;
    if (info.problem) showState('degraded', 'Degraded', updated);
    else showState('live', 'Live', updated);
    showBanner(info.problem ? `Engine trouble: ${info.problem}` : '', 'warn');
  } catch (e) {
    if (e.status === 401) return signOut('The server no longer accepts this key (401). Enter the admin key again.');
    if (e.status === 404 && /namespace/.test(e.message)) namespace = '';
    showState('retrying', 'Retrying…', e.message);
    showBanner(`No answer from the admin API: ${e.message}. Trying again every second.`, 'bad');
  } finally {
    polling = false;
  }
  if (!key) return;
  if (again) {
    again = false;
    return poll();
  }
  timer = setTimeout(poll, document.hidden ? PERIOD * 5 : PERIOD);
}

function showBanner(text, kind) {
  const banner = $('banner');
  banner.hidden = !text;
  banner.textContent = text;
  banner.dataset.kind = kind;
}

// ---- Drawing ----

function draw(info, channels, members) {
  lastChannels = channels;
  drawServer(info);
  setValue('connections', info.connections);
  setValue('members', info.members);
  setValue('channels', info.channels);
  setValue('nodes', info.nodes.length);
  $('engine').textContent = info.engine === 'redis' ? 'sharing Redis' : 'memory engine';
  $('members-note').textContent = info.engine === 'redis' ? 'every node' : 'this node';
  addSamples(info.totals);
  drawCharts(info.totals);
  drawChannels();
  drawNodes(info);
  if (members !== undefined) drawMembers(members);
}

function setValue(id, value) {
  const node = $(id);
  node.dataset.value = value;
  node.textContent = number.format(value);
}

function drawServer(info) {
  const node = info.node_id ? `node ${info.node_id}` : 'one node';
  $('server').textContent = `${location.host} · ${node} · ${info.engine} · v${info.version} · up ${duration(info.uptime_seconds)}`;
  showNamespaces(info.namespaces);
}

function duration(seconds) {
  const d = Math.floor(seconds / 86400), h = Math.floor(seconds / 3600) % 24;
  const m = Math.floor(seconds / 60) % 60, s = seconds % 60;
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${s}s`;
  return `${s}s`;
}

function showNamespaces(namespaces) {
  const select = $('namespace');
  $('namespace-field').hidden = namespaces.length < 2;
  const names = namespaces.join('\n');
  if (select.dataset.names !== names) {
    select.dataset.names = names;
    select.replaceChildren(...namespaces.map((guid) => el('option', { value: guid }, guid || '(default)')));
  }
  select.value = namespace;
}

// ---- Rates ----

// A rate per counter from the change since the last poll; a counter that went down (the
// server restarted) gives no rate this time.
function addSamples(totals) {
  const at = performance.now();
  if (previous) {
    const seconds = (at - previous.at) / 1000;
    for (const [name] of RATES) {
      const change = totals[name] - previous.totals[name];
      const samples = samplesOf.get(name);
      samples.push(change >= 0 && seconds > 0 ? change / seconds : null);
      if (samples.length > SAMPLES) samples.shift();
    }
  }
  previous = { at, totals };
}

function rateText(rate) {
  if (rate === null || rate === undefined) return '–';
  if (rate === 0) return '0';
  if (rate < 10) return rate.toFixed(1);
  return number.format(Math.round(rate));
}

function drawCharts(totals) {
  const charts = $('charts');
  if (!charts.children.length) charts.append(...RATES.map(([name, title]) => chartCard(name, title)));
  for (const [name] of RATES) {
    const card = charts.querySelector(`[data-rate="${name}"]`);
    const samples = samplesOf.get(name);
    const now = samples.at(-1);
    card.querySelector('.rate').textContent = rateText(now);
    card.dataset.total = totals[name];
    card.querySelector('.total').textContent = `${number.format(totals[name])} since start`;
    const peak = Math.max(0, ...samples.filter((v) => v !== null));
    card.dataset.peak = peak;
    card.querySelector('.peak').textContent = `peak ${rateText(peak)}/s`;
    plot(card.querySelector('svg'), samples, peak);
  }
}

function chartCard(name, title) {
  const chart = svg('svg', { viewBox: `0 0 ${SAMPLES - 1} 100`, preserveAspectRatio: 'none', 'aria-hidden': 'true' });
  chart.append(svg('path', { class: 'area' }), svg('path', { class: 'line' }),
               svg('line', { class: 'base', x1: 0, y1: 100, x2: SAMPLES - 1, y2: 100 }));
  return el('figure', { class: 'chart', dataset: { rate: name }, 'data-testid': `chart-${name}` },
    el('header', {}, el('span', { class: 'name' }, title), el('span', { class: 'rate' }, '–'), el('span', { class: 'unit' }, '/s')),
    chart,
    el('footer', {}, el('span', { class: 'total' }), el('span', { class: 'peak' })));
}

// The samples right-aligned on SAMPLES slots, scaled to the peak (a flat line at 0 when
// nothing happened); a missing sample breaks the line.
function plot(chart, samples, peak) {
  const top = peak > 0 ? peak * 1.15 : 1;
  const first = SAMPLES - samples.length;
  let line = '';
  let area = '';
  let run = [];
  const close = () => {
    if (run.length) area += `M${run[0][0]},100 L${run.map(([x, y]) => `${x},${y}`).join(' ')} L${run.at(-1)[0]},100 Z `;
    run = [];
  };
  samples.forEach((value, i) => {
    if (value === null) return close();
    const x = first + i;
    const y = (100 - (value / top) * 100).toFixed(2);
    line += `${run.length ? 'L' : 'M'}${x},${y} `;
    run.push([x, y]);
  });
  close();
  chart.querySelector('.line').setAttribute('d', line.trim() || 'M0,100');
  chart.querySelector('.area').setAttribute('d', area.trim() || 'M0,100');
}

// ---- Lists, updated in place ----

// Makes `list`'s children the items' elements in order, reusing the element of each key
// (so that a button keeps its state and focus across polls).
function syncList(list, items, keyOf, create, update) {
  const existing = new Map([...list.children].map((node) => [node.dataset.key, node]));
  const nodes = items.map((item) => {
    const k = keyOf(item);
    const node = existing.get(k) ?? create(item);
    node.dataset.key = k;
    update(node, item);
    return node;
  });
  nodes.forEach((node, i) => {
    if (list.children[i] !== node) list.insertBefore(node, list.children[i] ?? null);
  });
  while (list.children.length > nodes.length) list.lastElementChild.remove();
}

// ---- Channels ----

// The largest channels (matching the filter), as the server picked them; everyone first.
function drawChannels() {
  const { channels, total, everyone } = lastChannels;
  const filtered = $('channel-filter').value.trim() !== '';
  const biggest = Math.max(1, ...channels.map((c) => c.members));
  const rows = [...(filtered ? [] : [{ name: '', members: everyone, everyone: true }]), ...channels];
  $('channel-count').textContent = number.format(total);
  syncList($('channel-list'), rows, (c) => (c.everyone ? '' : `#${c.name}`), channelItem, (li, c) => {
    const button = li.firstElementChild;
    button.setAttribute('aria-pressed', String(selected === c.name));
    button.dataset.members = c.members;
    li.querySelector('.channel-count').textContent = number.format(c.members);
    li.querySelector('.bar > span').style.setProperty('--share', c.everyone ? 1 : c.members / biggest);
  });
  const more = $('channel-more');
  if (total > channels.length) more.textContent = `${number.format(total - channels.length)} more, smaller; filter to find one.`;
  else if (!total) more.textContent = filtered ? 'No channel matches.' : 'No channel has a member.';
  more.hidden = total > 0 && total <= channels.length;
}

function channelItem(c) {
  const label = c.everyone ? 'Everyone' : c.name;
  return el('li', { class: c.everyone ? 'everyone-item' : null, 'data-testid': 'channel', dataset: { channel: c.name } },
    el('button', { class: `channel${c.everyone ? ' everyone' : ''}`, type: 'button', 'aria-pressed': 'false', onclick: () => choose(c.name) },
      el('span', { class: 'channel-name', title: label }, label),
      el('span', { class: 'channel-count' }),
      el('span', { class: 'bar', 'aria-hidden': 'true' }, el('span'))));
}

function choose(channel) {
  selected = channel;
  shown = PAGE;
  $('member-list').replaceChildren();
  showStatus('');
  const { channels, everyone } = lastChannels;
  drawDetail(channel === '' ? everyone : channels.find((c) => c.name === channel)?.members ?? 0);
  drawChannels();
  refresh();
}

// ---- Nodes ----

function drawNodes(info) {
  $('node-count').textContent = number.format(info.nodes.length);
  syncList($('node-list'), info.nodes, (n) => `node:${n.id}`, (n) => el('li', { class: 'node', 'data-testid': 'node' },
    el('span', { class: 'node-id' }), n.self ? el('span', { class: 'badge' }, 'this node') : null,
    el('span', { class: 'node-members' })), (li, n) => {
    li.dataset.node = n.id;
    li.dataset.members = n.members;
    li.querySelector('.node-id').textContent = n.id || location.host;
    li.querySelector('.node-members').textContent = `${number.format(n.members)} member${n.members === 1 ? '' : 's'}`;
  });
  $('nodes-hint').textContent = info.engine === 'redis'
    ? 'Every node sharing Redis. Connections and rates are this node’s: open another node’s console for its own.'
    : 'The memory engine serves one node.';
}

// ---- Members of the chosen channel ----

function drawDetail(total = 0) {
  const chosen = selected !== null;
  $('detail-name').textContent = !chosen ? 'Members' : selected === '' ? 'Everyone' : `#${selected}`;
  $('detail-empty').hidden = chosen;
  $('publish-form').hidden = !chosen;
  $('publish-label').textContent = selected === '' ? 'Publish to everyone' : `Publish to #${selected}`;
  $('detail-count').textContent = number.format(total);
}

function drawMembers({ members, total }) {
  drawDetail(total);
  // A page is in the order of the ids; a whole list reads better by name.
  const whole = members.length < shown;
  const byName = (a, b) => (a.name || '').localeCompare(b.name || '') || a.id.localeCompare(b.id);
  syncList($('member-list'), whole ? [...members].sort(byName) : members, (m) => m.id, memberItem, (li, m) => {
    li.dataset.memberName = m.name;
    li.querySelector('.name').textContent = m.name || '(no name)';
    li.querySelector('.info').textContent = m.info;
    li.querySelector('.info').hidden = !m.info;
    li.querySelector('.avatar').textContent = ([...(m.name || '?').trim()][0] || '?').toUpperCase();
    li.querySelector('.avatar').style.setProperty('--hue', hue(m.name || m.id));
  });
  if (!members.length) {
    $('detail-empty').hidden = false;
    $('detail-empty').textContent = selected === '' ? 'Nobody is connected.' : `Nobody is in #${selected} now.`;
  } else {
    $('detail-empty').textContent = 'Choose a channel, or everyone, to see its members.';
  }
  $('member-more').hidden = whole || members.length >= total;
  $('member-more-text').textContent = `The first ${number.format(members.length)} of ${number.format(total)}, by id.`;
}

function hue(text) {
  let h = 0;
  for (const ch of text) h = (h * 31 + ch.codePointAt(0)) % 360;
  return h;
}

function memberItem(m) {
  const button = el('button', { class: 'danger small', type: 'button', 'data-testid': 'disconnect' });
  arm(button, m, false);
  button.addEventListener('click', () => disconnect(button, m));
  return el('li', { class: 'member', 'data-testid': 'member', dataset: { memberId: m.id } },
    el('span', { class: 'avatar', 'aria-hidden': 'true' }),
    el('div', { class: 'who' }, el('div', { class: 'name' }), el('div', { class: 'info' }), el('div', { class: 'id' }, m.id)),
    button);
}

function arm(button, m, armed) {
  const who = m.name || m.id;
  button.toggleAttribute('data-armed', armed);
  button.textContent = armed ? 'Confirm' : 'Disconnect';
  button.setAttribute('aria-label', armed ? `Confirm: disconnect ${who}` : `Disconnect ${who}`);
}

// The first click arms the button, the second (within ARMED_FOR) disconnects.
async function disconnect(button, m) {
  if (!button.hasAttribute('data-armed')) {
    arm(button, m, true);
    setTimeout(() => {
      if (!button.disabled) arm(button, m, false);
    }, ARMED_FOR);
    return;
  }
  button.disabled = true;
  try {
    await api('disconnect', { id: m.id, namespace });
    showStatus(`Disconnected ${m.name || '(no name)'} (${m.id}).`, 'ok');
  } catch (e) {
    showStatus(`Could not disconnect ${m.name || m.id}: ${e.message}.`, 'bad');
    button.disabled = false;
    arm(button, m, false);
  }
  refresh();
}

async function publish(event) {
  event.preventDefault();
  const input = $('publish-text');
  const channel = selected;
  const button = $('publish-button');
  button.disabled = true;
  try {
    const answer = await api('publish', { text: input.value, ...(channel ? { channel } : {}), namespace });
    const to = channel ? `#${channel}` : 'everyone';
    showStatus(`Published to ${to}: ${number.format(answer.members)} member${answer.members === 1 ? '' : 's'} reached.`, 'ok');
    input.value = '';
  } catch (e) {
    showStatus(`Could not publish: ${e.message}.`, 'bad');
  } finally {
    button.disabled = false;
  }
  refresh();
}

function showStatus(text, kind = '') {
  const node = $('action-status');
  node.textContent = text;
  node.dataset.kind = kind;
}

// ---- Start ----

$('key-form').addEventListener('submit', signIn);
$('sign-out').addEventListener('click', () => signOut());
$('publish-form').addEventListener('submit', publish);
$('channel-filter').addEventListener('input', () => key && refresh());
$('member-more-button').addEventListener('click', () => {
  shown += PAGE;
  refresh();
});
$('namespace').addEventListener('change', (event) => {
  namespace = event.target.value;
  choose(null);
});
document.addEventListener('visibilitychange', () => {
  if (!document.hidden && key) refresh();
});

if (key) {
  showState('connecting', 'Connecting…');
  api('info').then(showConsole, (e) => (e.status === 401 ? signOut(refusal(e)) : showConsole({ namespaces: [''] })));
} else {
  $('key-input').focus();
}
