#!/usr/bin/env node
/**
 * A local wechaty puppet service for the end-to-end tests.
 *
 * PuppetMock (a fake WeChat account) served by the real PuppetServer from
 * wechaty-puppet-service, so the bot talks the same gRPC protocol it would
 * talk to a hosted puppet. A loopback HTTP control API lets a test make group
 * members speak and read back everything the bot said.
 *
 * Usage: node puppet_server.mjs --grpc-port 0 --http-port 0 --token TOKEN
 *   (port 0 picks a free port; env E2E_GRPC_PORT, E2E_HTTP_PORT and
 *   WECHATY_PUPPET_SERVICE_TOKEN are used when an option is missing)
 * Prints `READY grpc=PORT http=PORT` on stdout once both ports accept calls.
 *
 * Control API (JSON, 127.0.0.1 only):
 *   GET  /health  -> {ok, loggedIn, botId, clients}   clients: open event streams
 *   POST /say     {from, room?, text, to_bot?, mentions?: [ids], type?}
 *                 type: text (default) | group_note | transfer | red_envelope | unknown
 *                 -> {id}
 *   POST /join    {room, member, name, inviter?} -> {ok}
 *   POST /topic   {room, topic, by?} -> {ok}       the group is renamed
 *   POST /scan    {qrcode} -> {ok}                 a login QR code is shown
 *   POST /room    {room, topic, owner, members: [{id, name}]} -> {ok}
 *                 another group with the bot in it (before the bot starts: it lists groups when ready)
 *   GET  /sent    -> [{id, text, room, to, mentions: [ids], file?, bytes?}] in send order
 *   POST /restart-grpc  drop every gRPC connection and serve again on the same port
 *   POST /send-delay {ms}  every later send hangs this long, then lands (recorded and echoed) and
 *                 answers; 0 (the start) answers at once. A send past the bot's RPC deadline
 *                 still arrives: what a slow real service does.
 */
import http from 'node:http'
import net from 'node:net'
import { randomUUID } from 'node:crypto'

import * as PUPPET from 'wechaty-puppet'
import { PuppetMock } from 'wechaty-puppet-mock'
import { PuppetServer } from 'wechaty-puppet-service'

const BOT = { id: 'wx_bot', name: '团购助手' }
const ROOM = { id: 'r1', topic: '阳光花园水果团购群', ownerId: 'wx_owner' }
const PEOPLE = [
  { id: 'wx_owner', name: '王姐' },
  { id: 'wx_zhang', name: '张三' },
  { id: 'wx_li', name: '李四' },
  { id: 'wx_wang', name: '王五' },
]

const MESSAGE_TYPES = {
  text: PUPPET.types.Message.Text,
  group_note: PUPPET.types.Message.GroupNote,
  transfer: PUPPET.types.Message.Transfer,
  red_envelope: PUPPET.types.Message.RedEnvelope,
  unknown: PUPPET.types.Message.Unknown,
}

function option (name, envName) {
  const flag = `--${name}`
  const i = process.argv.indexOf(flag)
  if (i >= 0 && i + 1 < process.argv.length) {
    return process.argv[i + 1]
  }
  return process.env[envName]
}

const grpcPortWanted = Number(option('grpc-port', 'E2E_GRPC_PORT') ?? 0)
const httpPortWanted = Number(option('http-port', 'E2E_HTTP_PORT') ?? 0)
const token = option('token', 'WECHATY_PUPPET_SERVICE_TOKEN')
if (!token) {
  console.error('puppet_server: a token is required (--token or WECHATY_PUPPET_SERVICE_TOKEN)')
  process.exit(2)
}

// Keep the mock's own chatter out of the test output; warnings still show.
PUPPET.log.level(process.env.WECHATY_LOG || 'warn')

const sent = []
let sendDelayMs = 0

function hang () {
  const ms = sendDelayMs
  return ms > 0 ? new Promise(resolve => setTimeout(resolve, ms)) : Promise.resolve()
}

/**
 * PuppetMock only knows rooms whose id contains "@" and returns no message id
 * from a send; record every send, give it an id, and echo it back as a
 * message event like a real account does (the bot must ignore its own words).
 */
class RecordingPuppet extends PuppetMock {
  async messageSendText (conversationId, text, mentionIdList = []) {
    if (!this.isLoggedIn) {
      throw new Error('not logged in')
    }
    await hang()
    const isRoom = this.mocker.cacheRoomPayload.has(conversationId)
    if (!isRoom && !this.mocker.cacheContactPayload.has(conversationId)) {
      throw new Error(`unknown conversation "${conversationId}"`)
    }
    const mentions = isRoom ? [...(mentionIdList || [])] : []
    const id = randomUUID()
    const payload = {
      id,
      talkerId: this.currentUserId,
      text,
      timestamp: Date.now(),
      type: PUPPET.types.Message.Text,
      ...(isRoom
        ? { roomId: conversationId, mentionIdList: mentions }
        : { listenerId: conversationId }),
    }
    this.mocker.MessageMock.create(payload)
    sent.push({ id, text, room: isRoom ? conversationId : null, to: isRoom ? null : conversationId, mentions })
    setImmediate(() => this.emit('message', { messageId: id }))
    return id
  }
}

/**
 * Files: recorded with their name and size (the bytes are read out of the
 * FileBox the bot sent), as {text: '', file, bytes}.
 */
RecordingPuppet.prototype.messageSendFile = async function (conversationId, fileBox) {
  if (!this.isLoggedIn) {
    throw new Error('not logged in')
  }
  const isRoom = this.mocker.cacheRoomPayload.has(conversationId)
  if (!isRoom && !this.mocker.cacheContactPayload.has(conversationId)) {
    throw new Error(`unknown conversation "${conversationId}"`)
  }
  const buffer = await fileBox.toBuffer()
  const id = randomUUID()
  sent.push({
    id,
    text: '',
    file: fileBox.name,
    bytes: buffer.length,
    room: isRoom ? conversationId : null,
    to: isRoom ? null : conversationId,
    mentions: [],
  })
  return id
}

const puppet = new RecordingPuppet()
const mocker = puppet.mocker

for (const p of [BOT, ...PEOPLE]) {
  mocker.createContact({ id: p.id, name: p.name, friend: true })
}
mocker.createRoom({
  id: ROOM.id,
  topic: ROOM.topic,
  ownerId: ROOM.ownerId,
  memberIdList: [BOT.id, ...PEOPLE.map(p => p.id)],
  adminIdList: [],
})

/**
 * Runs on every puppet start: a client that stops and starts the puppet over
 * gRPC (python-wechaty does on connect) finds the account logged in again.
 */
mocker.use(function loggedInAccount (m) {
  if (!puppet.isLoggedIn) {
    m.login(m.ContactMock.load(BOT.id))
  }
  const timer = setTimeout(() => puppet.emit('ready', { data: 'ready' }), 50)
  return () => clearTimeout(timer)
})

function say ({ from, room, text, to_bot: toBot, mentions, type }) {
  if (!from || typeof text !== 'string') {
    throw new Error('"from" and "text" are required')
  }
  if (!mocker.cacheContactPayload.has(from)) {
    throw new Error(`unknown member "${from}"`)
  }
  if (!toBot && !mocker.cacheRoomPayload.has(room)) {
    throw new Error(`unknown room "${room}"`)
  }
  const msgType = MESSAGE_TYPES[type || 'text']
  if (msgType === undefined) {
    throw new Error(`unknown type "${type}"`)
  }
  const id = randomUUID()
  const payload = {
    id,
    talkerId: from,
    text,
    timestamp: Date.now(),
    type: msgType,
    ...(toBot
      ? { listenerId: BOT.id }
      : { roomId: room, mentionIdList: [...(mentions || [])] }),
  }
  mocker.MessageMock.create(payload)
  puppet.emit('message', { messageId: id })
  return { id }
}

async function join ({ room, member, name, inviter }) {
  if (!mocker.cacheRoomPayload.has(room)) {
    throw new Error(`unknown room "${room}"`)
  }
  if (!member) {
    throw new Error('"member" is required')
  }
  if (!mocker.cacheContactPayload.has(member)) {
    mocker.createContact({ id: member, name: name || member })
  }
  const roomMock = mocker.RoomMock.load(room)
  const inviterMock = mocker.ContactMock.load(inviter || ROOM.ownerId)
  // The puppet caches room payloads; drop the stale one first so a bot that
  // reloads the room on `room-join` sees the new member.
  await puppet.dirtyPayload(PUPPET.types.Payload.Room, room)
  roomMock.add(mocker.ContactMock.load(member)).by(inviterMock)
  return { ok: true }
}

let grpcServer
let grpcPort = grpcPortWanted

async function startGrpc () {
  grpcServer = new PuppetServer({
    endpoint: `127.0.0.1:${grpcPort}`,
    puppet,
    token,
    tls: { disable: true },
  })
  await grpcServer.start()
}

/**
 * PuppetServer does not report the port it bound, so a port of 0 is resolved
 * here first; the gap between closing this probe and binding is harmless on
 * a loopback address nobody else is racing for.
 */
function freePort () {
  return new Promise((resolve, reject) => {
    const probe = net.createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })
}

function readBody (req) {
  return new Promise((resolve, reject) => {
    const chunks = []
    req.on('data', c => chunks.push(c))
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8')
      try {
        resolve(raw ? JSON.parse(raw) : {})
      } catch (e) {
        reject(new Error('body is not JSON'))
      }
    })
    req.on('error', reject)
  })
}

function reply (res, status, obj) {
  const body = JSON.stringify(obj)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
  res.end(body)
}

const routes = {
  'GET /health': async () => ({
    ok: true,
    loggedIn: puppet.isLoggedIn,
    botId: BOT.id,
    // Each open event stream adds one `message` listener on the puppet.
    clients: puppet.listenerCount('message') - baselineListeners,
  }),
  'GET /sent': async () => sent,
  'POST /say': async body => say(body),
  'POST /join': async body => join(body),
  'POST /topic': async ({ room, topic, by }) => {
    const roomMock = mocker.RoomMock.load(room)
    await puppet.dirtyPayload(PUPPET.types.Payload.Room, room)
    roomMock.topic(topic).by(mocker.ContactMock.load(by || ROOM.ownerId))
    return { ok: true }
  },
  'POST /room': async ({ room, topic, owner, members }) => {
    if (!room || mocker.cacheRoomPayload.has(room)) {
      throw new Error(`"room" is required and must be new: "${room}"`)
    }
    for (const m of members || []) {
      if (!mocker.cacheContactPayload.has(m.id)) {
        mocker.createContact({ id: m.id, name: m.name || m.id, friend: true })
      }
    }
    mocker.createRoom({ id: room, topic: topic || room, ownerId: owner,
      memberIdList: [BOT.id, ...(members || []).map(m => m.id)], adminIdList: [] })
    return { ok: true }
  },
  'POST /scan': async ({ qrcode }) => {
    mocker.scan(qrcode, PUPPET.types.ScanStatus.Waiting)
    return { ok: true }
  },
  'POST /send-delay': async ({ ms }) => {
    sendDelayMs = Math.max(0, Number(ms) || 0)
    return { ok: true, ms: sendDelayMs }
  },
  'POST /restart-grpc': async () => {
    const old = grpcServer
    grpcServer = undefined
    await old.stop()
    await startGrpc()
    return { ok: true, grpc: grpcPort }
  },
}

const httpServer = http.createServer((req, res) => {
  const route = routes[`${req.method} ${req.url.split('?')[0]}`]
  if (!route) {
    return reply(res, 404, { error: 'no such route' })
  }
  readBody(req)
    .then(body => route(body))
    .then(result => reply(res, 200, result))
    .catch(e => reply(res, 400, { error: String(e && e.message ? e.message : e) }))
})

let baselineListeners = 0

async function main () {
  await puppet.start()
  baselineListeners = puppet.listenerCount('message')
  if (grpcPort === 0) {
    grpcPort = await freePort()
  }
  await startGrpc()
  await new Promise((resolve, reject) => {
    httpServer.once('error', reject)
    httpServer.listen(httpPortWanted, '127.0.0.1', resolve)
  })
  const httpPort = httpServer.address().port
  process.stdout.write(`READY grpc=${grpcPort} http=${httpPort}\n`)
}

async function shutdown () {
  httpServer.close()
  try {
    if (grpcServer) {
      await grpcServer.stop()
    }
    await puppet.stop()
  } finally {
    process.exit(0)
  }
}

process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)

main().catch(e => {
  console.error('puppet_server: failed to start:', e)
  process.exit(1)
})
