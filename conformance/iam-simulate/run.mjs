#!/usr/bin/env node
// Differential oracle runner: edgeward `policy simulate` vs @cloud-copilot/iam-simulate.
//
//   node run.mjs --cases N --seed S --edgeward PATH/TO/edgeward [--keep DIR]
//                [--chunk 5000] [--show 5] [--oracle-only] [--start I] [--dump FILE]
//
// --dump writes one line per unexplained case: {name, iamSimulate, edgeward}; then
// `node minimize.mjs --edgeward PATH --seed S --index I` shrinks one of them.
//
// iam-simulate (AGPL-3.0) is only *run* here, as a pinned npm tool in this folder's own
// package.json; none of its code or test data is copied into edgeward.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runSimulation } from '@cloud-copilot/iam-simulate'
import { generateCase, toIamSimulate } from './gen.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
const DECISIONS = ['Allowed', 'ImplicitlyDenied', 'ExplicitlyDenied']

// ---------------------------------------------------------------- oracle

/**
 * Evaluate one case with iam-simulate.
 * @returns {{ok:true, decision:string} | {ok:false, reason:string, detail:any}}
 */
export async function oracle(c) {
  let r
  try {
    r = await runSimulation(toIamSimulate(c), {})
  } catch (e) {
    return { ok: false, reason: 'exception', detail: String(e && e.message) }
  }
  if (r.resultType === 'error') {
    return { ok: false, reason: `error:${r.errors?.message}`, detail: r.errors }
  }
  if (r.resultType !== 'single') {
    // a wildcard request resource fans out into several simulations: not comparable
    return { ok: false, reason: `resultType:${r.resultType}`, detail: r.overallResult }
  }
  const ignored = r.result?.ignoredContextKeys || []
  if (ignored.length) {
    // iam-simulate silently drops context keys it does not know for the action;
    // edgeward would see them, so the two would not evaluate the same request.
    return { ok: false, reason: 'ignoredContextKeys', detail: ignored }
  }
  if (!DECISIONS.includes(r.overallResult)) {
    return { ok: false, reason: `decision:${r.overallResult}`, detail: r.overallResult }
  }
  return { ok: true, decision: r.overallResult }
}

async function oracleDecision(c) {
  const r = await oracle(c)
  return r.ok ? r.decision : `invalid(${r.reason})`
}

// ---------------------------------------------------------------- helpers for matchers

const clone = (x) => JSON.parse(JSON.stringify(x))
const arr = (x) => (x === undefined ? [] : Array.isArray(x) ? x : [x])
const statementsOf = (policy) => (policy ? arr(policy.Statement) : [])
const withStatements = (policy, sts) => ({ ...policy, Statement: sts })
const isSession = (arn) => /^arn:aws:sts::\d{12}:assumed-role\/[^/]+\/.+$/.test(arn)
const accountOf = (arn) => arn.split(':')[4]

function roleArnsForSession(sessionArn) {
  // arn:aws:sts::ACCT:assumed-role/NAME/SESSION -> role ARNs named NAME (any path)
  const [, , , , acct, res] = sessionArn.split(':')
  return { acct, roleName: res.split('/')[1] }
}

function principalValues(p) {
  if (p === '*') return ['*']
  if (typeof p === 'string') return [p]
  return arr(p.AWS)
}

/** All policies of a case with their kind, for scans. */
function allPolicies(c) {
  const out = []
  for (const p of c.identityPolicies || []) out.push(['identity', p.policy])
  if (c.resourcePolicy) out.push(['resource', c.resourcePolicy])
  if (c.sessionPolicy) out.push(['session', c.sessionPolicy])
  for (const p of c.permissionBoundaries || []) out.push(['boundary', p.policy])
  for (const lvl of c.serviceControlPolicies || []) for (const p of lvl.policies) out.push(['scp', p.policy])
  for (const lvl of c.resourceControlPolicies || []) for (const p of lvl.policies) out.push(['rcp', p.policy])
  return out
}

/** Resolve a single-valued context key for variable substitution (case-insensitive key). */
function contextValue(ctx, key) {
  const k = Object.keys(ctx || {}).find((x) => x.toLowerCase() === key.toLowerCase())
  if (k === undefined) return undefined
  const v = ctx[k]
  return typeof v === 'string' ? v : undefined
}

/**
 * Substitute policy variables in a string per the AWS doc rules:
 * ${key} -> value; ${key, 'default'} -> value or default; ${*} ${?} ${$} -> literal
 * (returned still escaped, since the substituted string is a policy pattern).
 * Returns undefined when a variable has no value and no default (never matches).
 */
function substituteVariables(s, ctx) {
  let unresolved = false
  const out = s.replace(/\$\{([^}]*)\}/g, (m, inner) => {
    if (inner === '*' || inner === '?' || inner === '$') return m
    const [name, dflt] = inner.split(',').map((x) => x.trim())
    const v = contextValue(ctx, name)
    if (v !== undefined && v !== '') return v.replace(/\*/g, '${*}').replace(/\?/g, '${?}')
    if (dflt && /^'.*'$/.test(dflt)) return dflt.slice(1, -1)
    unresolved = true
    return m
  })
  return unresolved ? undefined : out
}

/** iam-simulate splits a non-S3 ARN's resource part at its first '/' or ':' (the "product"). */
function variableBeforeProductSeparator(resource) {
  if (typeof resource !== 'string' || !resource.startsWith('arn:')) return false
  const parts = resource.split(':')
  if (parts.length < 6) return false
  const [, , service, region, account] = parts
  if (service === 's3' && region === '' && account === '') return false
  const rest = parts.slice(5).join(':')
  const v = rest.indexOf('${')
  if (v < 0) return false
  const sep = rest.search(/[/:]/)
  return sep === -1 || v < sep
}

// ---------------------------------------------------------------- deviation matchers
//
// Each matcher gets (case, iamSimulateDecision, edgewardDecision) and returns true only
// when the case is in the deviation's class AND the doc-correct evaluation explains
// edgeward's answer. The doc-correct evaluation is done by rewriting the case so that
// iam-simulate's deviating feature is replaced by its documented meaning, then asking
// iam-simulate again ("counterfactual").

export const MATCHERS = {
  /**
   * A resource policy that names the assumed-role *session* ARN grants directly, and the
   * session policy does not limit that grant. Counterfactual: drop the session policy's
   * Allow statements (keep its Denies as identity denies), keep only Deny statements of
   * the identity policies, and keep only resource-policy Allow statements that name the
   * session ARN (plus all resource Denies).
   */
  async sessionArnGrantNotLimitedBySessionPolicy(c, sim, ew) {
    const p = c.request.principal
    if (!isSession(p) || !c.sessionPolicy || !c.resourcePolicy) return false
    const names = (st) => principalValues(st.Principal).includes(p)
    const rsts = statementsOf(c.resourcePolicy)
    if (!rsts.some((st) => st.Effect === 'Allow' && st.Principal && names(st))) return false
    const cf = clone(c)
    delete cf.sessionPolicy
    const denies = (pol) => statementsOf(pol).filter((st) => st.Effect === 'Deny')
    cf.identityPolicies = [
      ...c.identityPolicies.map((ip) => ({ name: ip.name, policy: withStatements(ip.policy, denies(ip.policy)) })),
      { name: 'session-denies', policy: withStatements(c.sessionPolicy, denies(c.sessionPolicy)) }
    ].filter((ip) => ip.policy.Statement.length > 0)
    cf.resourcePolicy = withStatements(
      c.resourcePolicy,
      rsts.filter((st) => st.Effect === 'Deny' || (st.Principal && names(st)))
    )
    return (await oracleDecision(cf)) === ew
  },

  /**
   * Deny + NotPrincipal: per the IAM docs AWS checks the account first, then the user
   * (or the role, then the role session), so a principal escapes the deny only if its
   * account AND its user/role (or session) ARN are listed. Counterfactual: replace each
   * Deny+NotPrincipal statement by Principal "*" (deny applies) or drop it (excluded).
   * A permissions boundary on the caller makes the deny apply regardless (docs), which
   * iam-simulate already does.
   */
  async denyNotPrincipalAccountFirst(c, sim, ew) {
    if (!c.resourcePolicy) return false
    const sts = statementsOf(c.resourcePolicy)
    if (!sts.some((st) => st.Effect === 'Deny' && st.NotPrincipal)) return false
    const p = c.request.principal
    const acct = accountOf(p)
    const hasPb = (c.permissionBoundaries || []).length > 0
    const variants = [true, false] // session: role ARN alone suffices / session ARN needed too
    for (const roleSuffices of variants) {
      const rewritten = []
      for (const st of sts) {
        if (!(st.Effect === 'Deny' && st.NotPrincipal)) {
          rewritten.push(st)
          continue
        }
        const listed = principalValues(st.NotPrincipal)
        const accountListed = listed.includes(acct) || listed.includes(`arn:aws:iam::${acct}:root`)
        let entityListed
        if (isSession(p)) {
          const { roleName } = roleArnsForSession(p)
          const roleListed = listed.some((x) => x.startsWith(`arn:aws:iam::${acct}:role/`) && x.split('/').pop() === roleName)
          entityListed = roleSuffices ? roleListed || listed.includes(p) : roleListed && listed.includes(p)
        } else if (p.endsWith(':root')) {
          entityListed = true
        } else {
          entityListed = listed.includes(p)
        }
        const excluded = accountListed && entityListed && !hasPb
        if (!excluded) {
          const { NotPrincipal, ...rest } = st
          rewritten.push({ ...rest, Principal: '*' })
        }
      }
      if (rewritten.length === 0) rewritten.push({ Effect: 'Deny', Principal: { AWS: 'arn:aws:iam::000000000000:root' }, Action: 'sts:DecodeAuthorizationMessage', Resource: '*' })
      const cf = { ...clone(c), resourcePolicy: withStatements(c.resourcePolicy, rewritten) }
      if ((await oracleDecision(cf)) === ew) return true
      if (!isSession(p)) break
    }
    return false
  },

  /**
   * A policy variable inside the first segment of an ARN's resource part (before its
   * first '/' or ':'), e.g. arn:aws:sqs:us-east-1:111111111111:${aws:PrincipalTag/team}-q.
   * iam-simulate treats the text up to the first separator as a literal "product" prefix,
   * and a variable there contains ':' itself, so such a Resource never matches. The docs
   * allow variables anywhere in the resource part. Counterfactual: substitute the
   * variables in those Resource/NotResource strings, then ask iam-simulate again.
   */
  async variableInFirstResourceSegment(c, sim, ew) {
    let touched = false
    const cf = clone(c)
    const ctx = c.request.context || {}
    const fix = (policy) => {
      for (const st of statementsOf(policy)) {
        for (const f of ['Resource', 'NotResource']) {
          if (st[f] === undefined) continue
          const list = arr(st[f]).map((r) => {
            if (!variableBeforeProductSeparator(r)) return r
            touched = true
            const s = substituteVariables(r, ctx)
            // unresolved variable without default: the element cannot match anything
            return s === undefined ? 'arn:aws:iam::000000000000:user/unresolved-policy-variable' : s
          })
          st[f] = Array.isArray(st[f]) ? list : list[0]
        }
      }
    }
    for (const [, pol] of allPolicies(cf)) fix(pol)
    if (!touched) return false
    return (await oracleDecision(cf)) === ew
  }
}

// ---------------------------------------------------------------- edgeward

function runEdgeward(bin, file) {
  const r = spawnSync(bin, ['policy', 'simulate', file], { encoding: 'utf8', maxBuffer: 1 << 30 })
  if (r.error) throw new Error(`cannot run ${bin}: ${r.error.message}`)
  // 0: all matched, 1: some expected mismatch, 2: some input unreadable (per-case
  // {"name","error"} lines are still printed for the cases it rejected)
  if (r.status !== 0 && r.status !== 1 && !(r.status === 2 && r.stdout.includes('"name"'))) {
    throw new Error(`edgeward exited ${r.status} on ${file}\n--- stderr ---\n${r.stderr.slice(0, 4000)}\n--- stdout ---\n${r.stdout.slice(0, 2000)}`)
  }
  const out = new Map()
  for (const line of r.stdout.split('\n')) {
    const t = line.trim()
    if (!t.startsWith('{')) continue
    let j
    try {
      j = JSON.parse(t)
    } catch {
      continue
    }
    if (j && typeof j.name === 'string') out.set(j.name, j)
  }
  return { results: out, stderr: r.stderr }
}

// ---------------------------------------------------------------- main

function parseArgs(argv) {
  const a = { cases: 1000, seed: 1, chunk: 5000, show: 5, start: 0 }
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i]
    const v = () => argv[++i]
    if (f === '--cases') a.cases = Number(v())
    else if (f === '--seed') a.seed = Number(v())
    else if (f === '--edgeward') a.edgeward = resolve(v())
    else if (f === '--keep') a.keep = resolve(v())
    else if (f === '--chunk') a.chunk = Number(v())
    else if (f === '--show') a.show = Number(v())
    else if (f === '--start') a.start = Number(v())
    else if (f === '--oracle-only') a.oracleOnly = true
    else if (f === '--dump') a.dump = resolve(v())
    else if (f === '-h' || f === '--help') a.help = true
    else throw new Error(`unknown argument ${f}`)
  }
  return a
}

const pct = (n, d) => (d ? ((100 * n) / d).toFixed(1) : '0.0') + '%'

async function main() {
  const args = parseArgs(process.argv.slice(2))
  if (args.help || (!args.edgeward && !args.oracleOnly)) {
    console.error('usage: node run.mjs --cases N --seed S --edgeward PATH [--keep DIR] [--chunk 5000] [--show 5] [--start I] [--dump FILE] | --oracle-only')
    process.exit(args.help ? 0 : 2)
  }
  const deviations = JSON.parse(readFileSync(join(HERE, 'deviations.json'), 'utf8')).deviations
  for (const d of deviations) if (!MATCHERS[d.matcher]) throw new Error(`deviations.json: ${d.id}: no matcher ${d.matcher} in run.mjs`)

  // 1. generate + oracle
  const t0 = Date.now()
  const accepted = [] // {case, sim}
  const rejected = new Map() // reason -> {count, example}
  const dist = { Allowed: 0, ImplicitlyDenied: 0, ExplicitlyDenied: 0 }
  for (let i = args.start; i < args.start + args.cases; i++) {
    const c = generateCase(args.seed, i)
    const r = await oracle(c)
    if (!r.ok) {
      const e = rejected.get(r.reason) || { count: 0, example: { name: c.name, detail: r.detail } }
      e.count++
      rejected.set(r.reason, e)
      continue
    }
    dist[r.decision]++
    accepted.push({ c, sim: r.decision })
  }
  const tOracle = Date.now() - t0
  const nRejected = args.cases - accepted.length
  console.log(`generated ${args.cases} cases (seed ${args.seed}, start ${args.start}); iam-simulate accepted ${accepted.length}, rejected ${nRejected} (${pct(nRejected, args.cases)}) in ${(tOracle / 1000).toFixed(1)}s`)
  for (const [reason, e] of rejected) console.log(`  rejected ${reason}: ${e.count} (e.g. ${e.example.name}: ${JSON.stringify(e.example.detail).slice(0, 300)})`)
  console.log(`iam-simulate decisions: ` + DECISIONS.map((d) => `${d} ${dist[d]} (${pct(dist[d], accepted.length)})`).join(', '))
  if (args.oracleOnly) return 0

  // 2. edgeward, in chunks
  const dir = args.keep || mkdtempSync(join(tmpdir(), 'edgeward-iamsim-'))
  mkdirSync(dir, { recursive: true })
  const ew = new Map()
  const t1 = Date.now()
  try {
    for (let k = 0; k < accepted.length; k += args.chunk) {
      const slice = accepted.slice(k, k + args.chunk)
      const file = join(dir, `cases-${String(k / args.chunk).padStart(4, '0')}.json`)
      writeFileSync(file, JSON.stringify(slice.map((x) => ({ ...x.c, expected: { response: x.sim } }))))
      const { results } = runEdgeward(args.edgeward, file)
      for (const [n, j] of results) ew.set(n, j)
    }
  } finally {
    if (!args.keep) rmSync(dir, { recursive: true, force: true })
  }
  const tEw = Date.now() - t1

  // 3. compare + classify
  let agree = 0
  let documented = 0
  const byDeviation = new Map()
  const unexplained = []
  const missing = []
  const pairs = new Map()
  for (const { c, sim } of accepted) {
    const e = ew.get(c.name)
    if (!e || !DECISIONS.includes(e.decision)) {
      missing.push({ c, sim, e: e || { name: c.name, error: 'no output line' } })
      continue
    }
    if (e.decision === sim) {
      agree++
      continue
    }
    let matched
    for (const d of deviations) {
      if (d.iamSimulate && !d.iamSimulate.includes(sim)) continue
      if (d.edgeward && !d.edgeward.includes(e.decision)) continue
      if (await MATCHERS[d.matcher](c, sim, e.decision)) {
        matched = d
        break
      }
    }
    if (matched) {
      documented++
      byDeviation.set(matched.id, (byDeviation.get(matched.id) || 0) + 1)
    } else {
      unexplained.push({ c, sim, e })
      const key = `iam-simulate ${sim} / edgeward ${e.decision}`
      pairs.set(key, (pairs.get(key) || 0) + 1)
    }
  }
  console.log(`edgeward evaluated ${ew.size} cases in ${(tEw / 1000).toFixed(1)}s`)
  for (const [id, n] of byDeviation) console.log(`  documented deviation ${id}: ${n}`)
  for (const [k, n] of pairs) console.log(`  unexplained ${k}: ${n}`)
  if (missing.length) {
    const reasons = new Map()
    for (const m of missing) {
      const k = String(m.e.error).replace(/[0-9]+/g, 'N').slice(0, 160)
      reasons.set(k, (reasons.get(k) || 0) + 1)
    }
    console.log(`  edgeward gave no decision (rejected the case) for ${missing.length} cases:`)
    for (const [k, n] of [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`    ${n} x ${k}`)
    for (const m of missing.slice(0, Math.min(2, args.show))) {
      console.log(`\n--- edgeward rejected ${m.c.name} (iam-simulate ${m.sim}): ${m.e.error}`)
      console.log(JSON.stringify(m.c, null, 2))
    }
  }
  for (const u of unexplained.slice(0, args.show)) {
    console.log(`\n--- unexplained ${u.c.name}: iam-simulate ${u.sim}, edgeward ${u.e.decision}`)
    console.log(JSON.stringify(u.c, null, 2))
    console.log(`edgeward: ${JSON.stringify(u.e)}`)
  }
  if (args.dump)
    writeFileSync(args.dump, [...unexplained, ...missing].map((u) => JSON.stringify({ name: u.c.name, iamSimulate: u.sim, edgeward: u.e.decision ?? `error: ${u.e.error}` })).join('\n') + '\n')
  const nUnexplained = unexplained.length + missing.length
  console.log(`\ndifferential: ${accepted.length} cases, ${agree} agree, ${documented} documented deviations, ${nUnexplained} unexplained`)
  return nUnexplained > 0 ? 1 : 0
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      console.error(e.stack || String(e))
      process.exit(2)
    }
  )
}
