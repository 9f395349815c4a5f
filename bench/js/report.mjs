// Turns the raw results of bench/compare into its markdown report (stdout) and one JSON file of everything:
//
//   node bench/js/report.mjs OUT_DIR BUILD_DIR
//
// OUT_DIR holds conflux.json (conflux-bench --benchmark_format=json), yjs.jsonl and ywasm.jsonl (bench/js/run.mjs),
// servers.md (the table bench/load/compare-servers printed) or servers.failed (why there is none), and
// storage.md or storage.failed (bench/load/compare-storage) likewise; any of them may be missing. BUILD_DIR is the CMake build the Conflux figures come from. Writes OUT_DIR/results.json.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const [outDir, buildDir] = process.argv.slice(2)
if (!outDir || !buildDir) {
  process.stderr.write('usage: node report.mjs OUT_DIR BUILD_DIR\n')
  process.exit(2)
}
const here = path.dirname(fileURLToPath(import.meta.url))
const LIBS = ['yjs', 'ywasm']

const readText = (file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null)

// Conflux rows keyed by benchmark name, times in ms. Google Benchmark may append run options to a name
// ("/iterations:1", "/real_time", ...); those are dropped, the slash of "trace/<stem>" is kept.
function loadConflux() {
  const raw = readText(path.join(outDir, 'conflux.json'))
  if (!raw) return { rows: {}, context: null, problem: 'conflux-bench produced no results' }
  let parsed
  try {
    parsed = JSON.parse(raw)
  } catch (err) {
    return { rows: {}, context: null, problem: `conflux-bench output is not JSON (${err.message})` }
  }
  const toMs = { ns: 1e-6, us: 1e-3, ms: 1, s: 1000 }
  const rows = {}
  for (const b of parsed.benchmarks || []) {
    if (b.run_type === 'aggregate') continue
    let name = b.run_name || b.name
    while (/\/(iterations|min_time|min_warmup_time|repeats|real_time|manual_time|process_time|threads)(:[^/]*)?$/.test(name))
      name = name.replace(/\/[^/]*$/, '')
    const num = (k) => (typeof b[k] === 'number' ? b[k] : null)
    rows[name] = b.error_occurred
      ? { name, error: b.error_message || 'error' }
      : {
          name,
          timeMs: b.real_time * (toMs[b.time_unit] ?? 1),
          avgUpdateSize: num('avgUpdateSize'),
          docSize: num('docSize'),
          docSizeV2: num('docSizeV2'),
          encodeTimeMs: num('encodeTime'),
          parseTimeMs: num('parseTime'),
          memoryBytes: num('docMemory'),
          updates: num('updates'),
        }
  }
  return { rows, context: parsed.context || null, problem: null }
}

function loadLib(lib) {
  const raw = readText(path.join(outDir, `${lib}.jsonl`))
  const rows = {}
  if (!raw) return rows
  for (const line of raw.split('\n')) {
    if (!line.trim()) continue
    try {
      const r = JSON.parse(line)
      rows[r.name] = r
    } catch {
      // a line cut short by a stopped runner: the rows before it still count
    }
  }
  return rows
}

function machine() {
  const cpuinfo = readText('/proc/cpuinfo') || ''
  const model = (cpuinfo.match(/^model name\s*:\s*(.+)$/m) || [])[1] || os.cpus()[0]?.model || 'unknown'
  const osRelease = readText('/etc/os-release') || ''
  const distro = (osRelease.match(/^PRETTY_NAME="?([^"\n]*)"?$/m) || [])[1] || os.type()
  const pkgVersion = (name) => {
    try {
      return JSON.parse(fs.readFileSync(path.join(here, 'node_modules', name, 'package.json'), 'utf8')).version
    } catch {
      return 'not installed'
    }
  }
  const cache = readText(path.join(buildDir, 'CMakeCache.txt')) || ''
  const cacheValue = (key) => (cache.match(new RegExp(`^${key}:[A-Z]+=(.*)$`, 'm')) || [])[1] || ''
  const cxx = cacheValue('CMAKE_CXX_COMPILER')
  let compiler = 'unknown'
  if (cxx) {
    try {
      compiler = execFileSync(cxx, ['--version'], { encoding: 'utf8' }).split('\n')[0]
    } catch {
      compiler = cxx
    }
  }
  return {
    cpu: model,
    cores: os.cpus().length,
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    os: `${distro}, Linux ${os.release()}`,
    node: process.version,
    yjs: pkgVersion('yjs'),
    ywasm: pkgVersion('ywasm'),
    compiler,
    buildType: cacheValue('CMAKE_BUILD_TYPE') || 'unknown',
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Formatting.

const dash = '-'
const have = (v) => typeof v === 'number' && Number.isFinite(v)
function fmtMs(v) {
  if (!have(v)) return dash
  if (v >= 100) return Math.round(v).toLocaleString('en-US')
  if (v >= 10) return v.toFixed(1)
  if (v >= 1) return v.toFixed(2)
  return v.toPrecision(2)
}
const fmtInt = (v) => (have(v) ? Math.round(v).toLocaleString('en-US') : dash)
const fmtRatio = (v) => (have(v) ? `${v >= 10 ? v.toFixed(0) : v.toFixed(1)}×` : dash)
function fmtBytes(v) {
  if (!have(v)) return dash
  const a = Math.abs(v)
  if (a >= 2 ** 30) return `${(v / 2 ** 30).toFixed(2)} GiB`
  if (a >= 2 ** 20) return `${(v / 2 ** 20).toFixed(2)} MiB`
  if (a >= 2 ** 10) return `${(v / 2 ** 10).toFixed(1)} KiB`
  return `${Math.round(v)} B`
}

// The benchmarks in the order of the issue; any other name the runs produced follows.
function benchmarkNames(sources) {
  const known = [
    ...Array.from({ length: 11 }, (_, i) => `B1.${i + 1}`),
    ...Array.from({ length: 4 }, (_, i) => `B2.${i + 1}`),
    ...Array.from({ length: 4 }, (_, i) => `B3.${i + 1}`),
    'B4',
    'B4-local',
    'B4-load',
    'B4-gapbuffer',
    'B4x100',
    'B4x100-local',
  ]
  const seen = new Set(sources.flatMap((s) => Object.keys(s)))
  const traces = [...seen].filter((n) => n.startsWith('trace/')).sort()
  const others = [...seen].filter((n) => !known.includes(n) && !n.startsWith('trace/')).sort()
  return [...known.filter((n) => seen.has(n)), ...traces, ...others]
}

// ---------------------------------------------------------------------------------------------------------------

const conflux = loadConflux()
const libs = Object.fromEntries(LIBS.map((l) => [l, loadLib(l)]))
const info = machine()
const names = benchmarkNames([conflux.rows, ...LIBS.map((l) => libs[l])])

const out = []
const notes = []
const say = (s = '') => out.push(s)

say('# Conflux vs yjs vs ywasm')
say()
say('## Machine')
say()
say(`- CPU: ${info.cpu}, ${info.cores} cores; RAM ${info.memoryGiB} GiB`)
say(`- OS: ${info.os}`)
say(`- node ${info.node}, yjs ${info.yjs}, ywasm ${info.ywasm}`)
say(`- compiler: ${info.compiler} (CMAKE_BUILD_TYPE ${info.buildType})`)
if (conflux.context?.load_avg) say(`- load average when conflux-bench started: ${conflux.context.load_avg.map((x) => x.toFixed(2)).join(', ')}`)
say()

// Engine table.
const timeCell = (r) => {
  if (!r) return dash
  if (r.error) return 'error'
  if (!have(r.timeMs)) return r.reason?.startsWith('skipped') ? 'skipped' : 'failed'
  return r.ok === false ? `${fmtMs(r.timeMs)} ⚠` : fmtMs(r.timeMs)
}
const timeOf = (r) => (r && !r.error && have(r.timeMs) ? r.timeMs : null)
const ratio = (lib, c) => (have(lib) && have(c) && c > 0 ? lib / c : null)
const mismatches = []

// A size column: one figure when every library made the same, else each; Conflux differing from yjs is a MISMATCH.
function sizeCell(name, key, label) {
  const c = conflux.rows[name]?.[key]
  const y = libs.yjs[name]?.[key]
  const w = libs.ywasm[name]?.[key]
  const present = [c, y, w].filter(have)
  if (!present.length) return dash
  if (present.every((v) => v === present[0])) return fmtInt(present[0])
  const parts = [`C ${fmtInt(c)}`, `yjs ${fmtInt(y)}`, `ywasm ${fmtInt(w)}`]
  if (have(c) && have(y) && c !== y) {
    mismatches.push(`${name}: ${label} Conflux ${c} vs yjs ${y}`)
    return `**MISMATCH** ${parts.join(' / ')}`
  }
  return parts.join(' / ')
}
const triple = (name, key, fmt) =>
  [conflux.rows[name], libs.yjs[name], libs.ywasm[name]].map((r) => (r && !r.error ? fmt(r[key]) : dash)).join(' / ')

say('## Engine')
say()
say('Times in ms (median of the runs; Conflux: Google Benchmark real time). Ratios above 1× mean Conflux is faster.')
say('Sizes in bytes. Triples are Conflux / yjs / ywasm.')
say()
say(
  '| benchmark | Conflux ms | yjs ms | ywasm ms | yjs/Conflux | ywasm/Conflux | doc size v1 | doc size v2 | avg update size | memory |',
)
say('|---|---:|---:|---:|---:|---:|---|---|---|---|')
for (const name of names) {
  const c = conflux.rows[name]
  const y = libs.yjs[name]
  const w = libs.ywasm[name]
  const avg = triple(name, 'avgUpdateSize', (v) => (have(v) ? v.toFixed(1) : dash))
  const mem = triple(name, 'memoryBytes', fmtBytes)
  say(
    `| ${name} | ${timeCell(c)} | ${timeCell(y)} | ${timeCell(w)} | ${fmtRatio(ratio(timeOf(y), timeOf(c)))} | ` +
      `${fmtRatio(ratio(timeOf(w), timeOf(c)))} | ${sizeCell(name, 'docSize', 'doc size v1')} | ` +
      `${sizeCell(name, 'docSizeV2', 'doc size v2')} | ${avg === '- / - / -' ? dash : avg} | ` +
      `${mem === '- / - / -' ? dash : mem} |`,
  )
  for (const [lib, r] of [['Conflux', c], ['yjs', y], ['ywasm', w]]) {
    // First lines only: a runner's reason may carry a whole stack trace (the JSON lines keep it).
    const firstLine = (s) => String(s).split('\n')[0]
    if (r?.error) notes.push(`${lib} ${name}: ${firstLine(r.error)}`)
    else if (r && r.ok === false) notes.push(`${lib} ${name}: ${firstLine(r.reason || 'not ok')}`)
    if (r?.bytesDiffer) notes.push(`${lib} ${name} differs from yjs's bytes: ${r.bytesDiffer.join('; ')}`)
  }
}
say()
say(
  'Memory: Conflux, heap the final document holds (glibc); yjs, JS heap the final document holds (heapUsed ' +
    'after gc, less before); ywasm, growth of wasm linear memory over its first run in a fresh instance (an upper ' +
    'bound: it also counts transient buffers, the other documents of the workload and fragmentation). ' +
    'B4x100 is compared with yjs and ywasm B4x100 where they ran; the issue compares it with yjs B4x100-local.',
)
say()
if (conflux.problem) say(`**Conflux: ${conflux.problem}.**\n`)
if (mismatches.length) {
  say('**MISMATCH between Conflux and yjs:**')
  say()
  for (const m of mismatches) say(`- MISMATCH ${m}`)
  say()
}
if (notes.length) {
  say('Problems and skipped runs:')
  say()
  for (const n of notes) say(`- ${n}`)
  say()
}

say('### Encoding and decoding the final state')
say()
say('encodeStateAsUpdate (v1) of the final document, and applying that state to a fresh document; ms, Conflux / yjs / ywasm.')
say()
say('| benchmark | encode ms | decode ms |')
say('|---|---|---|')
for (const name of names) {
  const enc = triple(name, 'encodeTimeMs', fmtMs)
  const dec = triple(name, 'parseTimeMs', fmtMs)
  if (enc === '- / - / -' && dec === '- / - / -') continue
  say(`| ${name} | ${enc} | ${dec} |`)
}
say()

// Targets of issue 4.
const t = (name, lib) => timeOf(lib ? libs[lib][name] : conflux.rows[name])
const targets = []
const target = (what, figures, met) => {
  const status = met === null ? 'UNKNOWN (a figure is missing)' : met ? 'met' : 'NOT MET'
  targets.push({ target: what, status, figures })
}
{
  const c = t('B4')
  const y = t('B4', 'yjs')
  target('B4 ≥ 50× faster than yjs', `Conflux ${fmtMs(c)} ms, yjs ${fmtMs(y)} ms: ${fmtRatio(ratio(y, c))}`,
    have(c) && have(y) ? y / c >= 50 : null)
  const others = LIBS.map((l) => [l, t('B4', l)]).filter(([, v]) => have(v))
  const [fastest, ft] = others.sort((a, b) => a[1] - b[1])[0] || [null, null]
  target(
    'B4 ≥ 10× faster than the fastest other library',
    fastest ? `Conflux ${fmtMs(c)} ms, fastest ${fastest} ${fmtMs(ft)} ms: ${fmtRatio(ratio(ft, c))}` : 'no other library ran B4',
    have(c) && have(ft) ? ft / c >= 10 : null,
  )
  const local = t('B4-local')
  const gap = t('B4-gapbuffer')
  target('B4-local within 10× of B4-gapbuffer', `B4-local ${fmtMs(local)} ms, B4-gapbuffer ${fmtMs(gap)} ms: ${fmtRatio(ratio(local, gap))}`,
    have(local) && have(gap) ? local / gap <= 10 : null)
  const load = t('B4-load')
  const yLoad = t('B4-load', 'yjs')
  target('B4-load ≥ 10× faster than yjs', `Conflux ${fmtMs(load)} ms, yjs ${fmtMs(yLoad)} ms: ${fmtRatio(ratio(yLoad, load))}`,
    have(load) && have(yLoad) ? yLoad / load >= 10 : null)
  const cm = conflux.rows.B4?.memoryBytes
  const ym = libs.yjs.B4?.memoryBytes
  target('B4 document memory ≤ half of yjs\'s', `Conflux ${fmtBytes(cm)}, yjs ${fmtBytes(ym)}: ${have(cm) && have(ym) ? ((100 * cm) / ym).toFixed(0) + '% of yjs' : dash}`,
    have(cm) && have(ym) ? cm <= ym / 2 : null)
  const x = t('B4x100')
  const yx = t('B4x100-local', 'yjs')
  const xRow = conflux.rows.B4x100
  target(
    'B4x100 completes and is ≥ 30× faster than yjs\'s B4x100-local',
    `Conflux ${xRow?.error ? 'failed: ' + xRow.error : fmtMs(x) + ' ms'}, yjs B4x100-local ${yx === null ? (libs.yjs['B4x100-local']?.reason || 'not run') : fmtMs(yx) + ' ms'}: ${fmtRatio(ratio(yx, x))}`,
    xRow?.error ? false : have(x) && have(yx) ? yx / x >= 30 : null,
  )
}
say('## Targets (issue 4)')
say()
for (const { target: what, status, figures } of targets) say(`- ${what}: **${status}** (${figures})`)
say()

// A section holding the table a script printed to NAME.md, or why there is none (NAME.failed).
function tableSection (title, name, none) {
  say(`## ${title}`)
  say()
  const table = readText(path.join(outDir, `${name}.md`))
  const failed = readText(path.join(outDir, `${name}.failed`))
  if (table) say(table.trimEnd())
  else say(failed ? failed.trim() : none)
  say()
  return table
}
const servers = tableSection('Servers', 'servers', 'No server comparison was run.')
const storage = tableSection('Storage (updates through the server in memory, with SQLite, with SQLite and the Redis relay)',
  'storage', 'No storage comparison was run.')

const report = out.join('\n')
process.stdout.write(report)
fs.writeFileSync(
  path.join(outDir, 'results.json'),
  JSON.stringify(
    {
      machine: info,
      conflux: { context: conflux.context, problem: conflux.problem, rows: conflux.rows },
      ...libs,
      mismatches,
      targets,
      servers: servers || null,
      storage: storage || null,
    },
    null,
    1,
  ) + '\n',
)
