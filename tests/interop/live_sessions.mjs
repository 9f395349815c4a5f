// Live interop sessions: real Yjs peers and Conflux peers (conflux-interop-peer
// processes) make random concurrent edits and exchange their updates in random
// order, with duplicates, delays, merged updates and v2-encoded updates. Every
// session must end with all peers converged and byte-identical state.
//
//   node live_sessions.mjs --peer PATH [--sessions N] [--seed S] [--first K]
//
// Checks, per session:
//  - every update Conflux produces is accepted by Yjs and vice versa;
//  - each Conflux peer has a Yjs twin (same client id, same ops, same
//    deliveries in the same order): each update of a local transaction, and
//    the v1 and v2 state updates and state vector after the final sync, are
//    byte-identical to the twin's. (Yjs peers with different histories may
//    split and merge items differently, so bytes are compared like for like.)
//  - after the final delivery nobody has pending structs or deletes, and all
//    peers have the same JSON and state vector;
//  - a fresh Conflux receiver that gets every update of the session in one
//    shuffled order, duplicates included, ends byte-identical to Yjs too.
// Prints one line per session; exits 1 on the first mismatch.
import * as Y from 'yjs'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

const args = process.argv.slice(2)
const opt = (name, dflt) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : dflt
}
const peerPath = opt('--peer')
const sessions = Number(opt('--sessions', '30'))
const baseSeed = Number(opt('--seed', '1'))
const firstSession = Number(opt('--first', '0'))
if (!peerPath) {
  console.error('usage: node live_sessions.mjs --peer PATH [--sessions N] [--seed S] [--first K]')
  process.exit(2)
}

// A small deterministic generator (mulberry32), so a failing seed can be rerun.
function makeRng (seed) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (n) => Math.floor(next() * n),
    chance: (p) => next() < p,
    pick: (xs) => xs[Math.floor(next() * xs.length)],
    shuffle: (xs) => {
      for (let i = xs.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [xs[i], xs[j]] = [xs[j], xs[i]]
      }
      return xs
    }
  }
}

const hex = (u8) => Buffer.from(u8).toString('hex')
const unhex = (s) => new Uint8Array(Buffer.from(s, 'hex'))

// ---------------------------------------------------------------- Yjs peer

class YjsPeer {
  constructor (clientId, gc, rng) {
    this.kind = 'yjs'
    this.doc = new Y.Doc({ gc })
    this.doc.clientID = clientId
    this.rng = rng
    for (const [name, kind] of ROOTS) openRoot(this.doc, name, kind)
  }

  async apply (update, v2) {
    if (v2) Y.applyUpdateV2(this.doc, update)
    else Y.applyUpdate(this.doc, update)
  }

  async edit (count) {
    return randomTransactions(this.doc, this.rng, count).map((t) => t.update).filter((u) => u)
  }

  async state () {
    const s = this.doc.store
    return {
      v1: Y.encodeStateAsUpdate(this.doc),
      v2: Y.encodeStateAsUpdateV2(this.doc),
      sv: Y.encodeStateVector(this.doc),
      pending: s.pendingStructs !== null || s.pendingDs !== null
    }
  }

  async json () { return docJson(this.doc) }
  close () {}
}

const ROOTS = [['t', 'text'], ['a', 'array'], ['m', 'map'], ['x', 'xml']]

function openRoot (doc, name, kind) {
  switch (kind) {
    case 'text': return doc.getText(name)
    case 'array': return doc.getArray(name)
    case 'map': return doc.getMap(name)
    default: return doc.getXmlFragment(name)
  }
}

function docJson (doc) {
  const out = {}
  for (const [name, kind] of ROOTS) out[name] = openRoot(doc, name, kind).toJSON()
  return canonical(out)
}

// JSON with object keys sorted, so that documents compare as values.
function canonical (v) {
  return JSON.stringify(v, (k, x) => {
    if (x && typeof x === 'object' && !Array.isArray(x)) {
      return Object.fromEntries(Object.keys(x).sort().map((key) => [key, x[key]]))
    }
    return x
  })
}

// The random editor. It picks a live shared type (roots weigh more, so that
// nesting stays moderate) and an op on it, described as plain JSON so that the
// Conflux peer can run the very same op: {p: path, o: op, ...args}. A path is
// the root name followed by array/XML indexes and map keys.
function randomOp (doc, rng) {
  const targets = []
  for (let i = 0; i < 3; i++) {
    targets.push([doc.getText('t'), ['t']], [doc.getArray('a'), ['a']], [doc.getMap('m'), ['m']],
      [doc.getXmlFragment('x'), ['x']])
  }
  const addValue = (v, path) => {
    if (v instanceof Y.Text) targets.push([v, path])
    else if (v instanceof Y.Array) { targets.push([v, path]); v.toArray().forEach((x, i) => addValue(x, [...path, i])) }
    else if (v instanceof Y.Map) { targets.push([v, path]); for (const [k, x] of v.entries()) addValue(x, [...path, k]) }
  }
  doc.getArray('a').toArray().forEach((x, i) => addValue(x, ['a', i]))
  for (const [k, x] of doc.getMap('m').entries()) addValue(x, ['m', k])
  const addXml = (f, path) => {
    f.toArray().forEach((c, i) => {
      if (c instanceof Y.XmlText) targets.push([c, [...path, i]])
      else if (c instanceof Y.XmlElement) { targets.push([c, [...path, i]]); addXml(c, [...path, i]) }
    })
  }
  addXml(doc.getXmlFragment('x'), ['x'])
  const [target, p] = rng.pick(targets)
  if (target instanceof Y.Text) return { p, ...textOp(target, rng) }
  if (target instanceof Y.Array) return { p, ...arrayOp(target, rng) }
  if (target instanceof Y.Map) return { p, ...mapOp(target, rng) }
  if (target instanceof Y.XmlElement && rng.chance(0.4)) {
    const k = rng.pick(['class', 'id', 'data-x'])
    return rng.chance(0.25) ? { p, o: 'xrmattr', k } : { p, o: 'xattr', k, v: randomText(rng) }
  }
  return { p, ...xmlOp(target, rng) }
}

const PIECES = ['a', 'b', 'xy', 'hello', ' ', '\n', 'é', '中', '😀', '𝄞', 'ab😀c']
const randomText = (rng) => {
  let s = ''
  for (let i = 0, n = 1 + rng.int(3); i < n; i++) s += rng.pick(PIECES)
  return s
}
const randomAttrs = (rng, allowNull) => {
  switch (rng.int(5)) {
    case 0: return { bold: true }
    case 1: return { italic: true }
    case 2: return { color: rng.chance(0.5) ? '#f00' : '#00f' }
    case 3: return { bold: allowNull ? null : true, size: rng.int(3) + 10 }
    default: return { link: { href: 'https://example.com' } }
  }
}
// Bytes travel as {$bytes: HEX} (see decodeValue).
const randomValue = (rng) => {
  switch (rng.int(8)) {
    case 0: return rng.int(1000) - 500
    case 1: return rng.int(2) === 0 ? 0.5 : -1.25e10
    case 2: return randomText(rng)
    case 3: return rng.chance(0.5)
    case 4: return null
    case 5: return { $bytes: hex([1, 2, rng.int(256)]) }
    case 6: return [1, 'two', { three: 3 }]
    default: return { k: randomText(rng), n: rng.int(10) }
  }
}
const decodeValue = (v) => {
  if (Array.isArray(v)) return v.map(decodeValue)
  if (v && typeof v === 'object') {
    if (v.$bytes !== undefined) return unhex(v.$bytes)
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decodeValue(x)]))
  }
  return v
}

// The UTF-16 indexes that do not fall inside a surrogate pair. Ops stay on
// them, as editors do: Yjs peers themselves stop converging when a pair is
// split (the halves become U+FFFD on some peers only).
function boundaries (text) {
  const out = [0]
  let index = 0
  for (const op of text.toDelta()) {
    if (typeof op.insert === 'string') {
      for (const ch of op.insert) {
        index += ch.length
        out.push(index)
      }
    } else {
      out.push(++index)
    }
  }
  return out
}

function textOp (text, rng) {
  const b = boundaries(text)
  const op = rng.int(10)
  if (b.length === 1 || op < 4) {
    const i = rng.pick(b)
    return rng.chance(0.4) ? { o: 'ins', i, s: randomText(rng), attrs: randomAttrs(rng, false) } : { o: 'ins', i, s: randomText(rng) }
  }
  const from = rng.int(b.length - 1)
  if (op < 7) {
    const to = Math.min(b.length - 1, from + 1 + rng.int(5))
    return { o: 'del', i: b[from], n: b[to] - b[from] }
  }
  if (op < 9) {
    const to = Math.min(b.length - 1, from + 1 + rng.int(8))
    return { o: 'fmt', i: b[from], n: b[to] - b[from], attrs: randomAttrs(rng, true) }
  }
  return { o: 'embed', i: rng.pick(b), e: { image: 'pic.png' }, attrs: rng.chance(0.5) ? randomAttrs(rng, false) : {} }
}

function arrayOp (a, rng) {
  const len = a.length
  const op = rng.int(10)
  if (len === 0 || op < 4) {
    const v = []
    for (let i = 0, n = 1 + rng.int(3); i < n; i++) v.push(randomValue(rng))
    return { o: 'ains', i: rng.int(len + 1), v }
  }
  if (op < 7) {
    const i = rng.int(len)
    return { o: 'adel', i, n: 1 + rng.int(Math.min(len - i, 3)) }
  }
  return { o: 'anew', i: rng.int(len + 1), kind: ['text', 'map', 'array'][op - 7] }
}

function mapOp (m, rng) {
  const k = rng.pick(['k1', 'k2', 'k3', 'k4', 'title', 'list'])
  const op = rng.int(10)
  if (op < 5) return { o: 'set', k, v: randomValue(rng) }
  if (op < 7) return { o: 'mdel', k }
  return { o: 'mnew', k, kind: ['text', 'array', 'map'][op - 7] }
}

function xmlOp (f, rng) {
  const len = f.length
  const op = rng.int(10)
  if (len === 0 || op < 4) return { o: 'xel', i: rng.int(len + 1), name: rng.pick(['p', 'h1', 'ul', 'li', 'blockquote']) }
  if (op < 7) return { o: 'xtext', i: rng.int(len + 1) }
  const i = rng.int(len)
  return { o: 'xdel', i, n: 1 + rng.int(Math.min(len - i, 2)) }
}

function resolvePath (doc, p) {
  let t = openRoot(doc, p[0], ROOTS.find(([n]) => n === p[0])[1])
  for (const step of p.slice(1)) t = typeof step === 'string' ? t.get(step) : t.get(step)
  return t
}

// Runs an op on a Yjs document (inside the caller's transaction).
function applyOp (doc, op) {
  const t = resolvePath(doc, op.p)
  const newType = (kind) => kind === 'text' ? new Y.Text() : kind === 'map' ? new Y.Map() : new Y.Array()
  switch (op.o) {
    case 'ins': return op.attrs ? t.insert(op.i, op.s, decodeValue(op.attrs)) : t.insert(op.i, op.s)
    case 'del': return t.delete(op.i, op.n)
    case 'fmt': return t.format(op.i, op.n, decodeValue(op.attrs))
    case 'embed': return t.insertEmbed(op.i, decodeValue(op.e), decodeValue(op.attrs))
    case 'ains': return t.insert(op.i, op.v.map(decodeValue))
    case 'adel': return t.delete(op.i, op.n)
    case 'anew': return t.insert(op.i, [newType(op.kind)])
    case 'set': return t.set(op.k, decodeValue(op.v))
    case 'mdel': return t.delete(op.k)
    case 'mnew': return t.set(op.k, newType(op.kind))
    case 'xel': return t.insert(op.i, [new Y.XmlElement(op.name)])
    case 'xtext': return t.insert(op.i, [new Y.XmlText()])
    case 'xdel': return t.delete(op.i, op.n)
    case 'xattr': return t.setAttribute(op.k, op.v)
    case 'xrmattr': return t.removeAttribute(op.k)
  }
  throw new Error(`unknown op ${op.o}`)
}

// Random transactions of 1-3 ops on a Yjs document: returns the ops of each
// transaction and the update it produced (null if it changed nothing).
function randomTransactions (doc, rng, count) {
  const out = []
  for (let i = 0; i < count; i++) {
    const ops = []
    let update = null
    const h = (u) => { update = u }
    doc.on('update', h)
    doc.transact(() => {
      for (let j = 0, n = 1 + rng.int(3); j < n; j++) {
        const op = randomOp(doc, rng)
        applyOp(doc, op)
        ops.push(op)
      }
    })
    doc.off('update', h)
    out.push({ ops, update })
  }
  return out
}

// ------------------------------------------------------------ Conflux peer

// A conflux-interop-peer process, shadowed by a Yjs twin with the same client
// id that runs the same ops and receives the same updates in the same order.
// Yjs decides what the bytes must be: every update and every state the Conflux
// peer produces is compared with its twin's.
class ConfluxPeer {
  constructor (clientId, gc, rng) {
    this.kind = 'conflux'
    this.twin = new YjsPeer(clientId, gc, rng)
    this.proc = spawn(peerPath, [String(clientId), gc ? 'gc' : 'nogc'], { stdio: ['pipe', 'pipe', 'inherit'] })
    this.lines = []
    this.waiters = []
    createInterface({ input: this.proc.stdout }).on('line', (line) => {
      const w = this.waiters.shift()
      if (w) w(line)
      else this.lines.push(line)
    })
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })))
  }

  nextLine () {
    if (this.lines.length) return Promise.resolve(this.lines.shift())
    return Promise.race([
      new Promise((resolve) => this.waiters.push(resolve)),
      this.exited.then(({ code, signal }) => { throw new Error(`conflux peer exited (code ${code}, signal ${signal})`) })
    ])
  }

  async request (line) {
    this.proc.stdin.write(line + '\n')
    return this.nextLine()
  }

  async apply (update, v2) {
    await this.twin.apply(update, v2)
    const reply = await this.request(`${v2 ? 'apply2' : 'apply'} ${hex(update)}`)
    if (reply !== 'ok') throw new Error(`conflux refused an update: ${reply}`)
  }

  async edit (count) {
    const out = []
    for (const { ops, update } of randomTransactions(this.twin.doc, this.twin.rng, count)) {
      this.proc.stdin.write(`txn ${JSON.stringify(ops)}\n`)
      const mine = []
      for (let line = await this.nextLine(); line !== 'ok'; line = await this.nextLine()) {
        if (!line.startsWith('update ')) throw new Error(`unexpected reply ${line}`)
        mine.push(unhex(line.slice(7)))
      }
      const expected = update ? [update] : []
      if (mine.length !== expected.length || (update && !sameBytes(mine[0], update))) {
        throw new Error(`the update of transaction ${JSON.stringify(ops)} differs from Yjs's:\n` +
          `  conflux ${mine.map(hex).join(' ')}\n  yjs     ${update ? hex(update) : '(none)'}`)
      }
      out.push(...mine)
    }
    return out
  }

  async state () {
    const [tag, v1, v2, sv, pending] = (await this.request('state')).split(' ')
    if (tag !== 'state') throw new Error(`unexpected reply ${tag}`)
    const mine = { v1: unhex(v1), v2: unhex(v2), sv: unhex(sv), pending: pending === '1' }
    const yjs = await this.twin.state()
    for (const key of ['v1', 'v2', 'sv']) {
      if (!sameBytes(mine[key], yjs[key])) {
        throw new Error(`its ${key} state differs from its Yjs twin's:\n  conflux ${hex(mine[key])}\n  yjs     ${hex(yjs[key])}`)
      }
    }
    if (mine.pending !== yjs.pending) throw new Error('its pending state differs from its Yjs twin\'s')
    return mine
  }

  async json () {
    const line = await this.request('json')
    const mine = canonical(JSON.parse(line.slice(5)))
    const yjs = await this.twin.json()
    if (mine !== yjs) throw new Error(`its JSON differs from its Yjs twin's:\n  conflux ${mine}\n  yjs     ${yjs}`)
    return mine
  }

  close () { this.proc.stdin.end() }
}

// ---------------------------------------------------------------- sessions

function fail (session, what) {
  console.error(`session ${session}: ${what}`)
  process.exit(1)
}

function sameBytes (a, b) { return Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0 }

async function runSession (session) {
  const seed = baseSeed * 1000003 + session
  const rng = makeRng(seed)
  const nPeers = 2 + rng.int(4)
  const gc = rng.chance(0.75)
  const ids = new Set()
  while (ids.size < nPeers) ids.add(1 + rng.int(0x7fffffff))
  const peers = [...ids].map((id, i) => {
    // Peer 0 is Yjs and peer 1 is Conflux; the rest are either.
    const conflux = i === 1 || (i > 1 && rng.chance(0.5))
    return conflux ? new ConfluxPeer(id, gc, makeRng(seed ^ id)) : new YjsPeer(id, gc, makeRng(seed ^ id))
  })
  const inbox = peers.map(() => [])
  const all = [] // every update produced, in production order
  const rounds = 15 + rng.int(40)
  let deliveries = 0

  const deliver = async (q, items) => {
    for (let i = 0; i < items.length; i++) {
      let update = items[i]
      // Sometimes several updates travel merged, as a server would store them.
      if (i + 2 < items.length && rng.chance(0.1)) {
        update = Y.mergeUpdates([items[i], items[i + 1], items[i + 2]])
        i += 2
      }
      const v2 = rng.chance(0.25)
      try {
        await peers[q].apply(v2 ? Y.convertUpdateFormatV1ToV2(update) : update, v2)
      } catch (e) {
        fail(session, `peer ${q} (${peers[q].kind}) could not apply an update: ${e.message}`)
      }
      deliveries++
    }
  }

  for (let round = 0; round < rounds; round++) {
    const p = rng.int(nPeers)
    let updates
    try {
      updates = await peers[p].edit(1 + rng.int(3))
    } catch (e) {
      fail(session, `peer ${p} (${peers[p].kind}): ${e.message}`)
    }
    for (const u of updates) {
      all.push(u)
      peers.forEach((_, q) => { if (q !== p) inbox[q].push(u) })
    }
    if (rng.chance(0.35)) {
      // A random peer receives a random part of what was sent to it, shuffled;
      // a few are kept back to be delivered again later (duplicates).
      const q = rng.int(nPeers)
      rng.shuffle(inbox[q])
      const take = rng.int(inbox[q].length + 1)
      const batch = inbox[q].splice(0, take)
      for (const u of batch) if (rng.chance(0.1)) inbox[q].push(u)
      await deliver(q, batch)
    }
  }
  // Final sync: everyone receives everything still on its way, shuffled.
  for (let q = 0; q < nPeers; q++) await deliver(q, rng.shuffle(inbox[q]))

  const states = []
  const jsons = []
  for (let q = 0; q < nPeers; q++) {
    try {
      states.push(await peers[q].state())
    } catch (e) {
      fail(session, `peer ${q} (${peers[q].kind}): ${e.message}`)
    }
    try {
      jsons.push(await peers[q].json())
    } catch (e) {
      fail(session, `peer ${q} (${peers[q].kind}): ${e.message}`)
    }
  }
  const describe = (q) => `peer ${q} (${peers[q].kind})`
  for (let q = 0; q < nPeers; q++) {
    if (states[q].pending) fail(session, `${describe(q)} still has pending updates`)
    if (!sameBytes(states[q].sv, states[0].sv)) fail(session, `${describe(q)}: state vectors differ`)
  }
  // Convergence. Each Conflux peer's JSON already equals its Yjs twin's, so
  // peers can only differ where Yjs's own documents do: its rich-text
  // clean-ups depend on each peer's history (which transactions were remote,
  // which attribute values are the same object). Such sessions are counted.
  const converged = jsons.every((j) => j === jsons[0])
  if (!converged) yjsDiverged++

  // A fresh Conflux receiver (checked against its fresh Yjs twin like every
  // Conflux peer) gets the whole session in one shuffled order, duplicates
  // included, as a server or a late joiner would.
  const order = rng.shuffle([...all, ...all.filter(() => rng.chance(0.2))])
  const confluxReceiver = new ConfluxPeer(1, gc, rng)
  try {
    for (const u of order) await confluxReceiver.apply(u, false)
    if ((await confluxReceiver.state()).pending) throw new Error('it still has pending updates')
    await confluxReceiver.json()
  } catch (e) {
    fail(session, `the fresh Conflux receiver: ${e.message}`)
  }

  for (const peer of [...peers, confluxReceiver]) peer.close()
  const kinds = peers.map((p) => p.kind[0]).join('')
  console.log(`session ${session}: peers ${kinds} gc=${gc} rounds=${rounds} updates=${all.length} ` +
    `deliveries=${deliveries} state=${states[0].v1.length}B ${converged ? 'converged' : 'yjs peers diverged'} ok`)
}

let yjsDiverged = 0
for (let s = firstSession; s < firstSession + sessions; s++) await runSession(s)
console.log(`${sessions} live sessions: every Conflux peer byte-identical to its Yjs twin; ` +
  `all peers converged in ${sessions - yjsDiverged} (in ${yjsDiverged} Yjs's own peers diverged)`)
