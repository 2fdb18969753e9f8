#!/usr/bin/env node
// Shrink a disagreeing case to a minimal one (greedy delta debugging).
//
//   node minimize.mjs --edgeward PATH --seed S --index I      (a generated case)
//   node minimize.mjs --edgeward PATH --file case.json        (a case object)
//
// A reduction is kept while iam-simulate and edgeward still give the same two
// (different) answers as for the original case and no documented deviation explains it. Prints the minimal case and answers.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { generateCase } from './gen.mjs'
import { oracle, classify } from './run.mjs'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
const DEVIATIONS = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'deviations.json'), 'utf8')).deviations

const clone = (x) => JSON.parse(JSON.stringify(x))

function edgewardBatch(bin, cases) {
  const dir = mkdtempSync(join(tmpdir(), 'ew-min-'))
  const file = join(dir, 'c.json')
  writeFileSync(file, JSON.stringify(cases))
  const r = spawnSync(bin, ['policy', 'simulate', file], { encoding: 'utf8', maxBuffer: 1 << 28 })
  rmSync(dir, { recursive: true, force: true })
  const out = new Map()
  for (const l of r.stdout.split('\n')) {
    if (!l.startsWith('{')) continue
    const j = JSON.parse(l)
    out.set(j.name, j.decision ?? `error: ${j.error}`)
  }
  return out
}

/** All one-step reductions of a case. */
function* reductions(c) {
  const policySlots = []
  c.identityPolicies.forEach((p, i) => policySlots.push([`identityPolicies[${i}]`, (x) => x.identityPolicies[i].policy, (x) => x.identityPolicies.splice(i, 1)]))
  if (c.resourcePolicy) policySlots.push(['resourcePolicy', (x) => x.resourcePolicy, (x) => delete x.resourcePolicy])
  if (c.sessionPolicy) policySlots.push(['sessionPolicy', (x) => x.sessionPolicy, (x) => delete x.sessionPolicy])
  ;(c.permissionBoundaries || []).forEach((p, i) => policySlots.push([`pb[${i}]`, (x) => x.permissionBoundaries[i].policy, (x) => (x.permissionBoundaries.splice(i, 1), x.permissionBoundaries.length || delete x.permissionBoundaries)]))
  for (const f of ['serviceControlPolicies', 'resourceControlPolicies'])
    (c[f] || []).forEach((lvl, i) => {
      policySlots.push([`${f}[${i}]`, (x) => x[f][i].policies[0].policy, (x) => (x[f].splice(i, 1), x[f].length || delete x[f])])
    })
  // drop whole policies
  for (const [, , drop] of policySlots) {
    const x = clone(c)
    drop(x)
    yield x
  }
  // drop statements, statement fields, conditions, array members
  for (const [, get] of policySlots) {
    const p = get(c)
    const sts = Array.isArray(p.Statement) ? p.Statement : [p.Statement]
    for (let s = 0; s < sts.length; s++) {
      const edit = (fn) => {
        const x = clone(c)
        const px = get(x)
        if (!Array.isArray(px.Statement)) px.Statement = [px.Statement]
        fn(px.Statement, px.Statement[s])
        return x
      }
      if (sts.length > 1) yield edit((all) => all.splice(s, 1))
      const st = sts[s]
      if (st.Sid) yield edit((a, t) => delete t.Sid)
      if (st.Condition) {
        yield edit((a, t) => delete t.Condition)
        for (const op of Object.keys(st.Condition)) {
          if (Object.keys(st.Condition).length > 1) yield edit((a, t) => delete t.Condition[op])
          for (const k of Object.keys(st.Condition[op])) {
            if (Object.keys(st.Condition[op]).length > 1) yield edit((a, t) => delete t.Condition[op][k])
            const v = st.Condition[op][k]
            if (Array.isArray(v) && v.length > 1) for (let i = 0; i < v.length; i++) yield edit((a, t) => t.Condition[op][k].splice(i, 1))
          }
        }
      }
      for (const f of ['Action', 'NotAction', 'Resource', 'NotResource']) {
        if (Array.isArray(st[f]) && st[f].length > 1) for (let i = 0; i < st[f].length; i++) yield edit((a, t) => t[f].splice(i, 1))
      }
      for (const f of ['Principal', 'NotPrincipal']) {
        const pr = st[f]
        if (pr && typeof pr === 'object') for (const k of Object.keys(pr)) if (Array.isArray(pr[k]) && pr[k].length > 1) for (let i = 0; i < pr[k].length; i++) yield edit((a, t) => t[f][k].splice(i, 1))
      }
    }
  }
  // drop context keys
  for (const k of Object.keys(c.request.context || {})) {
    const x = clone(c)
    delete x.request.context[k]
    yield x
  }
}

export async function minimize(bin, c0) {
  const base = clone(c0)
  base.name = 'min-0'
  const sim0 = (await oracle(base)).decision
  const ew0 = edgewardBatch(bin, [base]).get('min-0')
  if (sim0 === ew0) return { c: base, sim: sim0, ew: ew0, agree: true }
  let cur = base
  for (let round = 0; round < 200; round++) {
    const cands = []
    let n = 0
    for (const x of reductions(cur)) {
      x.name = `min-${round}-${n++}`
      const o = await oracle(x)
      if (o.ok && o.decision === sim0) cands.push(x)
    }
    if (!cands.length) break
    const res = edgewardBatch(bin, cands)
    // keep a reduction only if the difference stays the same AND stays unexplained
    let next
    for (const x of cands) {
      if (res.get(x.name) !== ew0) continue
      if (await classify(DEVIATIONS, x, sim0, ew0)) continue
      next = x
      break
    }
    if (!next) break
    cur = next
  }
  cur.name = c0.name
  return { c: cur, sim: sim0, ew: ew0 }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const a = process.argv.slice(2)
  const get = (f) => {
    const i = a.indexOf(f)
    return i >= 0 ? a[i + 1] : undefined
  }
  const bin = resolve(get('--edgeward'))
  const c = get('--file') ? JSON.parse(readFileSync(get('--file'), 'utf8')) : generateCase(Number(get('--seed') ?? 1), Number(get('--index')))
  const r = await minimize(bin, c)
  console.log(JSON.stringify(r.c, null, 1))
  console.log(`iam-simulate: ${r.sim}   edgeward: ${r.ew}${r.agree ? '   (they agree)' : ''}`)
}
