import zlib from 'zlib'; import fs from 'fs'
import * as Y from 'yjs'
import * as W from 'ywasm'
const t = JSON.parse(zlib.gunzipSync(fs.readFileSync('../../../shared/traces/automerge-paper.json.gz')))
const p = t.txns.flatMap(x=>x.patches)
for (let r = 0; r < 2; r++) {
let t0 = performance.now()
const doc = new Y.Doc(); doc.clientID = 2654435761
const text = doc.getText('text'); let sum = 0
doc.on('update', u => { sum += u.length })
for (const [pos, del, ins] of p) { if (del) text.delete(pos, del); if (ins) text.insert(pos, ins) }
console.log('yjs', performance.now() - t0, sum, text.toString() === t.endContent, Y.encodeStateAsUpdate(doc).length)
t0 = performance.now()
const wd = new W.YDoc({clientID: 2654435761}); const wt = wd.getText('text'); let wsum = 0
const o = wd.onUpdate(u => { wsum += u.length })
for (const [pos, del, ins] of p) { if (del) { const tx = wd.beginTransaction(); wt.delete(pos, del, tx); tx.free() } if (ins) { const tx = wd.beginTransaction(); wt.insert(pos, ins, undefined, tx); tx.free() } }
console.log('ywasm', performance.now() - t0, wsum, wt.toString() === t.endContent, W.encodeStateAsUpdate(wd).length, W.__wasm.memory.buffer.byteLength)
}
