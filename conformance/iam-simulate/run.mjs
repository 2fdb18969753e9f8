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

// Matchers normally evaluate their counterfactual; with REWRITE_ONLY set they return
// the rewritten case instead (or false when not applicable), so that several
// deviations present in one case can be composed (see classify()).
let REWRITE_ONLY = false
async function verdict(cf, ew) {
  if (REWRITE_ONLY) return cf
  return (await oracleDecision(cf)) === ew
}

/**
 * Classify a difference: the first single deviation whose counterfactual explains
 * edgeward's answer; else the smallest composition of applicable rewrites ("a+b").
 * @returns {string|undefined} deviation id(s)
 */
export async function classify(deviations, c, sim, ew) {
  for (const d of deviations) {
    if (d.iamSimulate && !d.iamSimulate.includes(sim)) continue
    if (d.edgeward && !d.edgeward.includes(ew)) continue
    if (await MATCHERS[d.matcher](c, sim, ew)) return d.id
  }
  // Several deviations in one case: compose the rewrites of every subset (of size >= 2)
  // of the applicable ones, smallest first.
  // (applicable: closure, since one rewrite can make another apply, e.g. removing an
  // empty-list key makes ForAnyValue...IfExists see a missing key)
  const applicable = []
  REWRITE_ONLY = true
  try {
    for (let grew = true; grew; ) {
      grew = false
      // bases: the case, each applicable rewrite of it, and all of them composed
      const bases = [c]
      let cur = c
      for (const d of applicable) {
        const one = await MATCHERS[d.matcher](c, sim, ew)
        if (one) bases.push(one)
        cur = (await MATCHERS[d.matcher](cur, sim, ew)) || cur
      }
      bases.push(cur)
      for (const d of deviations) {
        if (applicable.includes(d)) continue
        for (const b of bases) {
          if (await MATCHERS[d.matcher](b, sim, ew)) {
            applicable.push(d)
            grew = true
            break
          }
        }
      }
    }
    applicable.sort((a, b) => deviations.indexOf(a) - deviations.indexOf(b))
  } finally {
    REWRITE_ONLY = false
  }
  const k = Math.min(applicable.length, 6)
  const subsets = []
  for (let mask = 1; mask < 1 << k; mask++) {
    const sub = applicable.filter((_, i) => mask & (1 << i))
    if (sub.length >= 2) subsets.push(sub)
  }
  subsets.sort((a, b) => a.length - b.length)
  for (const sub of subsets) {
    let cur = c
    REWRITE_ONLY = true
    try {
      for (const d of sub) cur = (await MATCHERS[d.matcher](cur, sim, ew)) || cur
    } finally {
      REWRITE_ONLY = false
    }
    if ((await oracleDecision(cur)) === ew) return sub.map((d) => d.id).join('+')
  }
  return undefined
}
//
// Each matcher gets (case, iamSimulateDecision, edgewardDecision) and returns true only
// when the case is in the deviation's class AND the doc-correct evaluation explains
// edgeward's answer. The doc-correct evaluation is done by rewriting the case so that
// iam-simulate's deviating feature is replaced by its documented meaning, then asking
// iam-simulate again ("counterfactual").

const MATCHERS_1 = {
  /**
   * A resource policy that names the assumed-role *session* ARN grants directly, and the
   * session policy does not limit that grant. Counterfactual: drop the session policy's
   * Allow statements (keep its Denies as identity denies), keep only Deny statements of
   * the identity policies, and keep only resource-policy Allow statements that name the
   * session ARN (plus all resource Denies).
   */
  async sessionArnGrantNotLimitedBySessionPolicy(c, sim, ew) {
    return sessionGrantCounterfactual(c, ew, (vals, p) => vals.includes(p))
  },

  /**
   * Same as above for a resource-policy Allow with Principal "*" (or {"AWS":"*"}): the
   * docs say a grant made "directly to ... the session principal" is not limited by
   * the session policy; edgeward reads "*" as such a direct grant (it matches the
   * session principal itself, and iam-simulate too treats "*" as a direct match for the
   * permissions-boundary rule), iam-simulate does not for the session-policy rule.
   */
  async sessionWildcardGrantNotLimitedBySessionPolicy(c, sim, ew) {
    return sessionGrantCounterfactual(c, ew, (vals) => vals.includes('*'))
  },

  /**
   * The AWS account root user has complete access to its account's resources without
   * identity policies (it cannot have any). iam-simulate has no notion of the root user
   * and requires an identity-policy Allow. Counterfactual: give the root principal an
   * identity policy allowing everything (KMS key policies, resource-policy denies, SCPs
   * and RCPs still apply as for any principal). Not for sts:AssumeRole/TagSession: the
   * root user cannot assume a role (IAM docs), so there the counterfactual does not apply.
   */
  /**
   * The AWS account root user cannot assume a role ("You cannot assume a role when you are
   * signed in as the AWS account root user"). iam-simulate refuses it for most trust
   * policies but allows it when the trust policy grants a wildcard principal. The pair is
   * the whole evidence: the root principal, an AssumeRole/TagSession action, iam-simulate
   * Allowed and edgeward ImplicitlyDenied.
   */
  async rootCannotAssumeRole(c, sim, ew) {
    if (!/^arn:aws:iam::\d{12}:root$/.test(c.request.principal)) return false
    if (!/^sts:(assumerole.*|tagsession)$/i.test(c.request.action)) return false
    if (!c.resourcePolicy) return false
    // Counterfactual: no trust-policy Allow can reach the root user; its Denies still apply.
    const cf = clone(c)
    const kept = statementsOf(cf.resourcePolicy).filter((st) => st.Effect !== 'Allow')
    cf.resourcePolicy = {
      ...cf.resourcePolicy,
      Statement: kept.length
        ? kept
        : [{ Effect: 'Deny', Principal: '*', Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:PrincipalAccount': '000000000000' } } }]
    }
    return verdict(cf, ew)
  },


  async rootUserImplicitFullAccess(c, sim, ew) {
    const p = c.request.principal
    if (!/^arn:aws:iam::\d{12}:root$/.test(p)) return false
    if (/^sts:(assumerole|tagsession)$/i.test(c.request.action)) return false
    const cf = clone(c)
    cf.identityPolicies = [
      ...cf.identityPolicies,
      { name: 'root-user-implicit', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }
    ]
    return verdict(cf, ew)
  },

  /**
   * IpAddress/NotIpAddress with the IPv4 range 0.0.0.0/0. iam-simulate computes the mask
   * as `-1 << (32 - prefix)`, and JavaScript shifts by 32 mod 32 = 0, so /0 becomes a
   * /32 that only contains 0.0.0.0. Counterfactual: replace 0.0.0.0/0 by the equivalent
   * pair 0.0.0.0/1 + 128.0.0.0/1.
   */
  async ipv4ZeroPrefix(c, sim, ew) {
    let touched = false
    const cf = clone(c)
    for (const [, pol] of allPolicies(cf)) {
      for (const st of statementsOf(pol)) {
        for (const [op, block] of Object.entries(st.Condition || {})) {
          if (!/ipaddress/i.test(op)) continue
          for (const k of Object.keys(block)) {
            const vals = arr(block[k])
            if (!vals.includes('0.0.0.0/0')) continue
            touched = true
            block[k] = [...vals.filter((v) => v !== '0.0.0.0/0'), '0.0.0.0/1', '128.0.0.0/1']
          }
        }
      }
    }
    if (!touched) return false
    return verdict(cf, ew)
  },

  /**
   * A NotResource entry with a policy variable that has no value (key absent, no
   * default). Docs: such an entry "will not match any resource", so NotResource (the
   * complement) matches every resource. iam-simulate instead makes the whole NotResource
   * element not match. Counterfactual: replace those entries by a literal ARN that
   * matches nothing.
   */
  async notResourceUnresolvedVariable(c, sim, ew) {
    let touched = false
    const cf = clone(c)
    const ctx = c.request.context || {}
    for (const [, pol] of allPolicies(cf)) {
      for (const st of statementsOf(pol)) {
        if (st.NotResource === undefined) continue
        const list = arr(st.NotResource).map((r) => {
          if (!r.includes('${') || substituteVariables(r, ctx) !== undefined) return r
          touched = true
          return 'arn:aws:iam::000000000000:user/unresolved-policy-variable'
        })
        st.NotResource = Array.isArray(st.NotResource) ? list : list[0]
      }
    }
    if (!touched) return false
    return verdict(cf, ew)
  },

  /**
   * A negated string/ARN operator (StringNotEquals, StringNotLike, ArnNotLike, ...)
   * whose policy value is a variable with no value. Docs: "Inverted condition operators
   * like StringNotEquals or StringNotLike do match against a null value": such a value is
   * never equal/like, so it cannot make the negated test fail. iam-simulate turns the
   * unresolvable value into a failed (false) comparison for the whole condition.
   * Counterfactual: drop the null values; a condition left with none is true (dropped).
   */
  async negatedOperatorVariableWithoutValue(c, sim, ew) {
    let touched = false
    const cf = clone(c)
    const ctx = c.request.context || {}
    for (const [, pol] of allPolicies(cf)) {
      for (const st of statementsOf(pol)) {
        if (!st.Condition) continue
        for (const op of Object.keys(st.Condition)) {
          const base = op.split(':').pop().replace(/IfExists$/i, '')
          if (!/^(StringNot|ArnNot)/i.test(base)) continue
          for (const k of Object.keys(st.Condition[op])) {
            const vals = arr(st.Condition[op][k])
            const kept = vals.filter((v) => typeof v !== 'string' || !v.includes('${') || substituteVariables(v, ctx) !== undefined)
            if (kept.length === vals.length) continue
            touched = true
            if (kept.length) st.Condition[op][k] = kept
            else delete st.Condition[op][k]
          }
          if (Object.keys(st.Condition[op]).length === 0) delete st.Condition[op]
        }
        if (Object.keys(st.Condition).length === 0) delete st.Condition
      }
    }
    if (!touched) return false
    return verdict(cf, ew)
  },

  /**
   * A multivalued context key whose value is the empty list. The docs call an empty
   * list a null data set: Null "true" means the key "doesn't exist — it is null", "false"
   * that it "exists and its value is not null"; ForAllValues is true and ForAnyValue
   * false on it, as for a missing key. edgeward treats [] exactly as a missing key;
   * iam-simulate treats it as present (Null "true" fails, ...IfExists does not apply).
   * Counterfactual: remove the empty-list keys from the context, ask again.
   */
  async emptyMultivaluedKeyIsNull(c, sim, ew) {
    const ctx = c.request.context || {}
    const empty = Object.keys(ctx).filter((k) => Array.isArray(ctx[k]) && ctx[k].length === 0)
    if (!empty.length) return false
    const cf = clone(c)
    for (const k of empty) delete cf.request.context[k]
    return verdict(cf, ew)
  },

  /**
   * ${*}, ${?}, ${$} in a StringEquals/StringNotEquals(IgnoreCase) value. Docs: these
   * predefined variables stand for a literal *, ? and $ and "can be used in any string
   * where you can use regular policy variables" (all string operators). iam-simulate
   * only replaces them in wildcard-capable operators (StringLike, ...) and compares the
   * raw text "${*}" otherwise. Counterfactual: write the literal characters instead.
   */
  async specialCharVariablesInEqualsOperators(c, sim, ew) {
    let touched = false
    const cf = clone(c)
    const lit = (v) => v.replace(/\$\{\*\}/g, '*').replace(/\$\{\?\}/g, '?').replace(/\$\{\$\}/g, '$')
    for (const [, pol] of allPolicies(cf)) {
      for (const st of statementsOf(pol)) {
        for (const [op, block] of Object.entries(st.Condition || {})) {
          const base = op.split(':').pop().replace(/IfExists$/i, '')
          if (!/^String(Not)?Equals(IgnoreCase)?$/i.test(base)) continue
          for (const k of Object.keys(block)) {
            const vals = arr(block[k])
            if (!vals.some((v) => typeof v === 'string' && /\$\{[*?$]\}/.test(v))) continue
            touched = true
            const nv = vals.map((v) => (typeof v === 'string' ? lit(v) : v))
            block[k] = Array.isArray(block[k]) ? nv : nv[0]
          }
        }
      }
    }
    if (!touched) return false
    return verdict(cf, ew)
  },

  /**
   * ForAnyValue:<op>IfExists on a key absent from the request. Docs: with ...IfExists,
   * "If the key is not present, evaluate the condition element as true" (any operator
   * but Null). iam-simulate evaluates ForAnyValue first and returns false for a missing
   * key, ignoring IfExists. Counterfactual: drop those conditions (true), ask again.
   */
  async forAnyValueIfExistsMissingKey(c, sim, ew) {
    let touched = false
    const cf = clone(c)
    const present = new Set(Object.keys(c.request.context || {}).map((k) => k.toLowerCase()))
    for (const [, pol] of allPolicies(cf)) {
      for (const st of statementsOf(pol)) {
        if (!st.Condition) continue
        for (const op of Object.keys(st.Condition)) {
          if (!/^foranyvalue:.*ifexists$/i.test(op)) continue
          for (const k of Object.keys(st.Condition[op])) {
            if (present.has(k.toLowerCase())) continue
            touched = true
            delete st.Condition[op][k]
          }
          if (Object.keys(st.Condition[op]).length === 0) delete st.Condition[op]
        }
        if (Object.keys(st.Condition).length === 0) delete st.Condition
      }
    }
    if (!touched) return false
    return verdict(cf, ew)
  }
}

/**
 * Counterfactual for session grants: drop the session policy's Allow statements (keep
 * its Denies as identity denies), keep only Deny statements of the identity policies,
 * and keep only resource-policy Allow statements whose Principal satisfies `direct`
 * (plus all resource Denies); ask iam-simulate again.
 */
async function sessionGrantCounterfactual(c, ew, direct) {
  {
    const p = c.request.principal
    if (!isSession(p) || !c.sessionPolicy || !c.resourcePolicy) return false
    const names = (st) => direct(principalValues(st.Principal), p)
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
    return verdict(cf, ew)
  }
}

const MATCHERS_2 = {
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
    // session: the account, the role and the session must all be listed (the docs' "account
    // first, then the role, and then the assumed-role user")
    const variants = [false]
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
      if (REWRITE_ONLY) return cf
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
    return verdict(cf, ew)
  }
}

export const MATCHERS = { ...MATCHERS_1, ...MATCHERS_2 }

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
    const matched = await classify(deviations, c, sim, e.decision)
    if (matched) {
      documented++
      byDeviation.set(matched, (byDeviation.get(matched) || 0) + 1)
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
