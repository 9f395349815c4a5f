// What the end-to-end scripts share: checks, waits, tokens, and starting
// `conflux serve` and redis-server as child processes.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import crypto from 'node:crypto'
import net from 'node:net'

export const SECRET = 'e2e-secret'

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
export function check (cond, what) {
  if (!cond) throw new Error('check failed: ' + what)
}
export function checkEqual (actual, expected, what) {
  const a = JSON.stringify(actual)
  const e = JSON.stringify(expected)
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`)
}
export async function until (cond, what, timeoutMs = 10000) {
  const start = Date.now()
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting for ' + what)
    await sleep(10)
  }
  return Date.now() - start
}

// --- tokens, signed here with node's crypto (a standard JWT signer) ---------
export const b64url = (buf) => Buffer.from(buf).toString('base64url')
export function signJwt (payload, { alg = 'HS256', secret = SECRET, key = null, header = null } = {}) {
  const head = b64url(JSON.stringify(header || { alg, typ: 'JWT' }))
  const body = b64url(JSON.stringify(payload))
  const input = `${head}.${body}`
  let sig = ''
  if (alg === 'HS256') sig = b64url(crypto.createHmac('sha256', secret).update(input).digest())
  else if (alg === 'RS256') sig = b64url(crypto.sign('sha256', Buffer.from(input), key))
  return `${input}.${sig}`
}
export const now = () => Math.floor(Date.now() / 1000)
export function token (user, extra = {}) {
  return signJwt({ sub: user, sid: crypto.randomUUID(), iat: now(), exp: now() + 600, ...extra })
}

// A port nothing listens on right now.
export async function freePort () {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.on('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

// Starts a server process and resolves once a line of its stdout matches
// `ready` (its first group, if any, is returned as `match`). Every line is
// kept in `log`.
export async function startProcess (command, args, ready, log = []) {
  const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = createInterface({ input: proc.stdout })
  proc.log = log
  proc.exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })))
  proc.match = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} did not start`)), 15000)
    lines.on('line', (line) => {
      log.push(line)
      const m = line.match(ready)
      if (m) { clearTimeout(timer); resolve(m[1]) }
    })
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${command} exited with ${code}`)) })
    proc.on('error', (e) => { clearTimeout(timer); reject(new Error(`${command} cannot start: ${e.message}`)) })
  })
  return proc
}

// `conflux serve` with these flags; resolves to the process, with `port`.
export async function startConflux (conflux, flags, log = []) {
  const proc = await startProcess(conflux, ['serve', ...flags], /listening on http:\/\/[^:]+:(\d+)/, log)
  proc.port = Number(proc.match)
  return proc
}

// A redis-server of our own on a loopback port, its append-only file in `dir`.
export async function startRedis (port, dir, log = []) {
  return startProcess('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '',
    '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir, '--daemonize', 'no'],
  /(Ready to accept connections)/, log)
}

export async function stopProcess (proc, signal = 'SIGTERM') {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return
  proc.kill(signal)
  await proc.exited
}

// Runs scenarios[name] and exits: 0 after printing "PASS <name>", 1 after
// printing what went wrong and the server log. A scenario still running
// after timeoutMs (a dead server, a lost message) fails instead of hanging.
// cleanUp runs in every case.
export async function runScenario (scenarios, name, { log, cleanUp, timeoutMs }) {
  const run = scenarios[name]
  if (!run) {
    console.error(`unknown scenario "${name}"; known: ${Object.keys(scenarios).join(', ')}`)
    process.exit(2)
  }
  const fail = (why) => {
    console.log(`FAIL ${name}: ${why}`)
    console.log('server log:\n' + log.join('\n'))
  }
  const watchdog = setTimeout(async () => {
    fail(`no result after ${timeoutMs / 1000} s`)
    await cleanUp()
    process.exit(1)
  }, timeoutMs)
  let failed = false
  try {
    await run()
    console.log(`PASS ${name}`)
  } catch (e) {
    failed = true
    fail(e.stack || e.message)
  }
  clearTimeout(watchdog)
  await cleanUp()
  process.exit(failed ? 1 : 0)
}
