// Replays an editing trace in real Yjs the way `conflux trace replay` does (one
// transaction per patch into the Text root "text"; trace positions are code
// points) and prints the sha256 and size of the final v1 state update.
//
//   node replay_trace.cjs TRACE.json.gz CLIENT_ID
const Y = require('yjs')
const zlib = require('zlib')
const fs = require('fs')
const crypto = require('crypto')

const trace = JSON.parse(zlib.gunzipSync(fs.readFileSync(process.argv[2])))
const doc = new Y.Doc()
doc.clientID = Number(process.argv[3])
const text = doc.getText('text')
const patches = trace.txns.flatMap((t) => t.patches)
// Without characters outside the BMP, code points and UTF-16 units coincide.
const bmpOnly = patches.every(([, , ins]) => !/[\uD800-\uDFFF]/.test(ins))
const units = (s, from, codePoints) => {
  let u = from
  for (let c = 0; c < codePoints; c++) u += s.codePointAt(u) > 0xffff ? 2 : 1
  return u
}
for (const [pos, del, ins] of patches) {
  let at = pos
  let len = del
  if (!bmpOnly) {
    const s = text.toString()
    at = units(s, 0, pos)
    len = units(s, at, del) - at
  }
  if (len) text.delete(at, len)
  if (ins) text.insert(at, ins)
}
if (text.toString() !== trace.endContent) {
  console.error('yjs did not reach endContent')
  process.exit(1)
}
const update = Y.encodeStateAsUpdate(doc)
console.log(crypto.createHash('sha256').update(update).digest('hex'), update.length)
