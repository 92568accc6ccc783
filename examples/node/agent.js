#!/usr/bin/env node
// A competing StasisBroadcast agent built on the ari-client package.
//
//   node agent.js --name sales-1 --wants sales,vip [--url http://127.0.0.1:8088]
//
// It connects as ARI application NAME. For every CallBroadcast it decides from
// the call (caller, called, the BC_TAG channel variable listed in ari.conf
// `channelvars`) whether to claim it. On 204 it owns the call: on StasisStart
// it answers, plays a sound and hangs up. 409 means another agent was faster;
// 404 means the offer is over (timed out, caller gone, or not offered to us).
'use strict';

const ari = require('ari-client');

function parseArgs(argv) {
  const args = { url: 'http://127.0.0.1:8088', user: 'asterisk', password: 'asterisk',
    wants: '*', sound: 'beep' };
  for (let i = 2; i < argv.length; i += 2) {
    args[argv[i].replace(/^--/, '')] = argv[i + 1];
  }
  if (!args.name) {
    throw new Error('usage: node agent.js --name APP [--wants a,b] [--url URL]');
  }
  args.wants = new Set(args.wants.split(','));
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

async function main() {
  const args = parseArgs(process.argv);
  const client = await ari.connect(args.url, args.user, args.password);

  // The routing decision: claim calls tagged with something we handle.
  const wantsCall = (event) => {
    const tag = (event.channel.channelvars || {}).BC_TAG || '';
    return args.wants.has('*') || args.wants.has(tag);
  };

  client.on('CallBroadcast', async (event) => {
    const channelId = event.channel.id;
    if (!wantsCall(event)) {
      console.log(`${args.name}: pass on ${channelId} from '${event.caller}' to '${event.called}'`);
      return;
    }
    let error = null;
    try {
      await client.events.claimChannel({ channelId, application: args.name });
    } catch (err) {
      error = err;
    }
    const outcome = claimOutcome(error);
    const words = { 204: 'WON', 409: 'lost (already claimed)', 404: 'too late (offer over)' };
    console.log(`${args.name}: ${words[outcome] || 'claim failed: ' + outcome} ${channelId}`);
  });

  client.on('StasisStart', async (event, channel) => {
    await channel.answer();
    const playback = client.Playback();
    playback.once('PlaybackFinished', async () => {
      await channel.hangup().catch(() => {});
      console.log(`${args.name}: hung up ${channel.id}`);
    });
    await channel.play({ media: `sound:${args.sound}` }, playback);
    console.log(`${args.name}: answered ${channel.id}, playing ${args.sound}`);
  });

  await client.start(args.name);
  console.log(`${args.name}: connected`);
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
