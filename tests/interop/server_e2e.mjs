// End-to-end checks of `conflux serve` with real clients: y-websocket's
// WebsocketProvider on node (with `ws`) and raw `ws` sockets.
//
//   node server_e2e.mjs --conflux PATH --scenario NAME
//
// Each scenario starts its own server on a free port, runs, prints
// "PASS <name>" and exits 0, or prints what went wrong and exits 1.
import * as Y from 'yjs'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import { SECRET, sleep, check, checkEqual, until, signJwt, now, token, b64url, runScenario } from './e2e_util.mjs'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const args = process.argv.slice(2)
const opt = (name, dflt) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : dflt
}
const conflux = opt('--conflux')
const scenario = opt('--scenario')
// --- the server --------------------------------------------------------------
let server = null
let baseUrl = ''
const serverLog = []
// `conflux serve` keeps its documents in a fresh data directory per scenario.
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'conflux-e2e-'))
process.on('exit', () => fs.rmSync(dataDir, { recursive: true, force: true }))
async function startServer (flags, command = [conflux, 'serve', '--port', '0']) {
  if (command[0] === conflux && !flags.includes('--in-memory')) flags = [...flags, '--data', dataDir]
  server = spawn(command[0], [...command.slice(1), ...flags], { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = createInterface({ input: server.stdout })
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start')), 10000)
    lines.on('line', (line) => {
      serverLog.push(line)
      const m = line.match(/listening on http:\/\/[^:]+:(\d+)/)
      if (m) { clearTimeout(timer); resolve(Number(m[1])) }
    })
    server.on('exit', (code) => reject(new Error('server exited with ' + code)))
    server.on('error', (e) => reject(new Error(`${command[0]} cannot start: ${e.message}`)))
  })
  baseUrl = `127.0.0.1:${port}`
  const health = await fetch(`http://${baseUrl}/healthz`)
  check(health.status === 200, '/healthz answers 200')
}
async function dashboard () {
  const res = await fetch(`http://${baseUrl}/dashboard`)
  check(res.status === 200, '/dashboard answers 200')
  return res.json()
}
const roomStats = async (room) => (await dashboard()).rooms.find((r) => r.room === room)

// --- clients -------------------------------------------------------------------
const providers = []
function provider (room, user, opts = {}) {
  const doc = new Y.Doc()
  const p = new WebsocketProvider(`ws://${baseUrl}`, room, doc, {
    WebSocketPolyfill: WebSocket,
    params: opts.token === undefined ? { token: token(user) } : (opts.token ? { token: opts.token } : {}),
    disableBc: true
  })
  p.deniedReasons = []
  // y-websocket logs a permission-denied message; keep the reasons for checks.
  providers.push(p)
  return p
}
const synced = (p) => until(() => p.synced, 'provider sync')

// A raw socket: collects text (JSON) and binary messages.
function rawSocket (room, user, { tokenValue } = {}) {
  const t = tokenValue === undefined ? token(user) : tokenValue
  const ws = new WebSocket(`ws://${baseUrl}/${room}${t ? '?token=' + t : ''}`)
  ws.texts = []
  ws.binaries = []
  ws.closeInfo = null
  ws.on('message', (data, isBinary) => {
    if (isBinary) ws.binaries.push(new Uint8Array(data))
    else ws.texts.push(JSON.parse(data.toString()))
  })
  ws.on('close', (code, reason) => { ws.closeInfo = { code, reason: reason.toString() } })
  ws.on('error', () => {})
  ws.opened = new Promise((resolve, reject) => {
    ws.on('open', resolve)
    ws.on('error', reject)
    ws.on('unexpected-response', (req, res) => {
      let body = ''
      res.on('data', (c) => { body += c })
      res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}: ${body.trim()}`), { status: res.statusCode, body })))
    })
  })
  return ws
}
// The server's copy of a room's document, asked for over a JSON socket.
async function serverDoc (room) {
  const ws = rawSocket(room, 'inspector')
  await ws.opened
  ws.send(JSON.stringify({ type: 'sync' }))
  await until(() => ws.texts.some((m) => m.type === 'sync'), 'sync reply')
  const reply = ws.texts.find((m) => m.type === 'sync')
  const doc = new Y.Doc()
  Y.applyUpdate(doc, Buffer.from(reply.update, 'base64'))
  ws.close()
  return doc
}
function contentOf (doc) {
  return {
    text: doc.getText('text').toString(),
    map: doc.getMap('map').toJSON(),
    xml: doc.getXmlFragment('xml').toString()
  }
}
async function expectRefused (room, tokenValue, reasonPart) {
  const ws = rawSocket(room, 'x', { tokenValue })
  try {
    await ws.opened
  } catch (e) {
    check(e.status === 401, `refused with 401 (got ${e.status})`)
    check(e.body.includes(reasonPart), `reason "${e.body.trim()}" mentions "${reasonPart}"`)
    return
  }
  throw new Error('connection was accepted, expected 401 ' + reasonPart)
}

// --- scenarios -------------------------------------------------------------------
const scenarios = {}

scenarios.converge = async () => {
  await startServer(['--jwt-secret', SECRET])
  const a = provider('doc', 'ann')
  const b = provider('doc', 'bob')
  await synced(a)
  await synced(b)
  // Concurrent edits on both sides, none waiting for the other.
  for (let i = 0; i < 20; i++) {
    a.doc.getText('text').insert(0, `a${i} `)
    b.doc.getText('text').insert(b.doc.getText('text').length, `b${i} `)
    a.doc.getMap('map').set(`k${i % 5}`, `a${i}`)
    b.doc.getMap('map').set(`k${i % 5}`, `b${i}`)
    if (i % 4 === 0) {
      const el = new Y.XmlElement('p')
      el.insert(0, [new Y.XmlText(`from a ${i}`)])
      a.doc.getXmlFragment('xml').insert(0, [el])
      const el2 = new Y.XmlElement('h1')
      el2.setAttribute('level', String(i))
      b.doc.getXmlFragment('xml').push([el2])
    }
    if (i === 10) a.doc.getText('text').delete(0, 4)
    await sleep(i % 3)
  }
  b.doc.getText('text').format(0, 3, { bold: true })
  await until(() => JSON.stringify(contentOf(a.doc)) === JSON.stringify(contentOf(b.doc)) &&
    Buffer.compare(Y.encodeStateVector(a.doc), Y.encodeStateVector(b.doc)) === 0, 'clients to converge')
  const onServer = await serverDoc('doc')
  checkEqual(contentOf(onServer), contentOf(a.doc), "server's copy")
  check(Buffer.compare(Y.encodeStateVector(onServer), Y.encodeStateVector(a.doc)) === 0, 'server state vector')
  check(contentOf(a.doc).xml.includes('<h1 level="8">'), 'xml has both sides')

  const c = provider('doc', 'cid')
  await synced(c)
  await until(() => JSON.stringify(contentOf(c.doc)) === JSON.stringify(contentOf(a.doc)), 'late joiner to catch up')
  checkEqual(c.doc.getText('text').toDelta(), a.doc.getText('text').toDelta(), 'late joiner formatting')
}

scenarios.awareness = async () => {
  await startServer(['--jwt-secret', SECRET])
  const a = provider('room', 'ann')
  const b = provider('room', 'bob')
  const c = provider('room', 'cid')
  await Promise.all([synced(a), synced(b), synced(c)])
  a.awareness.setLocalStateField('user', { name: 'Ann', color: '#f00' })
  c.awareness.setLocalStateField('user', { name: 'Cid' })
  await until(() => b.awareness.getStates().get(a.doc.clientID)?.user?.name === 'Ann', 'bob to see ann')
  await until(() => c.awareness.getStates().get(a.doc.clientID)?.user?.name === 'Ann', 'cid to see ann')
  await until(() => b.awareness.getStates().get(c.doc.clientID)?.user?.name === 'Cid', 'bob to see cid')
  // Initial clock-0 states are not taken up (y-protocols' rule): two states on the server.
  checkEqual((await roomStats('room')).awareness_states, 2, 'states on the server')
  // Ann's socket dies without a goodbye; the server must tell the others.
  a.shouldConnect = false
  a.ws.terminate()
  const t0 = Date.now()
  await until(() => !b.awareness.getStates().has(a.doc.clientID) && !c.awareness.getStates().has(a.doc.clientID),
    'ann removed for bob and cid', 1000)
  console.log(`ann's presence removed for the others in ${Date.now() - t0} ms`)
  check(b.awareness.getStates().get(c.doc.clientID)?.user?.name === 'Cid', 'cid still present for bob')
  checkEqual((await roomStats('room')).awareness_states, 1, 'states on the server after ann left')
}

scenarios.chat = async () => {
  await startServer(['--jwt-secret', SECRET])
  const yjsClient = provider('chat', 'editor')
  await synced(yjsClient)
  const x = rawSocket('chat', 'xavier')
  const y = rawSocket('chat', 'yvonne')
  await x.opened
  await y.opened
  y.send(JSON.stringify({ type: 'chat', text: 'hi all' }))  // y speaks JSON first
  await until(() => x.texts.some((m) => m.type === 'welcome'), 'x to be welcomed after the grace period')
  x.send('hello from a terminal')
  await until(() => y.texts.some((m) => m.type === 'chat' && m.text === 'hello from a terminal'), 'chat to reach y')
  const msg = y.texts.find((m) => m.type === 'chat' && m.text === 'hello from a terminal')
  check(msg.user === 'xavier', 'chat names the user')
  check(typeof msg.sid === 'string' && msg.sid.length > 0, 'chat names the session')
  check(!Number.isNaN(Date.parse(msg.time)), 'chat has a time')
  check(x.texts.some((m) => m.type === 'chat' && m.text === 'hi all' && m.user === 'yvonne'), 'x got y\'s chat')
  // The Yjs client is unaffected by the chat and still syncing.
  yjsClient.doc.getText('text').insert(0, 'still editing')
  const d = await serverDoc('chat')
  await until(async () => (await serverDoc('chat')).getText('text').toString() === 'still editing', 'edit after chat')
  check(yjsClient.wsconnected, 'the Yjs client stays connected')
  check((await roomStats('chat')).chat_messages === 2, 'two chat messages counted')
  void d
}

scenarios.auth = async () => {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
  await startServer(['--jwt-secret', SECRET])
  await expectRefused('r1', '', 'missing token')
  const good = token('ann')
  const parts = good.split('.')
  const badSig = parts[0] + '.' + parts[1] + '.' + b64url(crypto.randomBytes(32))
  await expectRefused('r1', badSig, 'signature')
  await expectRefused('r1', signJwt({ sub: 'ann', sid: 's', iat: now() - 7200, exp: now() - 3600 }), 'expired')
  const none = b64url(JSON.stringify({ alg: 'none', typ: 'JWT' })) + '.' + parts[1] + '.'
  await expectRefused('r1', none, 'none')
  await expectRefused('r1', token('ann', { room: 'other-room' }), 'not valid for room')
  await expectRefused('r1', signJwt({ sub: 'ann', sid: 's', iat: now(), exp: now() + 60 }, { secret: 'wrong' }), 'signature')
  // Scoped by prefix: accepted.
  const scoped = rawSocket('team-1', 'ann', { tokenValue: token('ann', { room: 'team-*' }) })
  await scoped.opened
  scoped.close()
  // Bearer header works too.
  const viaHeader = new WebSocket(`ws://${baseUrl}/ws/r1`, { headers: { Authorization: 'Bearer ' + token('hdr') } })
  await new Promise((resolve, reject) => { viaHeader.on('open', resolve); viaHeader.on('unexpected-response', () => reject(new Error('bearer refused'))) })
  viaHeader.close()

  // Read-only: receives the document, cannot change it.
  const writer = provider('ro-room', 'writer')
  await synced(writer)
  writer.doc.getText('text').insert(0, 'written')
  const reader = provider('ro-room', 'reader', { token: token('reader', { ro: true }) })
  await synced(reader)
  await until(() => reader.doc.getText('text').toString() === 'written', 'reader to receive the document')
  reader.doc.getText('text').insert(0, 'HACK ')
  await until(async () => (await roomStats('ro-room')).refused_messages >= 1, 'the read-only edit to be refused')
  check((await serverDoc('ro-room')).getText('text').toString() === 'written', 'read-only edit not applied')
  check(writer.doc.getText('text').toString() === 'written', 'writer never saw the read-only edit')
  for (const p of providers) p.destroy()
  server.kill('SIGTERM')
  await new Promise((resolve) => server.on('exit', resolve))

  // RS256 with a public key; an HS256 token signed with that key's PEM is refused.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conflux-e2e-'))
  const pemPath = path.join(dir, 'pub.pem')
  const pem = publicKey.export({ type: 'spki', format: 'pem' })
  fs.writeFileSync(pemPath, pem)
  await startServer(['--jwt-public-key', pemPath])
  const rs = rawSocket('r2', 'x', { tokenValue: signJwt({ sub: 'rsa-user', sid: 's1', iat: now(), exp: now() + 60 }, { alg: 'RS256', key: privateKey }) })
  await rs.opened
  rs.close()
  await expectRefused('r2', signJwt({ sub: 'x', sid: 's', iat: now(), exp: now() + 60 }, { secret: pem }), 'HS256')
  fs.rmSync(dir, { recursive: true })
}

scenarios.hostile = async () => {
  await startServer(['--jwt-secret', SECRET, '--max-message-size', '65536'])
  const a = provider('h', 'ann')
  const b = provider('h', 'bob')
  await synced(a)
  await synced(b)
  a.doc.getText('text').insert(0, 'before ')
  await until(() => b.doc.getText('text').toString() === 'before ', 'first edit')

  // 1. A malformed update: refused with a message to its sender only; the connection stays.
  const bad = rawSocket('h', 'mallory')
  await bad.opened
  const enc = encoding.createEncoder()
  encoding.writeVarUint(enc, 0)
  encoding.writeVarUint(enc, 2)
  encoding.writeVarUint8Array(enc, new Uint8Array([5, 200, 1, 2, 3, 4, 5]))
  bad.send(encoding.toUint8Array(enc))
  await until(() => bad.binaries.some((m) => m[0] === 2), 'an auth (error) message to the sender')
  const denied = decoding.createDecoder(bad.binaries.find((m) => m[0] === 2))
  decoding.readVarUint(denied); decoding.readVarUint(denied)
  const reason = decoding.readVarString(denied)
  check(reason.startsWith('update refused'), 'reason: ' + reason)
  check(bad.readyState === WebSocket.OPEN, 'the sender stays connected')

  // 2. An oversized message closes that connection with 1009.
  const big = rawSocket('h', 'big')
  await big.opened
  big.send(new Uint8Array(70000))
  await until(() => big.closeInfo, 'oversized message to close the connection')
  checkEqual(big.closeInfo.code, 1009, 'close code for an oversized message')

  // 3. A truncated frame (header promises 1000 bytes, the socket ends after 10).
  const trunc = rawSocket('h', 'trunc')
  await trunc.opened
  const raw = trunc._socket
  const header = Buffer.from([0x82, 0xfe, 0x03, 0xe8, 1, 2, 3, 4])
  raw.end(Buffer.concat([header, Buffer.alloc(10)]))
  await until(() => serverLog.some((l) => l.includes('disconnect room=h user=trunc')),
    'the truncated connection to be dropped')
  // 4. An unmasked frame (protocol error) closes with 1002.
  const unmasked = rawSocket('h', 'unmasked')
  await unmasked.opened
  unmasked._socket.write(Buffer.from([0x82, 0x02, 0, 0]))
  await until(() => unmasked.closeInfo, 'unmasked frame to close the connection')
  checkEqual(unmasked.closeInfo.code, 1002, 'close code for an unmasked frame')

  // Everyone else keeps working and loses nothing.
  b.doc.getText('text').insert(b.doc.getText('text').length, 'after')
  await until(() => a.doc.getText('text').toString() === 'before after', 'edits after the attacks')
  check(a.wsconnected && b.wsconnected, 'the good clients stay connected')
  check((await serverDoc('h')).getText('text').toString() === 'before after', "server's copy intact")
  const st = await roomStats('h')
  check(st.refused_messages === 1, 'one refused message, got ' + st.refused_messages)
}

scenarios.dashboard = async () => {
  await startServer(['--jwt-secret', SECRET, '--idle-timeout', '1'])
  // A scripted session: 2 editors making 5 changes, 3 chat lines, 2 awareness changes.
  const a = provider('dash', 'ann')
  const b = provider('dash', 'bob')
  await synced(a)
  await synced(b)
  for (let i = 0; i < 3; i++) a.doc.getText('text').insert(0, `${i}`)
  b.doc.getMap('map').set('k', 1)
  b.doc.getMap('map').set('k', 2)
  await until(() => a.doc.getMap('map').get('k') === 2 && b.doc.getText('text').length === 3, 'edits to spread')
  a.awareness.setLocalStateField('user', { name: 'Ann' })
  const talker = rawSocket('dash', 'talker')
  await talker.opened
  talker.send('one')
  talker.send('two')
  talker.send(JSON.stringify({ type: 'chat', text: 'three' }))
  await until(async () => (await roomStats('dash'))?.chat_messages === 3, 'chat counted')
  // The providers' initial clock-0 states are not taken up (y-protocols' rule): one event.
  await until(async () => (await roomStats('dash'))?.awareness_events === 1, 'awareness counted')
  const st = await roomStats('dash')
  checkEqual(st.clients, 3, 'clients')
  checkEqual(st.updates_applied, 5, 'updates applied')
  checkEqual(st.chat_messages, 3, 'chat messages')
  checkEqual(st.dropped_slow, 0, 'dropped slow')
  checkEqual(st.document_bytes, Y.encodeStateAsUpdate(a.doc).length, 'document bytes')
  const totals = (await dashboard()).totals
  checkEqual(totals.rooms, 1, 'rooms in totals')
  checkEqual(totals.clients, 3, 'clients in totals')
  const metrics = await (await fetch(`http://${baseUrl}/metrics`)).text()
  check(metrics.includes('conflux_room_clients{room="dash"} 3'), 'metrics show the room')
  check((await fetch(`http://${baseUrl}/nope`)).status === 404, 'unknown path is 404')

  // Everyone leaves: the room unloads after the idle timeout (1 s).
  for (const p of providers) p.destroy()
  talker.close()
  await until(async () => (await roomStats('dash'))?.clients === 0, 'clients to leave')
  const waited = await until(async () => (await roomStats('dash')) === undefined, 'idle room to unload', 4000)
  console.log(`room unloaded ${waited} ms after the last client left`)
  checkEqual((await dashboard()).totals.rooms_unloaded, 1, 'rooms unloaded')
}

scenarios.shutdown = async () => {
  await startServer(['--allow-anonymous'])
  const a = provider('s', 'anon', { token: null })
  await synced(a)
  const closed = new Promise((resolve) => a.ws.on('close', (code) => resolve(code)))
  // Listen for the exit before the signal: the process may be reaped before
  // the client sees its socket close.
  const exited = new Promise((resolve) => server.on('exit', resolve))
  a.shouldConnect = false
  server.kill('SIGTERM')
  const code = await closed
  checkEqual(code, 1001, 'clients are closed with 1001 on SIGTERM')
  const exitCode = await exited
  checkEqual(exitCode, 0, 'server exit code')
  // The exit may be seen before the last lines of output are read.
  await until(() => serverLog.some((l) => l.includes('received SIGTERM')), 'the shutdown to be logged', 2000)
  server = null
}

scenarios.slow = async () => {
  // The limit leaves healthy clients room for bursts on a busy machine. In
  // memory: with a store, the frames of a slow group commit of these 64 KiB
  // updates go out in one burst larger than the limit.
  await startServer(['--jwt-secret', SECRET, '--send-queue-limit', '1048576', '--in-memory'])
  const writer = provider('slow', 'writer')
  const reader = provider('slow', 'reader')
  await synced(writer)
  await synced(reader)
  const stuck = rawSocket('slow', 'stuck')
  await stuck.opened
  stuck.send(new Uint8Array([0, 0, 1, 0]))  // a Yjs-like client: sync step 1 ...
  await sleep(100)
  stuck._socket.pause()                     // ... that stops reading
  // Enough to fill the kernel's socket buffers and then the server's queue.
  const chunk = 'x'.repeat(64 * 1024)
  for (let i = 0; i < 1000; i++) {
    writer.doc.getText('text').insert(0, chunk)
    await sleep(2)
    if (i % 20 === 19 && (await roomStats('slow')).dropped_slow === 1) break
  }
  await until(async () => (await roomStats('slow')).dropped_slow === 1, 'the stuck client to be dropped', 10000)
  stuck._socket.resume()
  await until(() => stuck.closeInfo, 'the stuck client to see its close')
  checkEqual(stuck.closeInfo.code, 1013, 'close code for a client too slow')
  // The others never noticed.
  writer.doc.getText('text').insert(0, 'end')
  await until(() => reader.doc.getText('text').length === writer.doc.getText('text').length, 'reader to keep up', 20000)
  check(reader.doc.getText('text').toString().startsWith('end'), 'reader has the latest edit')
  checkEqual((await roomStats('slow')).clients, 2, 'clients after the drop')
  await until(() => serverLog.some((l) => l.includes('code=1013')), 'the drop to be logged', 2000)
}

scenarios.liveness = async () => {
  await startServer(['--jwt-secret', SECRET, '--ping-interval', '1'])
  const healthy = provider('live', 'healthy')
  await synced(healthy)
  // A peer whose socket is open but who never answers pings.
  const ws = new WebSocket(`ws://${baseUrl}/live?token=${token('mute')}`, { autoPong: false })
  ws.on('error', () => {})
  const closed = new Promise((resolve) => ws.on('close', resolve))
  await new Promise((resolve) => ws.on('open', resolve))
  ws.send(new Uint8Array([0, 0, 1, 0]))
  await closed
  // The server logs after closing the socket: the line may trail the close.
  await until(() => serverLog.some((l) => l.includes('user=mute') && l.includes('no answer to ping')),
    'the drop for not answering pings to be logged', 5000)
  await sleep(1500)
  check(healthy.wsconnected, 'a client that answers pings stays')
  checkEqual((await roomStats('live')).clients, 1, 'clients after the drop')
}

scenarios.embedded = async () => {
  // examples/embed_server: the host's own authenticator and a document watcher.
  await startServer([], [path.join(path.dirname(conflux), 'embed_server'), '0'])
  await expectRefused('notes', 'wrong-token', 'unknown token')
  const a = provider('notes', 'alice', { token: 'alice-token' })
  await synced(a)
  a.doc.getText('text').insert(0, 'hello host')
  await until(() => serverLog.some((l) => l.startsWith('room notes changed') && l.includes('hello host')),
    'the host to see the change')
}

// --- main ----------------------------------------------------------------------
await runScenario(scenarios, scenario, {
  log: serverLog,
  timeoutMs: 120000,
  cleanUp: async () => {
    for (const p of providers) { try { p.destroy() } catch {} }
    if (server) server.kill('SIGKILL')
  }
})
