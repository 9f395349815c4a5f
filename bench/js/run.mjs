// Runs Conflux's benchmark workloads in a JavaScript CRDT library, with the same inputs and client ids, and prints
// one JSON line per benchmark on stdout (progress goes to stderr):
//
//   node --expose-gc bench/js/run.mjs --lib yjs|ywasm [--filter REGEX]
//
// Fields: lib, name, timeMs (median of the timed runs), runs, avgUpdateSize, updates, docSize, docSizeV2 (bytes of
// encodeStateAsUpdate v1/v2 of the final document), encodeTimeMs, parseTimeMs (encoding that state / decoding it
// into a fresh document), memoryBytes (what the final document holds; see memoryNote), ok, and reason when not ok.
// For yjs, ok also requires the bytes listed in ../shared/bench/README.md; for ywasm, differences from those bytes
// are listed in bytesDiffer without failing the row.
//
// Every benchmark runs in a worker thread of its own, so each starts with a fresh heap (and, for ywasm, a fresh
// wasm instance whose memory growth can be attributed to that benchmark), and a worker over its time budget is
// stopped.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads'
import { fileURLToPath } from 'node:url'
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import crypto from 'node:crypto'

const here = path.dirname(fileURLToPath(import.meta.url))
const sharedDir = process.env.CONFLUX_SHARED_DIR || path.resolve(here, '../../../shared')
const B4_CLIENT = 2654435761

// Budgets, chosen so that one library's full run stays within a few minutes on a shared 2-core machine.
const MIN_RUNS = 3
const MAX_RUNS = 7
const REPEAT_TARGET_MS = 2000 // enough timed runs once this much time is spent and MIN_RUNS are done
const REPEAT_BUDGET_MS = 15000 // no further run that would take the timed runs past this
const JOB_LIMIT_MS = 240000 // a worker still busy after this is stopped
// A 100-pass replay is skipped when 100 passes at the speed measured for one would take longer than its budget.
// B4x100-local gets the larger one: the issue compares Conflux's B4x100 with yjs's B4x100-local.
const X100_LISTEN_BUDGET_MS = 120000
const X100_LOCAL_BUDGET_MS = 360000
const X100_LIMIT_MS = 480000

const readGzJson = (file) => JSON.parse(zlib.gunzipSync(fs.readFileSync(file)))
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex')
const log = (msg) => process.stderr.write(`run.mjs: ${msg}\n`)

// ---------------------------------------------------------------------------------------------------------------
// Library adapters: the same small surface over yjs and ywasm. `tx` is the library's transaction (yjs passes none).

async function loadLib(name) {
  if (name === 'yjs') {
    const Y = await import('yjs')
    return {
      name,
      newDoc(clientId) {
        const doc = new Y.Doc()
        doc.clientID = clientId
        return doc
      },
      free: (doc) => doc.destroy(),
      getText: (doc, n) => doc.getText(n),
      getArray: (doc, n) => doc.getArray(n),
      getMap: (doc, n) => doc.getMap(n),
      transact: (doc, fn) => doc.transact(() => fn(undefined)),
      textInsert: (text, tx, index, s) => text.insert(index, s),
      textDelete: (text, tx, index, n) => text.delete(index, n),
      textString: (text) => text.toString(),
      arrayInsert: (array, tx, index, values) => array.insert(index, values),
      arrayDelete: (array, tx, index, n) => array.delete(index, n),
      arrayJson: (array) => array.toJSON(),
      mapSet: (map, tx, key, value) => map.set(key, value),
      onUpdate(doc, fn) {
        doc.on('update', fn)
        return () => doc.off('update', fn)
      },
      onUpdateV2(doc, fn) {
        doc.on('updateV2', fn)
        return () => doc.off('updateV2', fn)
      },
      applyUpdate: (doc, update) => Y.applyUpdate(doc, update),
      encodeV1: (doc) => Y.encodeStateAsUpdate(doc),
      encodeV2: (doc) => Y.encodeStateAsUpdateV2(doc),
      memoryNote: 'JS heap held by the final document (heapUsed after gc, less heapUsed before)',
      memoryEveryRun: true,
      memoryStart() {
        global.gc()
        global.gc()
        return process.memoryUsage().heapUsed
      },
      memoryEnd(start) {
        global.gc()
        global.gc()
        return process.memoryUsage().heapUsed - start
      },
    }
  }
  if (name === 'ywasm') {
    const W = await import('ywasm')
    // A ywasm call outside a transaction opens and commits one of its own; `transact` gives several calls one.
    const withTx = (doc, fn) => {
      const tx = doc.beginTransaction(null)
      try {
        return fn(tx)
      } finally {
        tx.free()
      }
    }
    const subscribe = (observer) => () => observer.free()
    return {
      name,
      newDoc: (clientId) => new W.YDoc({ clientID: clientId }),
      free: (doc) => doc.free(),
      getText: (doc, n) => doc.getText(n),
      getArray: (doc, n) => doc.getArray(n),
      getMap: (doc, n) => doc.getMap(n),
      transact: withTx,
      textInsert: (text, tx, index, s) => text.insert(index, s, undefined, tx),
      textDelete: (text, tx, index, n) => text.delete(index, n, tx),
      textString: (text) => text.toString(undefined),
      arrayInsert: (array, tx, index, values) => array.insert(index, values, tx),
      arrayDelete: (array, tx, index, n) => array.delete(index, n, tx),
      arrayJson: (array) => array.toJson(undefined),
      mapSet: (map, tx, key, value) => map.set(key, value, tx),
      onUpdate: (doc, fn) => subscribe(doc.onUpdate(fn)),
      onUpdateV2: (doc, fn) => subscribe(doc.onUpdateV2(fn)),
      applyUpdate: (doc, update) => W.applyUpdate(doc, update, null),
      encodeV1: (doc) => W.encodeStateAsUpdate(doc),
      encodeV2: (doc) => W.encodeStateAsUpdateV2(doc),
      // The document lives in wasm linear memory, which only grows and has no allocator statistics exported, so
      // the growth of that memory in a fresh instance is what can be seen: an upper bound that also counts
      // transient buffers, the other documents of the workload and fragmentation, in 64 KiB pages.
      memoryNote: 'growth of wasm linear memory over the whole first run in a fresh instance (upper bound)',
      memoryEveryRun: false,
      memoryStart: () => W.__wasm.memory.buffer.byteLength,
      memoryEnd: (start) => W.__wasm.memory.buffer.byteLength - start,
    }
  }
  throw new Error(`unknown library ${name} (yjs or ywasm)`)
}

// ---------------------------------------------------------------------------------------------------------------
// Workloads. Each run returns the final document (every other document and listener already released), the update
// counts, and an error when the content is not what the benchmark defines.

function applyTextOp(lib, text, tx, op) {
  if (op.insert !== undefined) lib.textInsert(text, tx, op.index, op.insert)
  else lib.textDelete(text, tx, op.index, op.deleteCount)
}
function applyArrayOp(lib, array, tx, op) {
  if (op.values !== undefined) lib.arrayInsert(array, tx, op.index, op.values)
  else lib.arrayDelete(array, tx, op.index, op.deleteCount)
}

// Counts the v1 updates a document emits (and their v2 twins with `v2`), handing each v1 update to `forward`.
function countUpdates(lib, doc, counts, v2, forward) {
  const offs = [
    lib.onUpdate(doc, (u) => {
      counts.updates++
      counts.updateBytes += u.length
      if (forward) forward(u)
    }),
  ]
  if (v2) offs.push(lib.onUpdateV2(doc, (u) => (counts.updateBytesV2 += u.length)))
  return () => offs.forEach((off) => off())
}

function runB1(lib, w, def, { v2 }) {
  const counts = { updates: 0, updateBytes: 0, updateBytesV2: 0 }
  const doc1 = lib.newDoc(w.clientIds['1'])
  const doc2 = lib.newDoc(w.clientIds['2'])
  const pending = []
  const off = countUpdates(lib, doc1, counts, v2, (u) => pending.push(u))
  const isText = def.data === 'text'
  const type1 = isText ? lib.getText(doc1, 'text') : lib.getArray(doc1, 'array')
  // Every op is its own transaction, and the second client applies what it emitted right away.
  for (const step of def.steps) {
    for (const op of step) {
      lib.transact(doc1, (tx) => (isText ? applyTextOp : applyArrayOp)(lib, type1, tx, op))
      for (const u of pending) lib.applyUpdate(doc2, u)
      pending.length = 0
    }
  }
  off()
  const content = (doc) =>
    isText ? lib.textString(lib.getText(doc, 'text')) : JSON.stringify(lib.arrayJson(lib.getArray(doc, 'array')))
  const expected = isText ? def.expected : JSON.stringify(def.expected)
  const error = content(doc1) !== expected || content(doc2) !== expected ? 'final content differs' : undefined
  lib.free(doc2)
  return { doc: doc1, ...counts, error }
}

function runB2(lib, w, def, { v2 }) {
  const doc1 = lib.newDoc(w.clientIds['1'])
  const doc2 = lib.newDoc(w.clientIds['2'])
  const sent = { updates: 0, updateBytes: 0, updateBytesV2: 0 }
  // Each document forwards the updates it makes itself; the guard keeps an applied update from echoing back.
  let forwarding = false
  const wire = (from, to) => {
    const offs = [
      lib.onUpdate(from, (u) => {
        if (forwarding) return
        forwarding = true
        sent.updates++
        sent.updateBytes += u.length
        lib.applyUpdate(to, u)
        forwarding = false
      }),
    ]
    if (v2) offs.push(lib.onUpdateV2(from, (u) => !forwarding && (sent.updateBytesV2 += u.length)))
    return () => offs.forEach((off) => off())
  }
  const offs = [wire(doc1, doc2), wire(doc2, doc1)]
  const text1 = lib.getText(doc1, 'text')
  const text2 = lib.getText(doc2, 'text')
  lib.transact(doc1, (tx) => lib.textInsert(text1, tx, 0, def.initText))
  lib.transact(doc1, (tx) => def.ops1.forEach((op) => applyTextOp(lib, text1, tx, op)))
  lib.transact(doc2, (tx) => def.ops2.forEach((op) => applyTextOp(lib, text2, tx, op)))
  offs.forEach((off) => off())
  const s1 = lib.textString(text1)
  let error
  if (s1 !== lib.textString(text2)) error = 'documents differ'
  else if (typeof def.expectedLength === 'number' && s1.length !== def.expectedLength) error = 'length differs'
  lib.free(doc2)
  // yjs's table (and Conflux) report half of the bytes sent for B2, rounded up: the figure per document of the pair.
  return {
    doc: doc1,
    updates: sent.updates,
    updateBytes: Math.ceil(sent.updateBytes / 2),
    updateBytesV2: Math.ceil(sent.updateBytesV2 / 2),
    error,
  }
}

function runB3(lib, w, def, { v2 }) {
  const counts = { updates: 0, updateBytes: 0, updateBytesV2: 0 }
  const updates = []
  let first
  for (let i = 0; i < def.clients; i++) {
    const doc = lib.newDoc(w.clientIds[String(i + 1)])
    const off = countUpdates(lib, doc, counts, v2, (u) => updates.push(u))
    // The root type is taken before the transaction: ywasm cannot create one inside a transaction.
    const isArray = def.op === 'insertArrayString'
    const root = isArray ? lib.getArray(doc, 'array') : lib.getMap(doc, 'map')
    lib.transact(doc, (tx) => {
      if (isArray) {
        lib.arrayInsert(root, tx, 0, [String(i)])
      } else {
        const value =
          def.op === 'setMapNumber'
            ? i
            : def.op === 'setMapObject'
              ? { name: String(i), address: 'here' }
              : String(i).repeat(w.sqrtN)
        lib.mapSet(root, tx, 'v', value)
      }
    })
    off()
    if (i === 0) first = doc
    else lib.free(doc)
  }
  for (let k = 1; k < updates.length; k++) lib.applyUpdate(first, updates[k])
  return { doc: first, ...counts }
}

// A trace replayed `passes` times into one document. B4 makes every delete and every insert its own transaction;
// the trace/<stem> benchmarks make each of the trace's transactions one (`perTxn`), as Conflux's do. Each pass uses
// the trace's own positions, so it builds its copy in front of the previous ones and the final text is endContent
// repeated `passes` times.
function runTrace(lib, trace, { listen, passes = 1, perTxn = false }) {
  const counts = { updates: 0, updateBytes: 0, updateBytesV2: 0 }
  const doc = lib.newDoc(B4_CLIENT)
  const off = listen ? countUpdates(lib, doc, counts, false) : () => {}
  const text = lib.getText(doc, 'text')
  const { patches, txnEnds } = trace
  const applyPatch = (tx, i) => {
    if (patches[i + 1]) lib.textDelete(text, tx, patches[i], patches[i + 1])
    if (patches[i + 2]) lib.textInsert(text, tx, patches[i], patches[i + 2])
  }
  for (let pass = 0; pass < passes; pass++) {
    let i = 0
    for (const end of txnEnds) {
      if (perTxn) {
        lib.transact(doc, (tx) => {
          for (; i < end; i += 3) applyPatch(tx, i)
        })
        continue
      }
      for (; i < end; i += 3) {
        const at = patches[i]
        const del = patches[i + 1]
        const ins = patches[i + 2]
        if (del) lib.transact(doc, (tx) => lib.textDelete(text, tx, at, del))
        if (ins) lib.transact(doc, (tx) => lib.textInsert(text, tx, at, ins))
      }
    }
  }
  off()
  const error = lib.textString(text) !== trace.endContent.repeat(passes) ? 'final text differs from endContent' : undefined
  return { doc, ...counts, error }
}

// Trace patches as a flat [position, deleted, inserted, ...] list in UTF-16 code units, the index unit of both
// libraries (the traces count code points, which differ only around characters outside the BMP), and where each of
// the trace's transactions ends in that list. A startContent is inserted by a transaction of its own.
function loadTrace(file) {
  const raw = readGzJson(file)
  const patches = []
  const txnEnds = []
  if (raw.startContent) txnEnds.push(patches.push(0, 0, raw.startContent))
  for (const txn of raw.txns) {
    for (const [pos, del, ins] of txn.patches) patches.push(pos, del, ins)
    txnEnds.push(patches.length)
  }
  const astral = /[\uD800-\uDFFF]/
  if (patches.some((p, i) => i % 3 === 2 && astral.test(p))) {
    let content = ''
    const unitsAfter = (from, codePoints) => {
      let u = from
      for (let c = 0; c < codePoints; c++) u += content.codePointAt(u) > 0xffff ? 2 : 1
      return u
    }
    for (let i = 0; i < patches.length; i += 3) {
      const at = unitsAfter(0, patches[i])
      const end = unitsAfter(at, patches[i + 1])
      content = content.slice(0, at) + patches[i + 2] + content.slice(end)
      patches[i] = at
      patches[i + 1] = end - at
    }
  }
  return { patches, txnEnds, endContent: raw.endContent }
}

// ---------------------------------------------------------------------------------------------------------------
// What yjs 13.6.33 made for each benchmark, from the table in ../shared/bench/README.md.

function loadExpectedBytes() {
  const rows = {}
  const md = fs.readFileSync(path.join(sharedDir, 'bench/README.md'), 'utf8')
  for (const line of md.split('\n')) {
    const cells = line.split('|').map((c) => c.trim().replace(/`/g, ''))
    if (cells.length < 8 || !/^B\d/.test(cells[1])) continue
    const [, name, v1, v1sha, v2, v2sha, sumV1, sumV2] = cells
    rows[name] = { v1: +v1, v1sha, v2: +v2, v2sha, sumV1: +sumV1, sumV2: +sumV2 }
  }
  return rows
}

function compareBytes(expected, got) {
  if (!expected) return []
  const diffs = []
  const check = (what, want, have) => have !== undefined && want !== have && diffs.push(`${what} ${have} != ${want}`)
  check('v1 state bytes', expected.v1, got.docSize)
  check('v1 sha256', expected.v1sha, got.sha)
  check('v2 state bytes', expected.v2, got.docSizeV2)
  check('v2 sha256', expected.v2sha, got.shaV2)
  check('sum of v1 updates', expected.sumV1, got.updateBytes)
  check('sum of v2 updates', expected.sumV2, got.updateBytesV2)
  return diffs
}

// ---------------------------------------------------------------------------------------------------------------
// Worker side: one job, measured as described at the top.

function timeOnce(fn) {
  const t0 = performance.now()
  const value = fn()
  return { ms: performance.now() - t0, value }
}

// Adds timed runs (`runOnce` returns its time) to `times` until enough are done.
function repeat(times, runOnce) {
  while (times.length < MAX_RUNS) {
    const spent = times.reduce((a, b) => a + b, 0)
    if (times.length >= MIN_RUNS && spent >= REPEAT_TARGET_MS) break
    if (spent + median(times) > REPEAT_BUDGET_MS) break
    times.push(runOnce())
  }
  return times
}

// Milliseconds to decode `state` into a fresh document (freed afterwards, untimed).
function parseOnce(lib, state) {
  const { ms, value } = timeOnce(() => {
    const fresh = lib.newDoc(1)
    lib.applyUpdate(fresh, state)
    return fresh
  })
  lib.free(value)
  return ms
}

// Encoding and decoding the final state, a few times each.
function stateTimes(lib, doc, state) {
  const encode = repeat([], () => timeOnce(() => lib.encodeV1(doc)).ms)
  const parse = repeat([], () => parseOnce(lib, state))
  return { encodeTimeMs: median(encode), parseTimeMs: median(parse) }
}

// One run of a workload, with the memory its final document holds when `withMemory`.
function measured(lib, run, withMemory) {
  const mem = withMemory ? lib.memoryStart() : 0
  const { ms, value } = timeOnce(run)
  return { result: value, ms, memoryBytes: withMemory ? lib.memoryEnd(mem) : null }
}

// The runs of one benchmark: the first gives the final state (its sizes, encode and decode times, and `inspect`
// sees it before it is released), then timed runs follow unless `single`. yjs's memory is measured on every run
// and the first, which also counts the code that run compiled, is left out when there are others; ywasm's can
// only be measured on the first run, in the fresh wasm instance.
function measureRuns(lib, run, { single = false, inspect = () => {} } = {}) {
  const first = measured(lib, run, true)
  const state = lib.encodeV1(first.result.doc)
  const stateV2 = lib.encodeV2(first.result.doc)
  const stateFields = single
    ? {
        encodeTimeMs: timeOnce(() => lib.encodeV1(first.result.doc)).ms,
        parseTimeMs: parseOnce(lib, state),
      }
    : stateTimes(lib, first.result.doc, state)
  inspect(first.result)
  lib.free(first.result.doc)
  const memories = [first.memoryBytes]
  const times = [first.ms]
  if (!single) {
    repeat(times, () => {
      const r = measured(lib, run, lib.memoryEveryRun)
      lib.free(r.result.doc)
      if (r.memoryBytes !== null) memories.push(r.memoryBytes)
      return r.ms
    })
  }
  return {
    result: first.result,
    state,
    stateV2,
    stateFields,
    times,
    memoryBytes: memories.length > 1 ? median(memories.slice(1)) : memories[0],
  }
}

async function runJob({ libName, job, input, expected, names }) {
  const lib = await loadLib(libName)
  const rows = []
  const row = (name, fields) => ({ lib: libName, name, ...fields })
  const w = input.workloads

  const sizes = (m) => ({
    avgUpdateSize: m.result.updates ? m.result.updateBytes / m.result.updates : null,
    updates: m.result.updates,
    docSize: m.state.length,
    docSizeV2: m.stateV2.length,
  })
  // Size checks against yjs's table: failing for yjs, informative for the others.
  const verdict = (name, got, error) => {
    const diffs = compareBytes(expected[name], got)
    const out = {}
    if (libName === 'yjs') {
      out.ok = !error && diffs.length === 0
      if (!out.ok) out.reason = [error, ...diffs].filter(Boolean).join('; ')
    } else {
      out.ok = !error
      if (error) out.reason = error
      if (diffs.length) out.bytesDiffer = diffs
    }
    return out
  }

  if (job.kind === 'workload') {
    const def = w.benchmarks[job.name]
    const runner = { B1: runB1, B2: runB2, B3: runB3 }[def.type]
    // An untimed run that also sums the v2 updates, for the comparison with yjs's table; after the first run, so
    // that ywasm's memory is measured in a fresh instance.
    let check
    const m = measureRuns(lib, () => runner(lib, w, def, { v2: false }), {
      inspect: () => {
        check = runner(lib, w, def, { v2: true })
        lib.free(check.doc)
      },
    })
    rows.push(
      row(job.name, {
        timeMs: median(m.times),
        runs: m.times.length,
        ...sizes(m),
        ...m.stateFields,
        memoryBytes: m.memoryBytes,
        memoryNote: lib.memoryNote,
        ...verdict(
          job.name,
          {
            docSize: m.state.length,
            sha: sha256(m.state),
            docSizeV2: m.stateV2.length,
            shaV2: sha256(m.stateV2),
            updateBytes: m.result.updateBytes,
            updateBytesV2: check.updateBytesV2,
          },
          m.result.error || check.error,
        ),
      }),
    )
  } else if (job.kind === 'trace') {
    const trace = input.trace
    const passes = job.passes || 1
    const { listen, perTxn } = job
    const wanted = (name) => names.includes(name)
    // B4-load decodes the final B4 state; it needs the replay but not its timed repeats.
    const replayRows = job.rows.filter((n) => n !== 'B4-load' && wanted(n))
    const m = measureRuns(lib, () => runTrace(lib, trace, { listen, passes, perTxn }), {
      single: passes > 1 || replayRows.length === 0,
    })
    // yjs's B4 row also holds for B4-local (the same final document) and the automerge-paper trace row.
    const replayVerdict = verdict(
      job.tableRow || job.name,
      {
        docSize: m.state.length,
        sha: sha256(m.state),
        docSizeV2: m.stateV2.length,
        shaV2: sha256(m.stateV2),
        updateBytes: listen ? m.result.updateBytes : undefined,
      },
      m.result.error,
    )
    for (const name of replayRows) {
      rows.push(
        row(name, {
          timeMs: median(m.times),
          runs: m.times.length,
          ...sizes(m),
          ...(listen ? {} : { avgUpdateSize: null, updates: null }),
          ...m.stateFields,
          memoryBytes: m.memoryBytes,
          memoryNote: lib.memoryNote,
          ...replayVerdict,
        }),
      )
    }
    if (wanted('B4-load')) {
      // Decoding the final B4 state into a fresh document and reading its text.
      let text = ''
      const loadTimes = repeat([], () => {
        const { ms, value } = timeOnce(() => {
          const fresh = lib.newDoc(1)
          lib.applyUpdate(fresh, m.state)
          text = lib.textString(lib.getText(fresh, 'text'))
          return fresh
        })
        lib.free(value)
        return ms
      })
      const error = text !== trace.endContent ? 'decoded text differs from endContent' : undefined
      rows.push(
        row('B4-load', {
          timeMs: median(loadTimes),
          runs: loadTimes.length,
          avgUpdateSize: null,
          docSize: m.state.length,
          docSizeV2: null,
          encodeTimeMs: null,
          parseTimeMs: null,
          memoryBytes: null,
          ok: !error,
          ...(error ? { reason: error } : {}),
        }),
      )
    }
  }
  return rows
}

if (!isMainThread) {
  runJob(workerData).then(
    (rows) => parentPort.postMessage({ rows }),
    (err) => parentPort.postMessage({ error: String(err && err.stack ? err.stack : err) }),
  )
}

// ---------------------------------------------------------------------------------------------------------------
// Main thread: the list of benchmarks, one worker per job, budgets.

function parseArgs(argv) {
  const args = { lib: null, filter: null }
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--lib') args.lib = argv[++i]
    else if (argv[i] === '--filter') args.filter = new RegExp(argv[++i])
    else throw new Error(`unknown argument ${argv[i]}`)
  }
  if (args.lib !== 'yjs' && args.lib !== 'ywasm') throw new Error('usage: run.mjs --lib yjs|ywasm [--filter REGEX]')
  return args
}

function runWorker(data, limitMs) {
  return new Promise((resolve) => {
    const worker = new Worker(fileURLToPath(import.meta.url), {
      workerData: data,
      resourceLimits: { maxOldGenerationSizeMb: 8192 },
    })
    let settled = false
    const finish = (value) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      worker.terminate()
      resolve(value)
    }
    const timer = setTimeout(() => finish({ error: `stopped after the ${limitMs / 1000} s budget` }), limitMs)
    worker.on('message', finish)
    worker.on('error', (err) => finish({ error: String(err && err.stack ? err.stack : err) }))
    worker.on('exit', (code) => finish({ error: `worker exited with code ${code}` }))
  })
}

async function main() {
  const args = parseArgs(process.argv.slice(2))
  if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc')
  const workloads = readGzJson(path.join(sharedDir, 'bench/workloads-n6000.json.gz'))
  const expected = loadExpectedBytes()
  const traceFiles = fs
    .readdirSync(path.join(sharedDir, 'traces'))
    .filter((f) => f.endsWith('.json.gz'))
    .sort()
  const stem = (f) => f.replace(/\.json\.gz$/, '')

  // Jobs in the order they run; a job may produce several rows (B4's replay also gives B4-load and the
  // automerge-paper trace row).
  const workloadNames = Object.keys(workloads.benchmarks).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
  const paper = 'automerge-paper.json.gz'
  const traces = {}
  const traceOf = (file) => (traces[file] ??= loadTrace(path.join(sharedDir, 'traces', file)))
  // B4's replay is also the automerge-paper trace's when every transaction of the trace is one patch that either
  // deletes or inserts (then both make the same transactions), which saves a second replay.
  const { patches: paperPatches, txnEnds: paperEnds } = traceOf(paper)
  const paperInB4 =
    paperEnds.every((end, k) => end === 3 * (k + 1)) &&
    !paperPatches.some((p, i) => i % 3 === 1 && p > 0 && paperPatches[i + 1])
  const traceJob = (f) => ({ kind: 'trace', name: `trace/${stem(f)}`, file: f, listen: true, perTxn: true })
  const jobs = [
    ...workloadNames.map((name) => ({ kind: 'workload', name, rows: [name] })),
    {
      kind: 'trace',
      name: 'B4',
      file: paper,
      listen: true,
      tableRow: 'B4',
      rows: ['B4', 'B4-load', ...(paperInB4 ? ['trace/automerge-paper'] : [])],
    },
    { kind: 'trace', name: 'B4-local', file: paper, listen: false, tableRow: 'B4', rows: ['B4-local'] },
    {
      kind: 'trace',
      name: 'B4x100',
      file: paper,
      listen: true,
      passes: 100,
      estimateFrom: 'B4',
      budgetMs: X100_LISTEN_BUDGET_MS,
      rows: ['B4x100'],
    },
    {
      kind: 'trace',
      name: 'B4x100-local',
      file: paper,
      listen: false,
      passes: 100,
      estimateFrom: 'B4-local',
      budgetMs: X100_LOCAL_BUDGET_MS,
      rows: ['B4x100-local'],
    },
    ...traceFiles.filter((f) => f !== paper || !paperInB4).map((f) => ({ ...traceJob(f), rows: [traceJob(f).name] })),
  ]

  const measured = {}
  for (const job of jobs) {
    const names = job.rows.filter((n) => !args.filter || args.filter.test(n))
    if (!names.length) continue
    const fail = (reason) => names.map((name) => ({ lib: args.lib, name, timeMs: null, ok: false, reason }))
    let rows
    const estimate = job.estimateFrom && measured[job.estimateFrom]
    if (estimate && estimate * job.passes > job.budgetMs) {
      rows = fail(
        `skipped: ${job.passes} passes at ${(estimate / 1000).toFixed(1)} s each would take about ` +
          `${Math.round((estimate * job.passes) / 1000)} s, over the ${job.budgetMs / 1000} s budget`,
      )
    } else {
      const input = { workloads: { clientIds: workloads.clientIds, sqrtN: workloads.sqrtN, benchmarks: {} } }
      if (job.kind === 'workload') input.workloads.benchmarks[job.name] = workloads.benchmarks[job.name]
      else {
        input.trace = traceOf(job.file)
      }
      log(`${args.lib} ${names.join(', ')}`)
      const t0 = performance.now()
      const limit = job.passes > 1 ? X100_LIMIT_MS : JOB_LIMIT_MS
      const reply = await runWorker({ libName: args.lib, job, input, expected, names }, limit)
      rows = reply.rows || fail(reply.error)
      log(`${args.lib} ${job.name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    }
    for (const r of rows) {
      if (r.name === job.name && r.timeMs != null) measured[job.name] = r.timeMs
      process.stdout.write(JSON.stringify(r) + '\n')
    }
  }
}

if (isMainThread) {
  main().catch((err) => {
    process.stderr.write(`run.mjs: ${err.stack || err}\n`)
    process.exit(1)
  })
}
