// A websocket load generator for bench/ built on Node's `ws` (bench/node/package.json).
//
// One process drives many phones; it is steered by JSON lines on stdin and answers with
// one JSON line per command on stdout, so that a Python benchmark can run several of these
// processes side by side (bench/loadgen.py). Commands:
//
//   {"cmd": "join", "url": U, "room": R, "first": i, "count": n, "concurrency": c, "proto": "host"|"echo"}
//       connect n phones and send each a `hello`; a phone has joined when its `welcome`
//       arrives (the echo server sends the `hello` back, which counts as the welcome).
//   {"cmd": "closed", "trips": K, "start_at": T}
//       closed loop from wall-clock time T (ms since the epoch, shared by all processes):
//       every phone sends a `submit`, waits for its `ack` (or the echo), K times.
//   {"cmd": "rate", "rate": r, "seconds": s, "start_at": T}
//       open loop: r submissions per second in total from this process's phones, each
//       phone at a fixed interval with a random phase, for s seconds; sent_at[i] is the
//       wall-clock time latency_ms[i]'s submit was sent.
//   {"cmd": "activity_log"}   the `activity` frames each phone has received: [[id, t], ...]
//   {"cmd": "close"}          close every connection and exit.
//
// Times reported are wall-clock milliseconds since the epoch (performance.timeOrigin +
// performance.now(), which Python's time.time() can be compared with on the same machine).
// Only 127.0.0.1 is ever targeted (bench/ passes the URL).
'use strict';

const readline = require('readline');
const { performance } = require('perf_hooks');
const WebSocket = require('ws');

const ROLES = ['Service user', 'Family or peer', 'Front-line professional', 'Manager', 'Other'];
const ACK_TIMEOUT_MS = 15000;
const now = () => performance.timeOrigin + performance.now();

const phones = [];
const errors = {};
function countError(code) { errors[code] = (errors[code] || 0) + 1; }

class Phone {
  constructor(index, proto) {
    this.index = index;
    this.proto = proto;
    this.ws = null;
    this.pending = new Map(); // client id -> {resolve, sent}
    this.counter = 0;
    this.activity = 'a1';
    this.activityLog = [];
    this.closed = false;
  }

  join(url, room) {
    return new Promise((resolve) => {
      const started = now();
      let settled = false;
      const done = (value) => { if (!settled) { settled = true; resolve(value); } };
      const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: 30000 });
      this.ws = ws;
      ws.on('open', () => {
        ws.send(JSON.stringify({ type: 'hello', room, name: `phone ${this.index}`,
                                 role: ROLES[this.index % ROLES.length], lang: 'en', token: null }));
      });
      ws.on('message', (data) => {
        const t = now();
        let frame;
        try { frame = JSON.parse(data.toString()); } catch (e) { countError('bad_json'); return; }
        const kind = frame.type;
        if (kind === 'ack' || kind === 'submit' || kind === 'error') {
          if (kind === 'error') countError(frame.code || '?');
          const p = frame.id !== undefined ? this.pending.get(frame.id) : undefined;
          if (p) { this.pending.delete(frame.id); p.resolve([t, kind]); }
        } else if (kind === 'activity') {
          this.activityLog.push([(frame.activity || {}).id || null, t]);
        } else if (kind === 'welcome' || kind === 'hello') {
          if (kind === 'welcome' && frame.activity) this.activity = frame.activity.id;
          done({ ok: true, seconds: (t - started) / 1000, at: t });
        }
      });
      ws.on('error', (err) => { done({ ok: false, error: String(err && err.message || err).slice(0, 200) }); });
      ws.on('close', () => {
        this.closed = true;
        done({ ok: false, error: 'closed before welcome' });
        for (const p of this.pending.values()) p.resolve([null, 'closed']);
        this.pending.clear();
      });
    });
  }

  submit() {
    const cid = `${process.pid}-${this.index}-${this.counter++}`;
    const text = `Idea ${cid}: more time to talk with the people we support, fewer forms to fill in.`;
    return new Promise((resolve) => {
      if (this.closed) { resolve([null, 'closed']); return; }
      const sent = now();
      const timer = setTimeout(() => {
        if (this.pending.delete(cid)) resolve([null, 'timeout']);
      }, ACK_TIMEOUT_MS);
      this.pending.set(cid, { resolve: ([t, kind]) => {
        clearTimeout(timer);
        resolve([t === null ? null : t - sent, kind]);
      } });
      this.ws.send(JSON.stringify({ type: 'submit', id: cid, activity: this.activity,
                                    data: { answer: text } }));
    });
  }
}

const sleepUntil = (t) => new Promise((r) => setTimeout(r, Math.max(0, t - now())));

async function cmdJoin(msg) {
  const todo = [];
  for (let i = msg.first; i < msg.first + msg.count; i++) todo.push(new Phone(i, msg.proto));
  const results = new Array(todo.length);
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = now();
  async function lane() {
    while (next < todo.length) {
      const k = next++;
      results[k] = await todo[k].join(msg.url, msg.room);
    }
  }
  await Promise.all(Array.from({ length: Math.min(msg.concurrency, todo.length) }, lane));
  const failures = [];
  const joinS = [];
  let lastAt = 0;
  todo.forEach((p, k) => {
    if (results[k].ok) { phones.push(p); joinS.push(results[k].seconds); lastAt = Math.max(lastAt, results[k].at); }
    else failures.push(results[k].error);
  });
  return { join_s: joinS, failures: failures.slice(0, 5), failed: failures.length, started_at: t0,
           last_at: lastAt, cpu_s: cpuSeconds(cpu0) };
}

function cpuSeconds(since) {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
}

function tally(outcome, kind) { outcome[kind] = (outcome[kind] || 0) + 1; }

async function cmdClosed(msg) {
  await sleepUntil(msg.start_at);
  const cpu0 = process.cpuUsage();
  const began = now();
  const lat = [];
  const outcome = {};
  await Promise.all(phones.map(async (p) => {
    for (let k = 0; k < msg.trips; k++) {
      const [latency, kind] = await p.submit();
      tally(outcome, kind);
      if (kind === 'closed') return;
      if ((kind === 'ack' || kind === 'submit') && latency !== null) lat.push(latency);
    }
  }));
  const ended = now();
  return { latency_ms: lat, outcome, began, ended, cpu_s: cpuSeconds(cpu0) };
}

async function cmdRate(msg) {
  const lat = [];
  const outcome = {};
  const late = [];
  const sentAt = []; // wall-clock send time of each latency_ms[i]
  const n = phones.length;
  if (n === 0) return { latency_ms: lat, outcome, late_ms: late, sent_at: sentAt };
  const interval = 1000 * n / msg.rate;
  const end = msg.start_at + msg.seconds * 1000;
  const cpu0 = process.cpuUsage();
  await Promise.all(phones.map(async (p) => {
    let due = msg.start_at + Math.random() * interval;
    const inflight = [];
    while (due < end) {
      await sleepUntil(due);
      const at = now();
      late.push(at - due);
      inflight.push(p.submit().then(([latency, kind]) => {
        tally(outcome, kind);
        if ((kind === 'ack' || kind === 'submit') && latency !== null) { lat.push(latency); sentAt.push(at); }
      }));
      due += interval;
    }
    await Promise.all(inflight);
  }));
  return { latency_ms: lat, outcome, late_ms: late, sent_at: sentAt, cpu_s: cpuSeconds(cpu0) };
}

async function handle(msg) {
  switch (msg.cmd) {
    case 'join': return cmdJoin(msg);
    case 'closed': return cmdClosed(msg);
    case 'rate': return cmdRate(msg);
    case 'activity_log': return { logs: phones.map((p) => p.activityLog) };
    case 'errors': return { errors, open: phones.filter((p) => !p.closed).length };
    case 'close':
      for (const p of phones) { try { p.ws.close(); } catch (e) { /* already gone */ } }
      setTimeout(() => process.exit(0), 200);
      return { closed: true };
    default: return { error: `unknown command ${msg.cmd}` };
  }
}

const rl = readline.createInterface({ input: process.stdin });
let chain = Promise.resolve();
rl.on('line', (line) => {
  if (!line.trim()) return;
  chain = chain.then(async () => {
    let reply;
    try { reply = await handle(JSON.parse(line)); } catch (e) { reply = { error: String(e && e.stack || e) }; }
    process.stdout.write(JSON.stringify(reply) + '\n');
  });
});
rl.on('close', () => { chain.then(() => process.exit(0)); });
