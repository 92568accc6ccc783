#!/usr/bin/env node
// A competing StasisBroadcast agent built on the ari-client package.
//
//   node agent.js --name sales-1 --wants sales,vip [--url http://127.0.0.1:8088]
//   node agent.js --name any-1 --url http://10.0.0.11:8088,http://10.0.0.12:8088 --hold 2000
//   node agent.js --name sales-2 --wants sales --decline yes
//
// It connects as ARI application NAME to every Asterisk node given (--url, a
// comma-separated list or repeated), one ari-client each. A call is offered by
// the node that received it, so the agent claims it on that node, the one
// whose CallBroadcast it is. For every CallBroadcast it decides from the call
// (caller, called, the BC_TAG channel variable listed in ari.conf
// `channelvars`) whether to claim it. On 204 it owns the call: on StasisStart
// it answers, plays a sound (or holds the call --hold milliseconds) and hangs
// up. 409 means another agent was faster (or, in best mode, better); 404 means
// the offer is over (timed out, caller gone, or not offered to us).
//
// --decline yes: it declines the calls it does not want, through ari-client's
// client.broadcasts.decline() (the /ari/broadcasts resource, which
// res_stasis_broadcast describes in /ari/api-docs), so that when every agent
// declines, the dialplan's fallback runs at once.
//
// When the offer says "mode": "best" (StasisBroadcast's w() option), it claims
// with a score through client.broadcasts.claim(): 100 for a call tagged with
// something it names in --wants (a skill match; "*" alone matches at 0), minus
// 10 for each call it holds now: the least loaded agent with the right skill
// gets the call.
//
// When a node goes away the agent keeps serving the others and reconnects to
// it with exponential backoff (0.25 s doubling up to 4 s, with jitter). It
// does so itself rather than through ari-client's own retries: a node that
// restarts must be asked for its API again, and the wait must stay short.
//
// It prints one line per thing it does; a line about a call reads
// NAME: OUTCOME CHANNEL on NODE from CALLER[: DETAIL], as the Python agent's
// do (the format is sandbox/lib/agents.py's, which reads them back):
//
//   sales-1: WON 1733.45 on 127.0.0.1:8088 from 6001
//   sales-1: lost 1733.46 on 127.0.0.1:8088 from 6002: already claimed
'use strict';

const ari = require('ari-client');

const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 4000;
const CONNECT_TIMEOUT_MS = 10000;

function parseArgs(argv) {
  const args = { url: [], user: 'asterisk', password: 'asterisk', wants: '*', sound: 'beep',
    hold: '0', decline: 'no' };
  for (let i = 2; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (key === 'url') {
      args.url.push(...argv[i + 1].split(',').filter(Boolean));
    } else {
      args[key] = argv[i + 1];
    }
  }
  if (!args.name) {
    throw new Error('usage: node agent.js --name APP [--wants a,b] [--url URL[,URL...]] [--hold MS]');
  }
  if (args.url.length === 0) args.url.push('http://127.0.0.1:8088');
  args.wants = new Set(args.wants.split(','));
  args.hold = Number(args.hold);
  args.decline = args.decline === 'yes';
  return args;
}

// ari-client rejects with an Error whose message is the response body (the
// HTTP status is not on it): Asterisk's route answers 409 with "Channel has
// already been claimed by another application" and 404 with "Channel not
// found or not in broadcast state".
function claimOutcome(err) {
  if (!err) return 204;
  let message = err.message;
  try {
    message = JSON.parse(err.message).message;
  } catch (e) {
    // not JSON: keep the text as it is
  }
  if (/already been claimed/i.test(message)) return 409;
  if (/not found|not in broadcast/i.test(message)) return 404;
  return message;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const say = (args, text) => console.log(`${args.name}: ${text}`);

// NAME: OUTCOME CHANNEL on NODE from CALLER[: DETAIL]. The caller is written
// as it is when it is a plain number, else as a JSON string; the detail, any
// text, comes last, on the same line.
function callLine(name, outcome, channelId, node, caller, detail) {
  const from = /^[\w+*#.-]+$/.test(caller) ? caller : JSON.stringify(String(caller));
  const line = `${name}: ${outcome} ${channelId} on ${node} from ${from}`;
  return detail == null ? line : `${line}: ${String(detail).replace(/[\r\n]+/g, ' ')}`;
}

// Handle the events of one node's client; claims go back to that node.
function serveCalls(args, client, node) {
  const tagOf = (event) => (event.channel.channelvars || {}).BC_TAG || '';
  // The routing decision: claim calls tagged with something we handle.
  const wantsCall = (event) => args.wants.has('*') || args.wants.has(tagOf(event));
  // The calls it holds now: its load.
  const held = new Set();
  // How good a match it is for the call (best mode): a skill match, less its load.
  const score = (event) => (args.wants.has(tagOf(event)) ? 100 : 0) - 10 * held.size;

  // A line about the call of CHANNEL (a channel's JSON, or ari-client's Channel).
  const sayCall = (outcome, channel, detail) => console.log(callLine(args.name, outcome,
    channel.id, node, (channel.caller || {}).number || '', detail));

  client.on('CallBroadcast', async (event) => {
    const { channel } = event;
    if (!wantsCall(event)) {
      if (!args.decline) {
        sayCall('pass on', channel, `called ${event.called}`);
        return;
      }
      try {
        await client.broadcasts.decline({ channelId: channel.id, application: args.name });
        sayCall('declined', channel, `called ${event.called}`);
      } catch (err) {
        sayCall('decline failed for', channel, err.message);
      }
      return;
    }
    const best = event.mode === 'best';
    const points = best ? score(event) : null;
    let error = null;
    try {
      if (best) {
        await client.broadcasts.claim({ channelId: channel.id, application: args.name,
          score: points });
      } else {
        await client.events.claimChannel({ channelId: channel.id, application: args.name });
      }
    } catch (err) {
      error = err;
    }
    const outcome = claimOutcome(error);
    const replies = { 204: ['WON', best ? `score ${points}` : null], 409: ['lost', 'already claimed'],
      404: ['too late for', 'offer over'] };
    const [words, detail] = replies[outcome] || ['claim failed for', outcome];
    sayCall(words, channel, detail);
  });

  client.on('StasisEnd', (event, channel) => held.delete(channel.id));

  client.on('StasisStart', async (event, channel) => {
    held.add(channel.id);
    const hangUp = async () => {
      try {
        await channel.hangup();
        sayCall('hung up', channel);
      } catch (err) {
        sayCall('hangup failed for', channel, err.message);
      }
    };
    try {
      await channel.answer();
      if (args.hold) {
        sayCall('answered', channel, `holding ${args.hold} ms`);
        setTimeout(hangUp, args.hold);
        return;
      }
      const playback = client.Playback();
      playback.once('PlaybackFinished', hangUp);
      await channel.play({ media: `sound:${args.sound}` }, playback);
      sayCall('answered', channel, `playing ${args.sound}`);
    } catch (err) {
      sayCall('answer failed for', channel, err.message);
    }
  });
}

// Whether the node's ARI answers now (a node still booting says 503). Asked
// first because ari.connect() does not report a refusal of its API documents
// as an error: its HTTP library throws it out of band (see main()).
async function ariAnswers(args, url) {
  const auth = Buffer.from(`${args.user}:${args.password}`).toString('base64');
  const response = await fetch(`${url.replace(/\/$/, '')}/ari/api-docs/resources.json`, {
    headers: { Authorization: `Basic ${auth}` },
    signal: AbortSignal.timeout(CONNECT_TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
}

// ari.connect(), or an error if it neither succeeds nor fails in time.
function connectWithin(args, url, ms) {
  let timer;
  const timeout = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error('no answer to connect')), ms);
  });
  return Promise.race([ari.connect(url, args.user, args.password), timeout])
    .finally(() => clearTimeout(timer));
}

// One connection to a node, from connect to loss: resolves with the reason it
// ended. ari-client would retry on its own; at the first sign of loss it is
// stopped and dropped, and keepConnected() starts over with a fresh client.
async function connectOnce(args, url, node) {
  await ariAnswers(args, url);
  const client = await connectWithin(args, url, CONNECT_TIMEOUT_MS);
  const lost = new Promise((resolve) => {
    client.once('WebSocketReconnecting', (err) => resolve(err ? err.message : 'closed'));
    client.once('WebSocketMaxRetries', (err) => resolve(err ? err.message : 'gave up'));
  });
  serveCalls(args, client, node);
  const started = client.start(args.name).then(() => null);
  const failed = await Promise.race([started, lost]);
  if (failed === null) {
    say(args, `connected to ${node}`);
  }
  const reason = failed || await lost;
  client.removeAllListeners();
  // A retry ari-client had already scheduled must not come back to life.
  client.on('WebSocketConnected', () => client.stop());
  client.stop();
  return { reason, connected: failed === null };
}

async function keepConnected(args, url) {
  const node = new URL(url).host;
  let delay = BACKOFF_FIRST_MS;
  for (;;) {
    let outcome;
    try {
      outcome = await connectOnce(args, url, node);
    } catch (err) {
      outcome = { reason: err.message, connected: false };
    }
    if (outcome.connected) {
      delay = BACKOFF_FIRST_MS;
      say(args, `disconnected from ${node} (${outcome.reason}); reconnecting`);
    }
    const pause = delay * (0.8 + Math.random() * 0.4);
    if (!outcome.connected) {
      say(args, `cannot reach ${node} (${outcome.reason}); retrying in ${(pause / 1000).toFixed(2)} s`);
      delay = Math.min(delay * 2, BACKOFF_MAX_MS);
    }
    await sleep(pause);
  }
}

function main() {
  const args = parseArgs(process.argv);
  // ari-client's HTTP library throws a refused request for the API documents
  // (a node that went down between ariAnswers() and connect) out of band,
  // as "STATUS : ... URL". That one costs a connection attempt, which
  // connectWithin() gives up on, not the agent; anything else still ends it.
  process.on('uncaughtException', (err) => {
    if (/^\d{3} : /.test(String(err))) {
      say(args, `ari-client: ${err}`);
      return;
    }
    console.error(err);
    process.exit(1);
  });
  for (const url of args.url) {
    keepConnected(args, url);
  }
}

if (require.main === module) {
  main();
}
module.exports = { callLine };
