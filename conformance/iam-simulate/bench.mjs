#!/usr/bin/env node
// Speed comparison on the same generated cases.
//
//   node bench.mjs --cases N --seed S --edgeward PATH/TO/edgeward
//
// iam-simulate: `runSimulation` in this Node process, after a warm-up pass (the cases
// are generated and translated before the clock starts; only evaluation is timed).
// edgeward: wall time of ONE `edgeward policy simulate FILE` process over all N cases,
// minus nothing: it includes process start, reading and parsing the JSON file,
// compiling every policy and printing one JSON line per case. The case file is written
// before the clock starts. Build edgeward with --release for a meaningful number.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { runSimulation } from '@cloud-copilot/iam-simulate'
import { generateCase, toIamSimulate } from './gen.mjs'

const args = process.argv.slice(2)
const get = (f, d) => {
  const i = args.indexOf(f)
  return i >= 0 ? args[i + 1] : d
}
const n = Number(get('--cases', '20000'))
const seed = Number(get('--seed', '1'))
const bin = get('--edgeward') ? resolve(get('--edgeward')) : undefined

const cases = []
for (let i = 0; i < n; i++) cases.push(generateCase(seed, i))
const sims = cases.map(toIamSimulate)

// warm-up (JIT, iam-data lazy loading), not timed
for (const s of sims.slice(0, Math.min(2000, n))) await runSimulation(s, {})

let t = process.hrtime.bigint()
let errors = 0
for (const s of sims) {
  const r = await runSimulation(s, {})
  if (r.resultType === 'error') errors++
}
const simNs = Number(process.hrtime.bigint() - t)
const simS = simNs / 1e9
console.log(`iam-simulate 0.1.173 (in-process, Node ${process.version}): ${n} cases in ${simS.toFixed(2)} s = ${Math.round(n / simS)} cases/s, ${(simNs / 1e3 / n).toFixed(1)} µs/case${errors ? ` (${errors} rejected as invalid)` : ''}`)

if (bin) {
  const dir = mkdtempSync(join(tmpdir(), 'edgeward-bench-'))
  const file = join(dir, 'cases.json')
  writeFileSync(file, JSON.stringify(cases))
  t = process.hrtime.bigint()
  const r = spawnSync(bin, ['policy', 'simulate', file], { encoding: 'utf8', maxBuffer: 1 << 30 })
  const ewNs = Number(process.hrtime.bigint() - t)
  // The engine's own cost: every case compiled once, then evaluated REPEAT more times.
  const REPEAT = 20
  const timed = spawnSync(bin, ['policy', 'simulate', '--repeat', String(REPEAT), file], { encoding: 'utf8', maxBuffer: 1 << 30 })
  const m = /timing: (\d+) cases x (\d+) rounds, (\d+) ns per evaluation/.exec(timed.stderr || '')
  rmSync(dir, { recursive: true, force: true })
  if (r.status !== 0 && r.status !== 1) console.log(`edgeward exited ${r.status}: ${r.stderr.slice(0, 500)}`)
  const ewS = ewNs / 1e9
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('{"name"')).length
  console.log(`edgeward policy simulate (one process, wall time incl. start-up, JSON parse, compile, output): ${lines} cases in ${ewS.toFixed(2)} s = ${Math.round(n / ewS)} cases/s, ${(ewNs / 1e3 / n).toFixed(1)} µs/case`)
  console.log(`ratio (whole process vs iam-simulate per case): ${(simNs / ewNs).toFixed(1)}x`)
  if (m) {
    const evalNs = Number(m[3])
    console.log(`edgeward evaluation alone (policies compiled once, ${m[2]} rounds over ${m[1]} cases): ${(evalNs / 1e3).toFixed(2)} µs/evaluation`)
    console.log(`ratio (evaluation vs iam-simulate per case): ${(simNs / n / evalNs).toFixed(0)}x`)
  }
}
