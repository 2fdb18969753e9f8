// Seeded pseudo-random generator of IAM authorization cases in edgeward's case schema.
//
// This file is edgeward's own code: it does not import or copy anything from
// iam-simulate. Case i of seed S is the same whatever N is (each case has its own
// PRNG stream), so a failing case can be regenerated with `node gen.mjs --seed S
// --only i`.
//
// Case schema (edgeward `policy simulate`):
//   {name, request:{principal, action, resource:{resource, accountId}, context},
//    identityPolicies:[{name, policy}], resourcePolicy?, sessionPolicy?,
//    permissionBoundaries?:[{name, policy}],
//    serviceControlPolicies?:[{orgIdentifier, policies:[{name, policy}]}],
//    resourceControlPolicies?:[...same...]}

// ---------------------------------------------------------------- PRNG

/** mulberry32: small, fast, good enough for test generation. */
export function mulberry32(seed) {
  let a = seed >>> 0
  return function () {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Mix a run seed and a case index into one 32-bit seed (splitmix-style). */
export function caseSeed(seed, index) {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0
  return (h ^ (h >>> 16)) >>> 0
}

export class Rng {
  constructor(seed) {
    this.f = mulberry32(seed)
  }
  next() {
    return this.f()
  }
  int(n) {
    return Math.floor(this.f() * n)
  }
  chance(p) {
    return this.f() < p
  }
  pick(arr) {
    return arr[this.int(arr.length)]
  }
  /** weighted pick: [[weight, value], ...] */
  wpick(pairs) {
    let total = 0
    for (const [w] of pairs) total += w
    let r = this.f() * total
    for (const [w, v] of pairs) {
      r -= w
      if (r < 0) return v
    }
    return pairs[pairs.length - 1][1]
  }
  sample(arr, k) {
    const copy = [...arr]
    const out = []
    while (out.length < k && copy.length) out.push(copy.splice(this.int(copy.length), 1)[0])
    return out
  }
}

// ---------------------------------------------------------------- world

export const ACCOUNTS = ['111111111111', '222222222222', '333333333333']
const REGION = 'us-east-1'
const ORG_OF = { '111111111111': 'o-aaaa1111', '222222222222': 'o-aaaa1111', '333333333333': 'o-bbbb2222' }
const USERS = [
  { name: 'alice', path: '/' },
  { name: 'bob', path: '/' },
  { name: 'carol', path: '/ops/' }
]
const ROLES = [
  { name: 'edgeward-edge-alpha', path: '/' },
  { name: 'edgeward-edge-beta', path: '/' },
  { name: 'app-role', path: '/service/' },
  { name: 'customer-role', path: '/' }
]
const SESSION_NAMES = ['edgeward-job-session-alpha', 'edgeward-job-session-beta', 'sess-42']

const userArn = (acct, u) => `arn:aws:iam::${acct}:user${u.path}${u.name}`
const roleArn = (acct, r) => `arn:aws:iam::${acct}:role${r.path}${r.name}`
const sessionArn = (acct, r, s) => `arn:aws:sts::${acct}:assumed-role/${r.name}/${s}`
const rootArn = (acct) => `arn:aws:iam::${acct}:root`

function makePrincipal(rng) {
  const account = rng.wpick([
    [5, ACCOUNTS[0]],
    [3, ACCOUNTS[1]],
    [2, ACCOUNTS[2]]
  ])
  const kind = rng.wpick([
    [48, 'user'],
    [48, 'session'],
    [3, 'root']
  ])
  if (kind === 'user') {
    const u = rng.pick(USERS)
    return { kind, account, arn: userArn(account, u), user: u, baseArn: userArn(account, u) }
  }
  if (kind === 'session') {
    const r = rng.pick(ROLES)
    const s = rng.pick(SESSION_NAMES)
    return {
      kind,
      account,
      arn: sessionArn(account, r, s),
      role: r,
      session: s,
      roleArn: roleArn(account, r),
      baseArn: roleArn(account, r)
    }
  }
  return { kind, account, arn: rootArn(account), baseArn: rootArn(account) }
}

// Resources: each service lists actions with a resource-ARN builder. `rp` is the
// probability of a resource-based policy; `rpAlways` means AWS always has one
// (KMS key policy, role trust policy).
const BUCKETS = ['data-bucket', 'logs-bucket']
const OBJECT_KEYS = [
  'home/alice/notes.txt',
  'home/bob/docs/report.pdf',
  'home/carol/x.csv',
  'public/index.html',
  'jobs/red/result.json',
  'jobs/blue/result.json'
]
const QUEUES = ['edge-queue-alpha', 'edge-queue-beta', 'red-queue', 'dlq']
const KEYS = ['1234abcd-12ab-34cd-56ef-1234567890ab', '0987dcba-09fe-87dc-65ba-ab0987654321']
const SECRETS = ['db-password-AbCdEf', 'red-api-key-Gh12Jk', 'edgeward/alpha/token-Zz99Yy']
const TABLES = ['Orders', 'red-orders', 'Users']

// bucket owner is fixed per name+account to keep S3 global names meaningful:
// we encode the account into the bucket name.
const bucketName = (b, acct) => `${b}-${acct}`

const SERVICES = {
  s3: {
    weight: 20,
    rp: 0.6,
    actions: [
      ['s3:GetObject', 'object'],
      ['s3:PutObject', 'object'],
      ['s3:DeleteObject', 'object'],
      ['s3:ListBucket', 'bucket'],
      ['s3:GetBucketPolicy', 'bucket']
    ],
    wildcardOnly: ['s3:ListAllMyBuckets'],
    resource(rng, type, acct) {
      const b = bucketName(rng.pick(BUCKETS), acct)
      if (type === 'bucket') return { arn: `arn:aws:s3:::${b}`, bucket: b }
      const key = rng.pick(OBJECT_KEYS)
      return { arn: `arn:aws:s3:::${b}/${key}`, bucket: b, key }
    }
  },
  sqs: {
    weight: 15,
    rp: 0.6,
    actions: [
      ['sqs:SendMessage', 'queue'],
      ['sqs:ReceiveMessage', 'queue'],
      ['sqs:DeleteMessage', 'queue'],
      ['sqs:ChangeMessageVisibility', 'queue'],
      ['sqs:GetQueueAttributes', 'queue']
    ],
    wildcardOnly: ['sqs:ListQueues'],
    resource(rng, type, acct) {
      const q = rng.pick(QUEUES)
      return { arn: `arn:aws:sqs:${REGION}:${acct}:${q}`, name: q }
    }
  },
  kms: {
    weight: 15,
    rp: 1,
    actions: [
      ['kms:Decrypt', 'key'],
      ['kms:Encrypt', 'key'],
      ['kms:GenerateDataKey', 'key'],
      ['kms:DescribeKey', 'key'],
      ['kms:CreateGrant', 'key']
    ],
    wildcardOnly: ['kms:CreateKey', 'kms:ListKeys'],
    resource(rng, type, acct) {
      const k = rng.pick(KEYS)
      return { arn: `arn:aws:kms:${REGION}:${acct}:key/${k}`, name: k }
    }
  },
  secretsmanager: {
    weight: 15,
    rp: 0.5,
    actions: [
      ['secretsmanager:GetSecretValue', 'secret'],
      ['secretsmanager:DescribeSecret', 'secret'],
      ['secretsmanager:PutSecretValue', 'secret']
    ],
    wildcardOnly: ['secretsmanager:ListSecrets'],
    resource(rng, type, acct) {
      const s = rng.pick(SECRETS)
      return { arn: `arn:aws:secretsmanager:${REGION}:${acct}:secret:${s}`, name: s }
    }
  },
  iam: {
    weight: 10,
    rp: 0,
    actions: [
      ['iam:GetUser', 'user'],
      ['iam:CreateUser', 'user'],
      ['iam:GetRole', 'role'],
      ['iam:PassRole', 'role']
    ],
    wildcardOnly: ['iam:ListRoles'],
    resource(rng, type, acct) {
      if (type === 'user') {
        const u = rng.pick(USERS)
        return { arn: userArn(acct, u), name: u.name }
      }
      const r = rng.pick(ROLES)
      return { arn: roleArn(acct, r), name: r.name }
    }
  },
  sts: {
    weight: 12,
    rp: 1,
    actions: [
      ['sts:AssumeRole', 'role'],
      ['sts:TagSession', 'role']
    ],
    wildcardOnly: ['sts:GetCallerIdentity'],
    resource(rng, type, acct) {
      const r = rng.pick(ROLES)
      return { arn: roleArn(acct, r), name: r.name }
    }
  },
  dynamodb: {
    weight: 13,
    rp: 0.35,
    actions: [
      ['dynamodb:GetItem', 'table'],
      ['dynamodb:PutItem', 'table'],
      ['dynamodb:Query', 'table']
    ],
    wildcardOnly: ['dynamodb:ListTables'],
    resource(rng, type, acct) {
      const t = rng.pick(TABLES)
      return { arn: `arn:aws:dynamodb:${REGION}:${acct}:table/${t}`, name: t }
    }
  }
}
const SERVICE_NAMES = Object.keys(SERVICES)
const ALL_ACTIONS = SERVICE_NAMES.flatMap((s) => [
  ...SERVICES[s].actions.map((a) => a[0]),
  ...SERVICES[s].wildcardOnly
])

// Services on which resource control policies act (AWS Organizations docs,
// "List of AWS services that support RCPs"); IAM is not one of them.
const RCP_SERVICES = ['s3', 'sqs', 'kms', 'secretsmanager', 'sts', 'dynamodb']

// ---------------------------------------------------------------- context

const ISO_TIMES = ['2024-03-01T08:00:00Z', '2024-06-15T12:00:00Z', '2025-01-10T23:30:00Z']
const IPV4 = ['203.0.113.10', '198.51.100.7', '10.1.2.3', '192.0.2.200']
const IPV6 = ['2001:db8::1', '2001:db8:1234::5', 'fd00::abcd']
const TEAMS = ['red', 'blue', 'Red']
const EDGE_NAMES = ['alpha', 'beta']

function buildContext(rng, sc) {
  const ctx = {}
  const p = sc.principal
  // principal-derived keys, consistent with the principal when present
  if (rng.chance(0.8)) ctx['aws:PrincipalArn'] = p.baseArn
  if (rng.chance(0.8)) ctx['aws:PrincipalAccount'] = p.account
  if (p.kind === 'user' && rng.chance(0.7)) ctx['aws:username'] = p.user.name
  if (rng.chance(0.5)) ctx['aws:PrincipalOrgID'] = ORG_OF[p.account]
  if (rng.chance(0.25))
    ctx['aws:PrincipalOrgPaths'] = [`${ORG_OF[p.account]}/r-ab12/ou-ab12-${p.account.slice(0, 8)}/`]
  if (rng.chance(0.6)) ctx['aws:PrincipalTag/team'] = rng.wpick([[10, rng.pick(TEAMS)], [1, 'te*am']])
  if (p.kind === 'session' && rng.chance(0.5))
    ctx['aws:PrincipalTag/edgeward:edge:instance:name'] = rng.pick(EDGE_NAMES)
  if (p.kind === 'session' && rng.chance(0.3)) ctx['aws:TokenIssueTime'] = '2024-06-15T11:00:00Z'
  // request keys
  if (rng.chance(0.65)) {
    const t = rng.pick(ISO_TIMES)
    ctx['aws:CurrentTime'] = t
    if (rng.chance(0.6)) ctx['aws:EpochTime'] = String(Date.parse(t) / 1000)
  }
  if (rng.chance(0.6)) ctx['aws:SourceIp'] = rng.chance(0.7) ? rng.pick(IPV4) : rng.pick(IPV6)
  if (rng.chance(0.6)) ctx['aws:SecureTransport'] = rng.chance(0.75) ? 'true' : 'false'
  if (rng.chance(0.55)) {
    const mfa = rng.chance(0.5)
    ctx['aws:MultiFactorAuthPresent'] = mfa ? 'true' : 'false'
    if (mfa && rng.chance(0.7)) ctx['aws:MultiFactorAuthAge'] = rng.pick(['30', '900', '7200', '86400'])
  }
  if (rng.chance(0.4)) ctx['aws:RequestedRegion'] = rng.pick(['us-east-1', 'eu-west-1'])
  if (rng.chance(0.15)) {
    ctx['aws:CalledVia'] = rng.pick([['cloudformation.amazonaws.com'], ['athena.amazonaws.com', 's3.amazonaws.com']])
    ctx['aws:ViaAWSService'] = 'true'
  } else if (rng.chance(0.2)) ctx['aws:ViaAWSService'] = 'false'
  if (rng.chance(0.15)) ctx['aws:SourceVpce'] = rng.pick(['vpce-1a2b3c4d', 'vpce-9z8y7x6w'])
  if (rng.chance(0.3)) {
    const tagKeys = rng.pick([[], ['env'], ['env', 'team'], ['Env', 'cost'], ['team']])
    ctx['aws:TagKeys'] = tagKeys
    if (tagKeys.includes('env') && rng.chance(0.8)) ctx['aws:RequestTag/env'] = rng.pick(['prod', 'dev'])
  }
  // resource tags: S3 bucket/object tags need bucket ABAC, which the case schema has no switch for
  if (sc.service !== 's3' && !sc.wildcardOnly && rng.chance(0.5))
    ctx['aws:ResourceTag/team'] = rng.pick(['red', 'blue'])
  // service keys, only on actions that have them
  const a = sc.action
  if (a === 's3:ListBucket') {
    if (rng.chance(0.7)) ctx['s3:prefix'] = rng.pick(['home/alice/', 'home/bob/docs/', 'public/', 'home/carol/'])
    if (rng.chance(0.3)) ctx['s3:max-keys'] = rng.pick(['10', '1000'])
  }
  if (a === 's3:GetObject' && rng.chance(0.3)) ctx['s3:ExistingObjectTag/class'] = rng.pick(['public', 'secret'])
  if (sc.service === 'kms' && !sc.wildcardOnly && a !== 'kms:DescribeKey') {
    // iam-simulate 0.1.173 drops kms:EncryptionContext:<key> from the context (its
    // key lookup only expands variables after a '/'), so only the keys list is sent;
    // conditions on kms:EncryptionContext:<key> then test the missing-key path.
    if (rng.chance(0.5)) ctx['kms:EncryptionContextKeys'] = rng.pick([['project'], ['project', 'stage'], ['stage'], []])
  }
  if (sc.service === 'kms' && (a === 'kms:Encrypt' || a === 'kms:CreateGrant' || a === 'kms:DescribeKey' || a === 'kms:CreateKey')) {
    if (rng.chance(0.4)) ctx['kms:ViaService'] = rng.pick([`s3.${REGION}.amazonaws.com`, `secretsmanager.${REGION}.amazonaws.com`])
  }
  if (sc.service === 'kms' && sc.action !== 'kms:ListKeys' && rng.chance(0.4)) ctx['kms:CallerAccount'] = p.account
  if (a === 'kms:CreateGrant') {
    if (rng.chance(0.6)) ctx['kms:GrantIsForAWSResource'] = rng.chance(0.5) ? 'true' : 'false'
    if (rng.chance(0.4)) ctx['kms:GrantOperations'] = rng.pick([['Decrypt'], ['Decrypt', 'Encrypt'], ['CreateGrant']])
  }
  if (a === 'secretsmanager:GetSecretValue' && rng.chance(0.5))
    ctx['secretsmanager:VersionStage'] = rng.pick(['AWSCURRENT', 'AWSPREVIOUS'])
  if (a === 'sts:AssumeRole') {
    if (rng.chance(0.5)) ctx['sts:RoleSessionName'] = rng.pick(['edgeward-job-session-alpha', 'other-session'])
    if (rng.chance(0.4)) ctx['sts:ExternalId'] = rng.pick(['ext-123', 'ext-999'])
  }
  if (a === 'iam:PassRole' && rng.chance(0.6))
    ctx['iam:PassedToService'] = rng.pick(['ecs-tasks.amazonaws.com', 'lambda.amazonaws.com'])
  if (sc.service === 'dynamodb' && !sc.wildcardOnly) {
    if (rng.chance(0.5)) ctx['dynamodb:LeadingKeys'] = rng.pick([['alice'], ['bob'], ['alice', 'bob'], []])
    if (rng.chance(0.3)) ctx['dynamodb:Attributes'] = rng.pick([['id', 'total'], ['id'], ['secret', 'id']])
    if (a !== 'dynamodb:PutItem' && rng.chance(0.3)) ctx['dynamodb:Select'] = rng.pick(['ALL_ATTRIBUTES', 'SPECIFIC_ATTRIBUTES'])
  }
  return ctx
}

// ---------------------------------------------------------------- conditions

// A key catalogue: type + candidate values; `has(sc)` says the key is meaningful for
// the request (it may still be absent from the context: that exercises missing keys).
const KEY_CATALOG = [
  { key: 'aws:PrincipalArn', type: 'Arn' },
  { key: 'aws:PrincipalAccount', type: 'String', vals: ACCOUNTS },
  { key: 'aws:username', type: 'String', vals: ['alice', 'bob', 'carol'] },
  { key: 'aws:PrincipalOrgID', type: 'String', vals: ['o-aaaa1111', 'o-bbbb2222'] },
  { key: 'aws:PrincipalOrgPaths', type: 'Multi', vals: ['o-aaaa1111/*', 'o-aaaa1111/r-ab12/ou-ab12-11111111/', 'o-bbbb2222/*'] },
  { key: 'aws:PrincipalTag/team', type: 'String', vals: ['red', 'blue', 'RED', 'r*', 'b?ue', 'te${*}am', 'te*am'] },
  { key: 'aws:PrincipalTag/edgeward:edge:instance:name', type: 'String', vals: ['alpha', 'beta', '${aws:ResourceTag/team}'] },
  { key: 'aws:TokenIssueTime', type: 'Date', vals: ['2024-06-15T00:00:00Z', '2024-06-16T00:00:00Z'] },
  { key: 'aws:CurrentTime', type: 'Date', vals: ['2024-01-01T00:00:00Z', '2024-06-15T12:00:00Z', '2024-12-31T23:59:59Z', '2025-06-01'] },
  { key: 'aws:EpochTime', type: 'Epoch', vals: ['1704067200', '1718452800', '1735689599'] },
  { key: 'aws:SourceIp', type: 'Ip', vals: ['203.0.113.0/24', '10.0.0.0/8', '198.51.100.7/32', '192.0.2.0/25', '2001:db8::/32', '2001:db8:1234::/48', '0.0.0.0/0', '::/0'] },
  { key: 'aws:SecureTransport', type: 'Bool' },
  { key: 'aws:MultiFactorAuthPresent', type: 'Bool' },
  { key: 'aws:MultiFactorAuthAge', type: 'Numeric', vals: ['60', '3600', '86400', '900.5'] },
  { key: 'aws:RequestedRegion', type: 'String', vals: ['us-east-1', 'eu-west-1', 'us-*'] },
  { key: 'aws:CalledVia', type: 'Multi', vals: ['cloudformation.amazonaws.com', 's3.amazonaws.com', '*.amazonaws.com'] },
  { key: 'aws:ViaAWSService', type: 'Bool' },
  { key: 'aws:SourceVpce', type: 'String', vals: ['vpce-1a2b3c4d', 'vpce-9z8y7x6w', 'vpce-*'] },
  { key: 'aws:TagKeys', type: 'Multi', vals: ['env', 'team', 'Env', 'cost', 'e*'] },
  { key: 'aws:RequestTag/env', type: 'String', vals: ['prod', 'dev', 'PROD'] },
  { key: 'aws:ResourceTag/team', type: 'String', vals: ['red', 'blue', '${aws:PrincipalTag/team}', "${aws:PrincipalTag/team, 'red'}"], has: (sc) => sc.service !== 's3' },
  { key: 's3:prefix', type: 'String', vals: ['home/${aws:username}/*', 'home/alice/', 'public/*', 'home/${aws:username}/'], has: (sc) => sc.action === 's3:ListBucket' },
  { key: 's3:max-keys', type: 'Numeric', vals: ['100', '1000', '10'], has: (sc) => sc.action === 's3:ListBucket' },
  { key: 's3:ExistingObjectTag/class', type: 'String', vals: ['public', 'secret'], has: (sc) => sc.action === 's3:GetObject' },
  { key: 'kms:EncryptionContext:project', type: 'String', vals: ['alpha', 'beta', 'a*'], has: (sc) => sc.service === 'kms' && sc.action !== 'kms:DescribeKey' && !sc.wildcardOnly },
  { key: 'kms:EncryptionContextKeys', type: 'Multi', vals: ['project', 'stage', 'owner'], has: (sc) => sc.service === 'kms' && sc.action !== 'kms:DescribeKey' && !sc.wildcardOnly },
  { key: 'kms:ViaService', type: 'String', vals: [`s3.${REGION}.amazonaws.com`, `secretsmanager.${REGION}.amazonaws.com`, 's3.*.amazonaws.com'], has: (sc) => ['kms:Encrypt', 'kms:CreateGrant', 'kms:DescribeKey', 'kms:CreateKey'].includes(sc.action) },
  { key: 'kms:CallerAccount', type: 'String', vals: ACCOUNTS, has: (sc) => sc.service === 'kms' && sc.action !== 'kms:ListKeys' },
  { key: 'kms:GrantIsForAWSResource', type: 'Bool', has: (sc) => sc.action === 'kms:CreateGrant' },
  { key: 'kms:GrantOperations', type: 'Multi', vals: ['Decrypt', 'Encrypt', 'GenerateDataKey*'], has: (sc) => sc.action === 'kms:CreateGrant' },
  { key: 'secretsmanager:VersionStage', type: 'String', vals: ['AWSCURRENT', 'AWSPREVIOUS'], has: (sc) => sc.action === 'secretsmanager:GetSecretValue' },
  { key: 'sts:RoleSessionName', type: 'String', vals: ['edgeward-job-session-*', 'other-session', '${aws:username}'], has: (sc) => sc.action === 'sts:AssumeRole' },
  { key: 'sts:ExternalId', type: 'String', vals: ['ext-123', 'ext-999'], has: (sc) => sc.action === 'sts:AssumeRole' },
  { key: 'iam:PassedToService', type: 'String', vals: ['ecs-tasks.amazonaws.com', 'lambda.amazonaws.com'], has: (sc) => sc.action === 'iam:PassRole' },
  { key: 'dynamodb:LeadingKeys', type: 'Multi', vals: ['alice', 'bob', '${aws:username}'], has: (sc) => sc.service === 'dynamodb' && !sc.wildcardOnly },
  { key: 'dynamodb:Attributes', type: 'Multi', vals: ['id', 'total', 'name'], has: (sc) => sc.service === 'dynamodb' && !sc.wildcardOnly },
  { key: 'dynamodb:Select', type: 'String', vals: ['ALL_ATTRIBUTES', 'SPECIFIC_ATTRIBUTES'], has: (sc) => sc.service === 'dynamodb' && sc.action !== 'dynamodb:PutItem' && !sc.wildcardOnly }
]

const OPS = {
  String: ['StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringLike', 'StringNotLike'],
  Arn: ['ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike', 'StringLike', 'StringEquals'],
  Date: ['DateEquals', 'DateNotEquals', 'DateLessThan', 'DateLessThanEquals', 'DateGreaterThan', 'DateGreaterThanEquals'],
  Epoch: ['DateLessThan', 'DateGreaterThan', 'DateGreaterThanEquals', 'NumericLessThan', 'NumericGreaterThanEquals'],
  Numeric: ['NumericEquals', 'NumericNotEquals', 'NumericLessThan', 'NumericLessThanEquals', 'NumericGreaterThan', 'NumericGreaterThanEquals'],
  Bool: ['Bool'],
  Ip: ['IpAddress', 'NotIpAddress'],
  Multi: ['StringEquals', 'StringLike', 'StringNotEquals', 'StringNotLike', 'StringEqualsIgnoreCase']
}

function arnValuesFor(sc, rng) {
  const p = sc.principal
  const acct = p.account
  return [
    p.baseArn,
    `arn:aws:iam::${acct}:role/edgeward-edge-*`,
    `arn:aws:iam::${acct}:user/*`,
    `arn:aws:iam::*:role/*`,
    `arn:aws:iam::${rng.pick(ACCOUNTS)}:root`,
    `arn:aws:iam::${acct}:role/service/*`,
    `arn:aws:iam::${acct}:*`,
    `arn:aws:iam::222222222222:user/bob`
  ]
}

function genCondition(rng, sc, effect) {
  const applicable = KEY_CATALOG.filter((k) => !k.has || k.has(sc))
  // Prefer keys that are present in the context, so conditions decide something.
  let spec
  const present = applicable.filter((k) => k.key in sc.context)
  if (present.length && rng.chance(0.8)) spec = rng.pick(present)
  else spec = rng.pick(applicable)
  const key = spec.key
  const ctxVal = sc.context[key]

  // Null operator
  if (rng.chance(0.07)) {
    return { op: 'Null', key, vals: rng.chance(0.5) ? 'true' : 'false' }
  }
  const type = spec.type
  let op = rng.pick(OPS[type])
  let vals
  const nv = rng.wpick([
    [6, 1],
    [3, 2],
    [1, 3]
  ])
  const pickVals = (cands, matchVal) => {
    const out = []
    if (matchVal !== undefined && rng.chance(0.55)) out.push(matchVal)
    while (out.length < nv) out.push(rng.pick(cands))
    return [...new Set(out)]
  }
  switch (type) {
    case 'Arn':
      vals = pickVals(arnValuesFor(sc, rng), typeof ctxVal === 'string' ? ctxVal : undefined)
      break
    case 'Bool':
      vals = [rng.chance(0.5) ? 'true' : 'false']
      if (rng.chance(0.05)) vals = [rng.chance(0.5) ? true : false] // JSON boolean
      break
    case 'Date':
      vals = pickVals(spec.vals, typeof ctxVal === 'string' ? ctxVal : undefined)
      break
    case 'Epoch':
      vals = pickVals(spec.vals, typeof ctxVal === 'string' ? ctxVal : undefined)
      break
    case 'Numeric':
      vals = pickVals(spec.vals, typeof ctxVal === 'string' ? ctxVal : undefined)
      if (rng.chance(0.05)) vals = [Number(vals[0])] // JSON number
      break
    case 'Ip':
      vals = pickVals(spec.vals)
      break
    case 'Multi': {
      const mv = Array.isArray(ctxVal) && ctxVal.length ? rng.pick(ctxVal) : undefined
      vals = pickVals(spec.vals, mv)
      break
    }
    default:
      vals = pickVals(spec.vals, typeof ctxVal === 'string' ? ctxVal : undefined)
  }
  if (type === 'Multi') {
    op = `${rng.chance(0.5) ? 'ForAllValues' : 'ForAnyValue'}:${op}`
  } else if (rng.chance(0.08) && type !== 'Bool') {
    // set operator on a single-valued key
    op = `${rng.chance(0.5) ? 'ForAllValues' : 'ForAnyValue'}:${op}`
  }
  if (rng.chance(0.2)) op += 'IfExists'
  return { op, key, vals: vals.length === 1 && rng.chance(0.6) ? vals[0] : vals }
}

function genConditionBlock(rng, sc, effect, n) {
  const cond = {}
  for (let i = 0; i < n; i++) {
    const c = genCondition(rng, sc, effect)
    cond[c.op] = cond[c.op] || {}
    cond[c.op][c.key] = c.vals
  }
  return cond
}

// ---------------------------------------------------------------- statements

function actionVariants(rng, action, matching) {
  const [svc, name] = action.split(':')
  if (matching) {
    return rng.wpick([
      [8, action],
      [1, `${svc}:${name.toLowerCase()}`],
      [3, `${svc}:*`],
      [2, `${svc}:${name.slice(0, 3)}*`],
      [1, `${svc}:*${name.slice(-4)}`],
      [1, `${svc}:${name[0]}?${name.slice(2)}`],
      [2, '*']
    ])
  }
  const others = ALL_ACTIONS.filter((a) => a !== action)
  return rng.wpick([
    [6, rng.pick(others)],
    [2, `${rng.pick(SERVICE_NAMES.filter((s) => s !== svc))}:*`],
    [1, `${svc}:Zz*`]
  ])
}

function genActionElement(rng, sc, matching) {
  if (rng.chance(0.12)) {
    // NotAction: matches the request when the request action is NOT listed
    const list = []
    const n = 1 + rng.int(2)
    for (let i = 0; i < n; i++) list.push(actionVariants(rng, sc.action, false))
    if (!matching) list.push(actionVariants(rng, sc.action, true))
    return { NotAction: list.length === 1 ? list[0] : [...new Set(list)] }
  }
  const list = [actionVariants(rng, sc.action, matching)]
  if (rng.chance(0.3)) list.push(actionVariants(rng, sc.action, false))
  return { Action: list.length === 1 ? list[0] : [...new Set(list)] }
}

function resourceVariants(rng, sc, matching, forNot) {
  const r = sc.resource
  const arn = r.arn
  const acct = sc.resourceAccount
  if (sc.wildcardOnly) {
    if (matching) return '*'
    return rng.pick([`arn:aws:${sc.service}:${REGION}:${acct}:*`, 'arn:aws:s3:::data-bucket-111111111111'])
  }
  const svc = sc.service
  const m = []
  m.push([8, arn], [3, '*'])
  const colon5 = arn.split(':').slice(0, 5).join(':')
  m.push([2, `${colon5}:*`])
  m.push([1, arn.replace(acct, '*')])
  if (svc !== 's3') m.push([1, arn.replace(`:${REGION}:`, ':*:')])
  if (svc === 's3') {
    m.push([2, `arn:aws:s3:::${r.bucket}${r.key ? '/*' : ''}`])
    m.push([1, `arn:aws:s3:::${r.bucket.replace(acct, '*')}${r.key ? '/*' : ''}`])
    if (r.key) {
      const dir = r.key.split('/').slice(0, -1).join('/')
      m.push([2, `arn:aws:s3:::${r.bucket}/${dir}/*`])
      m.push([1, `arn:aws:s3:::${r.bucket}/${r.key.replace(/[a-z]/, '?')}`])
    }
  }
  if (svc === 'sqs') m.push([1, `${colon5}:edge-queue-*`])
  if (svc === 'kms') m.push([1, `${colon5}:key/*`])
  if (svc === 'secretsmanager') m.push([1, `${colon5}:secret:${r.name.slice(0, 4)}*`])
  if (svc === 'dynamodb') m.push([1, `${colon5}:table/*`])
  if (svc === 'iam' || svc === 'sts') m.push([1, arn.replace(/(role|user)\/.*/, '$1/*')])
  const variable = variableResource(rng, sc)
  if (variable) m.push([forNot ? 1 : 3, variable])
  if (matching) return rng.wpick(m)
  // non-matching: a different resource of the same service or another service
  const other = SERVICES[svc].resource(rng, sc.resourceType, rng.pick(ACCOUNTS))
  const nm = []
  if (other.arn !== arn) nm.push([4, other.arn])
  nm.push([2, `arn:aws:${svc === 's3' ? 'sqs' : 's3'}:::${rng.pick(BUCKETS)}-${acct}/*`.replace('sqs:::', `sqs:${REGION}:${acct}:`)])
  if (svc === 's3' && r.key) nm.push([2, `arn:aws:s3:::${r.bucket}/private/*`])
  if (svc === 's3' && !r.key) nm.push([2, `arn:aws:s3:::${r.bucket}/*`])
  if (variable) nm.push([2, variable])
  return rng.wpick(nm)
}

/** Resource ARNs with policy variables (may or may not match; the oracle decides). */
function variableResource(rng, sc) {
  const r = sc.resource
  const acct = sc.resourceAccount
  switch (sc.service) {
    case 's3':
      if (r.key)
        return rng.pick([
          `arn:aws:s3:::${r.bucket}/home/\${aws:username}/*`,
          `arn:aws:s3:::${r.bucket}/jobs/\${aws:PrincipalTag/team}/*`,
          `arn:aws:s3:::${r.bucket}/jobs/\${aws:PrincipalTag/team, 'red'}/*`,
          `arn:aws:s3:::${r.bucket}/home/\${aws:username, 'alice'}/*`,
          `arn:aws:s3:::data-bucket-\${aws:PrincipalAccount}/*`,
          `arn:aws:s3:::${r.bucket}/\${*}*`
        ])
      return `arn:aws:s3:::data-bucket-\${aws:PrincipalAccount}`
    case 'iam':
      return `arn:aws:iam::${acct}:${sc.resourceType}/\${aws:username}`
    case 'secretsmanager':
      return rng.pick([
        `arn:aws:secretsmanager:${REGION}:${acct}:secret:\${aws:PrincipalTag/team}-*`,
        `arn:aws:secretsmanager:${REGION}:${acct}:secret:edgeward/\${aws:PrincipalTag/edgeward:edge:instance:name}/*`
      ])
    case 'dynamodb':
      return `arn:aws:dynamodb:${REGION}:${acct}:table/\${aws:PrincipalTag/team}-orders`
    case 'sqs':
      // resource part *starting* with a variable: a documented iam-simulate deviation, keep rare
      if (rng.chance(0.25)) return `arn:aws:sqs:${REGION}:${acct}:\${aws:PrincipalTag/team}-queue`
      return undefined
    case 'sts':
      return `arn:aws:iam::${acct}:role/edgeward-edge-\${aws:PrincipalTag/edgeward:edge:instance:name}`
    default:
      return undefined
  }
}

function genResourceElement(rng, sc, matching) {
  if (rng.chance(0.1) && !sc.wildcardOnly) {
    const list = [resourceVariants(rng, sc, false, true)]
    if (!matching) list.push(resourceVariants(rng, sc, true, true))
    return { NotResource: list.length === 1 ? list[0] : [...new Set(list)] }
  }
  const list = [resourceVariants(rng, sc, matching, false)]
  if (rng.chance(0.25)) list.push(resourceVariants(rng, sc, false, false))
  return { Resource: list.length === 1 ? list[0] : [...new Set(list)] }
}

function principalVariants(rng, sc, matching) {
  const p = sc.principal
  if (matching) {
    const m = [
      [2, '*'],
      [2, { AWS: '*' }],
      [2, { AWS: p.account }],
      [3, { AWS: rootArn(p.account) }]
    ]
    if (p.kind === 'user') m.push([5, { AWS: p.arn }])
    if (p.kind === 'session') {
      m.push([5, { AWS: p.roleArn }])
      m.push([2, { AWS: p.arn }])
    }
    return rng.wpick(m)
  }
  const otherAcct = rng.pick(ACCOUNTS.filter((a) => a !== p.account))
  return rng.wpick([
    [2, { AWS: otherAcct }],
    [2, { AWS: rootArn(otherAcct) }],
    [2, { AWS: userArn(p.account, rng.pick(USERS.filter((u) => !p.user || u.name !== p.user.name))) }],
    [2, { AWS: roleArn(otherAcct, rng.pick(ROLES)) }],
    [1, { AWS: sessionArn(p.account, rng.pick(ROLES), 'other-session') }],
    [1, { Service: 'ecs-tasks.amazonaws.com' }]
  ])
}

function mergePrincipals(a, b) {
  if (a === '*' || b === '*') return '*'
  const out = {}
  for (const x of [a, b]) for (const [k, v] of Object.entries(x)) out[k] = [...new Set([...(out[k] ? [out[k]].flat() : []), ...[v].flat()])]
  for (const k of Object.keys(out)) if (out[k].length === 1) out[k] = out[k][0]
  return out
}

function genPrincipalElement(rng, sc, matching, effect) {
  if (effect === 'Deny' && rng.chance(0.2)) {
    // Deny + NotPrincipal (the deny applies to principals NOT listed; Allow+NotPrincipal is unsupported per the docs)
    let np = principalVariants(rng, sc, !matching)
    if (np === '*') np = { AWS: rootArn(rng.pick(ACCOUNTS)) }
    if (rng.chance(0.4)) {
      const extra = rng.chance(0.5) ? { AWS: rootArn(sc.principal.account) } : principalVariants(rng, sc, false)
      if (extra !== '*') np = mergePrincipals(np, extra)
    }
    return { NotPrincipal: np }
  }
  let pr = principalVariants(rng, sc, matching)
  if (rng.chance(0.2)) pr = mergePrincipals(pr, principalVariants(rng, sc, false))
  return { Principal: pr }
}

let sidCounter = 0
function statement(rng, sc, kind, opts = {}) {
  const effect = opts.effect || 'Allow'
  const st = {}
  if (rng.chance(0.3)) st.Sid = `S${sidCounter++ % 1000}`
  st.Effect = effect
  const relevant = opts.relevant ?? rng.chance(0.75)
  if (kind === 'resource') Object.assign(st, genPrincipalElement(rng, sc, opts.principalMatch ?? rng.chance(0.75), effect))
  if (kind === 'rcp') st.Principal = '*'
  Object.assign(st, genActionElement(rng, sc, relevant || rng.chance(0.2)))
  if (kind === 'scp' && opts.fullAccess) {
    st.Action = '*'
    delete st.NotAction
  }
  Object.assign(st, genResourceElement(rng, sc, relevant || rng.chance(0.3)))
  if (kind === 'rcp' || (kind === 'scp' && opts.fullAccess)) {
    // RCP and SCP resources must be full ARNs or "*"
    if (st.NotResource || (st.Resource !== '*' && [st.Resource].flat().some((x) => x.split(':').length < 6)))
      st.Resource = '*'
    if (opts.fullAccess) st.Resource = '*'
    delete st.NotResource
  }
  const pCond = opts.condProb ?? (effect === 'Deny' ? 0.75 : 0.45)
  if (!opts.noCond && rng.chance(pCond)) {
    const n = rng.wpick([
      [6, 1],
      [3, 2],
      [1, 3]
    ])
    st.Condition = genConditionBlock(rng, sc, effect, n)
  }
  return st
}

const policy = (rng, statements) => ({
  Version: '2012-10-17',
  Statement: statements.length === 1 && rng.chance(0.2) ? statements[0] : statements
})

function genIdentityPolicies(rng, sc) {
  const out = []
  const n = rng.wpick([
    [1, 0],
    [6, 1],
    [3, 2],
    [1, 3]
  ])
  for (let i = 0; i < n; i++) {
    const sts = []
    const k = 1 + rng.int(3)
    for (let j = 0; j < k; j++) {
      const effect = rng.chance(j === 0 ? 0.08 : 0.25) ? 'Deny' : 'Allow'
      sts.push(statement(rng, sc, 'identity', { effect }))
    }
    out.push({ name: `identity-${i}`, policy: policy(rng, sts) })
  }
  return out
}

function genResourcePolicy(rng, sc) {
  const sts = []
  const p = sc.principal
  if (sc.service === 'kms' && rng.chance(0.6)) {
    // the default key policy statement: delegate to the account's IAM policies
    sts.push({
      Sid: 'Enable IAM User Permissions',
      Effect: 'Allow',
      Principal: { AWS: rootArn(sc.resourceAccount) },
      Action: 'kms:*',
      Resource: '*'
    })
  }
  if (sc.service === 'sts' && rng.chance(0.5)) {
    // a trust policy in the shape edgeward's seed story uses
    const cross = p.account !== sc.resourceAccount
    const st = {
      Effect: 'Allow',
      Principal: { AWS: rootArn(rng.chance(0.8) ? p.account : sc.resourceAccount) },
      Action: rng.pick(['sts:AssumeRole', ['sts:AssumeRole', 'sts:TagSession']])
    }
    if (cross || rng.chance(0.3))
      st.Condition = { ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${p.account}:role/edgeward-edge-*` } }
    sts.push(st)
  }
  const k = 1 + rng.int(3)
  for (let j = 0; j < k; j++) {
    const effect = rng.chance(0.22) ? 'Deny' : 'Allow'
    const st = statement(rng, sc, 'resource', { effect })
    sts.push(sc.service === 'sts' ? trustify(rng, sc, st) : st)
  }
  return policy(rng, sts)
}

/**
 * Role trust policies (IAM docs): no Resource/NotResource (the policy applies to the
 * role itself), only STS actions, no NotPrincipal.
 */
function trustify(rng, sc, st) {
  const out = {}
  if (st.Sid) out.Sid = st.Sid
  out.Effect = st.Effect
  out.Principal = st.Principal ?? principalVariants(rng, sc, false)
  const relevant = rng.chance(0.8)
  const same = [sc.action, `sts:${sc.action.split(':')[1].slice(0, 6)}*`, 'sts:*']
  const other = ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity', 'sts:AssumeRoleWithWebIdentity'].filter((a) => a !== sc.action)
  const acts = [relevant ? rng.pick(same) : rng.pick(other)]
  if (rng.chance(0.3)) acts.push(rng.pick(other))
  out.Action = acts.length === 1 ? acts[0] : [...new Set(acts)]
  if (st.Condition) out.Condition = st.Condition
  return out
}

function genBoundary(rng, sc) {
  const sts = []
  const k = 1 + rng.int(2)
  for (let j = 0; j < k; j++) {
    sts.push(statement(rng, sc, 'identity', { effect: rng.chance(0.15) ? 'Deny' : 'Allow', relevant: rng.chance(0.7) }))
  }
  return [{ name: 'boundary', policy: policy(rng, sts) }]
}

function genSessionPolicy(rng, sc) {
  const sts = []
  const k = 1 + rng.int(2)
  for (let j = 0; j < k; j++) {
    sts.push(statement(rng, sc, 'identity', { effect: rng.chance(0.15) ? 'Deny' : 'Allow', relevant: rng.chance(0.65) }))
  }
  return policy(rng, sts)
}

function genScps(rng, sc) {
  const levels = 1 + rng.int(2)
  const out = []
  for (let l = 0; l < levels; l++) {
    const sts = []
    if (rng.chance(0.85)) sts.push({ Effect: 'Allow', Action: '*', Resource: '*' })
    else sts.push(statement(rng, sc, 'scp', { effect: 'Allow', relevant: rng.chance(0.6), noCond: rng.chance(0.5) }))
    if (rng.chance(0.45)) sts.push(statement(rng, sc, 'scp', { effect: 'Deny', condProb: 0.9 }))
    out.push({
      orgIdentifier: l === 0 ? 'r-ab12' : `ou-ab12-${sc.principal.account.slice(0, 8)}`,
      policies: [{ name: `scp-${l}`, policy: policy(rng, sts) }]
    })
  }
  return out
}

function genRcps(rng, sc) {
  const levels = 1 + rng.int(2)
  const out = []
  for (let l = 0; l < levels; l++) {
    const sts = []
    const k = 1 + rng.int(2)
    for (let j = 0; j < k; j++) sts.push(statement(rng, sc, 'rcp', { effect: 'Deny', condProb: 0.9 }))
    // RCP statements: Action only (no NotAction, no bare "*"), on services RCPs support
    for (const st of sts) {
      const acts = [st.Action ?? st.NotAction].flat()
      delete st.NotAction
      const fixed = acts.map((a) =>
        a === '*' ? `${sc.service}:*` : RCP_SERVICES.includes(a.split(':')[0]) ? a : 's3:*'
      )
      st.Action = fixed.length === 1 ? fixed[0] : [...new Set(fixed)]
    }
    out.push({ orgIdentifier: l === 0 ? 'r-ab12' : `ou-ab12-${sc.resourceAccount.slice(0, 8)}`, policies: [{ name: `rcp-${l}`, policy: policy(rng, sts) }] })
  }
  return out
}

// ---------------------------------------------------------------- case

export function generateCase(seed, index) {
  const rng = new Rng(caseSeed(seed, index))
  sidCounter = 0
  const principal = makePrincipal(rng)
  const service = rng.wpick(SERVICE_NAMES.map((s) => [SERVICES[s].weight, s]))
  const svc = SERVICES[service]
  const wildcardOnly = rng.chance(0.06)
  let action, resourceType, resource, resourceAccount
  if (wildcardOnly) {
    action = rng.pick(svc.wildcardOnly)
    resourceAccount = principal.account
    resource = { arn: '*' }
  } else {
    ;[action, resourceType] = rng.pick(svc.actions)
    resourceAccount = rng.chance(0.6) ? principal.account : rng.pick(ACCOUNTS.filter((a) => a !== principal.account))
    resource = svc.resource(rng, resourceType, resourceAccount)
  }
  const sc = { principal, service, action, resourceType, resource, resourceAccount, wildcardOnly }
  sc.context = buildContext(rng, sc)

  const c = {
    name: `s${seed}-${index}`,
    request: {
      principal: principal.arn,
      action,
      resource: { resource: resource.arn, accountId: resourceAccount },
      context: sc.context
    },
    identityPolicies: principal.kind === 'root' ? [] : genIdentityPolicies(rng, sc)
  }
  if (!wildcardOnly && svc.rp > 0 && rng.chance(svc.rp)) c.resourcePolicy = genResourcePolicy(rng, sc)
  if (principal.kind === 'session' && rng.chance(0.3)) c.sessionPolicy = genSessionPolicy(rng, sc)
  if (principal.kind !== 'root' && rng.chance(0.22)) c.permissionBoundaries = genBoundary(rng, sc)
  if (rng.chance(0.3)) c.serviceControlPolicies = genScps(rng, sc)
  if (rng.chance(0.2) && RCP_SERVICES.includes(service)) c.resourceControlPolicies = genRcps(rng, sc)
  return c
}

export function* generateCases(n, seed, start = 0) {
  for (let i = start; i < start + n; i++) yield generateCase(seed, i)
}

/** Translate an edgeward case to iam-simulate's `Simulation` input. */
export function toIamSimulate(c) {
  const sim = {
    request: {
      principal: c.request.principal,
      action: c.request.action,
      resource: { resource: c.request.resource.resource, accountId: c.request.resource.accountId },
      contextVariables: c.request.context || {}
    },
    identityPolicies: c.identityPolicies || [],
    serviceControlPolicies: c.serviceControlPolicies || [],
    resourceControlPolicies: c.resourceControlPolicies || []
  }
  if (c.resourcePolicy !== undefined) sim.resourcePolicy = c.resourcePolicy
  if (c.sessionPolicy !== undefined) sim.sessionPolicy = c.sessionPolicy
  if (c.permissionBoundaries !== undefined) sim.permissionBoundaryPolicies = c.permissionBoundaries
  return sim
}

// CLI: node gen.mjs --cases N --seed S [--only I]  -> JSON array on stdout
if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2)
  const get = (f, d) => {
    const i = args.indexOf(f)
    return i >= 0 ? args[i + 1] : d
  }
  const seed = Number(get('--seed', '1'))
  const only = get('--only')
  const cases = only !== undefined ? [generateCase(seed, Number(only))] : [...generateCases(Number(get('--cases', '10')), seed)]
  process.stdout.write(JSON.stringify(cases, null, 2) + '\n')
}
