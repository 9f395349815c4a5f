// End-to-end checks of durable rooms and cluster mode, with real y-websocket
// clients: `conflux serve` killed with SIGKILL and restarted, export and
// import, and several servers sharing rooms through one redis-server.
//
//   node storage_e2e.mjs --conflux PATH --scenario NAME
//
// Prints "PASS <name>" and exits 0, or prints what went wrong and exits 1.
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  SECRET, sleep, check, checkEqual, until, token, freePort, startConflux, startRedis, stopProcess, runScenario
} from './e2e_util.mjs'

const args = process.argv.slice(2)
const opt = (name) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}
const conflux = opt('--conflux')
const scenario = opt('--scenario')

const tempDirs = []
function tempDir () {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'conflux-storage-e2e-'))
  tempDirs.push(d)
  return d
}
const processes = []
const serverLog = []
async function serve (flags) {
  const p = await startConflux(conflux, ['--jwt-secret', SECRET, ...flags], serverLog)
  processes.push(p)
  return p
}

const providers = []
function provider (port, room, user) {
  const doc = new Y.Doc()
  const p = new WebsocketProvider(`ws://127.0.0.1:${port}`, room, doc, {
    WebSocketPolyfill: WebSocket, params: { token: token(user) }, disableBc: true
  })
  providers.push(p)
  return p
}
const synced = (p) => until(() => p.synced, 'provider sync', 20000)

// The server's copy of a room, asked for over a JSON socket.
async function serverDoc (port, room) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/${room}?token=${token('inspector')}`)
  const texts = []
  ws.on('message', (data, isBinary) => { if (!isBinary) texts.push(JSON.parse(data.toString())) })
  await new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject) })
  ws.send(JSON.stringify({ type: 'sync' }))
  await until(() => texts.some((m) => m.type === 'sync'), 'sync reply')
  const doc = new Y.Doc()
  Y.applyUpdate(doc, Buffer.from(texts.find((m) => m.type === 'sync').update, 'base64'))
  ws.close()
  return doc
}
async function dashboard (port) {
  const res = await fetch(`http://127.0.0.1:${port}/dashboard`)
  return res.json()
}
// Map keys sorted: their order depends on the order each peer learnt them in.
const content = (doc) => JSON.stringify({
  text: doc.getText('text').toString(),
  map: Object.entries(doc.getMap('map').toJSON()).sort()
})
// Does state vector `a` hold everything `b` does?
function covers (a, b) {
  const big = Y.decodeStateVector(a)
  for (const [client, clock] of Y.decodeStateVector(b)) if ((big.get(client) || 0) < clock) return false
  return true
}
async function converged (docs, what, timeoutMs = 30000) {
  try {
    await until(() => docs.every((d) => content(d) === content(docs[0])), what, timeoutMs)
  } catch (e) {
    const sizes = docs.map((d) => `${d.getText('text').length} chars, sv ${JSON.stringify([...Y.decodeStateVector(Y.encodeStateVector(d))])}`)
    throw new Error(`${e.message} (documents: ${sizes.join(' | ')})`)
  }
}

// Types steadily into a provider's document until stopped.
function startTyping (p, label) {
  let on = true
  let n = 0
  const done = (async () => {
    while (on) {
      p.doc.transact(() => {
        const t = p.doc.getText('text')
        t.insert(t.length, `${label}${n} `)
        p.doc.getMap('map').set(`${label}${n % 20}`, n)
      })
      n++
      await sleep(2)
    }
  })()
  return async () => { on = false; await done; return n }
}

// --- scenarios -------------------------------------------------------------------
const scenarios = {}

scenarios.crash = async () => {
  const data = tempDir()
  let server = await serve(['--port', '0', '--data', data])
  const port = server.port
  const ann = provider(port, 'crash', 'ann')
  const bob = provider(port, 'crash', 'bob')
  await synced(ann)
  await synced(bob)
  const stop = startTyping(ann, 'a')
  await until(() => bob.doc.getText('text').length > 3000, 'bob to receive a stream of edits', 30000)
  server.kill('SIGKILL')
  await server.exited
  const typed = await stop()
  // What bob had received when the server died; ann typed on.
  const bobSaw = Y.encodeStateVector(bob.doc)
  const bobText = bob.doc.getText('text').toString()
  ann.disconnect()
  bob.disconnect()

  server = await serve(['--port', String(port), '--data', data])
  // Before anyone reconnects, the restarted server holds all bob had.
  const stored = await serverDoc(port, 'crash')
  check(covers(Y.encodeStateVector(stored), bobSaw), 'the restarted server has every update bob had received')
  check(stored.getText('text').toString().startsWith(bobText), 'the stored text extends bob\'s')
  console.log(`ann typed ${typed} edits, bob had ${bobText.length} characters, ` +
    `the restarted server ${stored.getText('text').length}`)
  ann.connect()
  bob.connect()
  await synced(ann)
  await synced(bob)
  await converged([ann.doc, bob.doc], 'ann and bob to converge after the restart')
  await until(async () => content(await serverDoc(port, 'crash')) === content(ann.doc), 'the server to hold the clients\' document')
  checkEqual(ann.doc.getText('text').toString().split(' ').length - 1, typed, 'every edit ann made is there')
  const dash = await dashboard(port)
  checkEqual(dash.storage.backend, 'sqlite', 'storage backend on /dashboard')
  checkEqual(dash.relay, null, 'no relay without --redis')
  check('last_compaction' in dash.rooms[0], '/dashboard names the last compaction (null: none yet)')
  check(dash.storage.commits > 0, '/dashboard counts commits')
  check(dash.rooms.find((r) => r.room === 'crash').log_entries > 0, '/dashboard shows the room\'s log')
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
  check(/^conflux_storage_commits_total [1-9]/m.test(metrics), '/metrics counts commits')
  check(/^conflux_room_log_entries\{room="crash"\} [1-9]/m.test(metrics), '/metrics shows the room\'s log')
}

scenarios.exportimport = async () => {
  const data = tempDir()
  let server = await serve(['--port', '0', '--data', data])
  const a = provider(server.port, 'notes', 'ann')
  await synced(a)
  a.doc.getText('text').insert(0, 'exported text')
  a.doc.getMap('map').set('answer', 42)
  await until(async () => content(await serverDoc(server.port, 'notes')) === content(a.doc), 'the server to have the edits')
  a.destroy()
  await stopProcess(server)  // a graceful stop flushes

  const file = path.join(tempDir(), 'notes.yjs')
  execFileSync(conflux, ['export', 'notes', '--data', data, '--out', file])
  const exported = new Y.Doc()
  Y.applyUpdate(exported, fs.readFileSync(file))
  checkEqual(content(exported), content(a.doc), 'the exported update, read by Yjs')

  execFileSync(conflux, ['import', 'copy', file, '--data', data])
  const junk = path.join(tempDir(), 'junk.bin')
  fs.writeFileSync(junk, Buffer.from([0xff, 0xff, 0xff]))
  let refused = ''
  try {
    execFileSync(conflux, ['import', 'copy', junk, '--data', data], { stdio: 'pipe' })
  } catch (e) {
    refused = e.stderr.toString()
  }
  check(refused.includes('not a Yjs v1 update'), `a junk file is refused with a reason (got "${refused.trim()}")`)

  server = await serve(['--port', '0', '--data', data])
  const b = provider(server.port, 'copy', 'bob')
  await synced(b)
  checkEqual(content(b.doc), content(a.doc), 'the imported room, served')
}

// Several nodes with one Redis: a node for each client.
async function cluster (count) {
  const redisPort = await freePort()
  const redisDir = tempDir()
  const redis = await startRedis(redisPort, redisDir)
  processes.push(redis)
  const nodes = []
  for (let i = 0; i < count; i++) {
    nodes.push(await serve(['--port', '0', '--data', tempDir(), '--redis', `127.0.0.1:${redisPort}`]))
  }
  return { redis, redisPort, redisDir, nodes }
}

scenarios.cluster = async () => {
  const { nodes, redisPort } = await cluster(3)
  const one = provider(nodes[0].port, 'shared', 'one')
  const two = provider(nodes[1].port, 'shared', 'two')
  await synced(one)
  await synced(two)
  one.doc.getText('text').insert(0, 'from node one. ')
  two.doc.getMap('map').set('node', 'two')
  await converged([one.doc, two.doc], 'clients on two nodes to converge')
  // Concurrent typing on both nodes.
  const stopOne = startTyping(one, 'x')
  const stopTwo = startTyping(two, 'y')
  await sleep(500)
  await stopOne()
  await stopTwo()
  await converged([one.doc, two.doc], 'concurrent typing on two nodes to converge')
  // Presence crosses nodes.
  one.awareness.setLocalStateField('user', { name: 'one' })
  await until(() => two.awareness.getStates().get(one.doc.clientID)?.user?.name === 'one', 'presence from node one at node two')

  // A node that loads the room late catches up.
  const three = provider(nodes[2].port, 'shared', 'three')
  await synced(three)
  await converged([one.doc, two.doc, three.doc], 'the late node to catch up')

  // Node two dies while its client types; what the others saw survives.
  const stop = startTyping(two, 'z')
  await until(() => one.doc.getText('text').toString().includes('z20 '), 'node one to see node two\'s typing')
  nodes[1].kill('SIGKILL')
  await nodes[1].exited
  await stop()
  const oneSaw = Y.encodeStateVector(one.doc)
  nodes[1] = await serve(['--port', String(nodes[1].port), '--data', tempDir(), '--redis', `127.0.0.1:${redisPort}`])
  const restarted = await serverDoc(nodes[1].port, 'shared')
  check(covers(Y.encodeStateVector(restarted), oneSaw), 'the restarted node has all node one had seen')
  await synced(two)  // the provider reconnects by itself
  await converged([one.doc, two.doc, three.doc], 'all three clients after the restart')
  const dash = await dashboard(nodes[0].port)
  check(dash.relay && dash.relay.connected, '/dashboard shows the Redis link up')
  check(dash.relay.published > 0 && dash.relay.received > 0, '/dashboard counts relayed messages')
  const metrics = await (await fetch(`http://127.0.0.1:${nodes[0].port}/metrics`)).text()
  check(/^conflux_relay_connected 1$/m.test(metrics), '/metrics shows the Redis link up')
}

scenarios.outage = async () => {
  const c = await cluster(2)
  const a1 = provider(c.nodes[0].port, 'room', 'a1')
  const a2 = provider(c.nodes[0].port, 'room', 'a2')
  const b1 = provider(c.nodes[1].port, 'room', 'b1')
  for (const p of [a1, a2, b1]) await synced(p)
  a1.doc.getText('text').insert(0, 'before. ')
  await converged([a1.doc, a2.doc, b1.doc], 'all three before the outage')

  await stopProcess(c.redis)
  await until(async () => !(await dashboard(c.nodes[0].port)).relay.connected, 'node one to notice Redis is gone')
  // Each node keeps serving its own clients.
  a1.doc.getText('text').insert(0, 'during (a). ')
  b1.doc.getMap('map').set('during', 'b')
  await converged([a1.doc, a2.doc], 'clients of node one to keep converging')
  await sleep(3000)
  check(!b1.doc.getText('text').toString().includes('during (a)'), 'node two cannot see node one during the outage')

  const redis = await startRedis(c.redisPort, c.redisDir)
  processes.push(redis)
  await converged([a1.doc, a2.doc, b1.doc], 'the nodes to reconcile once Redis is back')
  const dash = await dashboard(c.nodes[1].port)
  check(dash.relay.connected && dash.relay.reconnects >= 1, '/dashboard shows the link back and a reconnect')
}

// --- main ----------------------------------------------------------------------
await runScenario(scenarios, scenario, {
  log: serverLog,
  timeoutMs: 150000,
  cleanUp: async () => {
    for (const p of providers) p.destroy()
    for (const p of processes) await stopProcess(p, 'SIGKILL')
    for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true })
  }
})
