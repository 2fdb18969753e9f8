//! The records (a secret with its versions) and the pure rules over them: staging labels,
//! version pruning, ListSecrets filters, identifiers. No I/O, no clock, no KMS.

use serde::{Deserialize, Serialize};

use crate::state::{PolicyDoc, Tag};

pub const CURRENT: &str = "AWSCURRENT";
pub const PREVIOUS: &str = "AWSPREVIOUS";
/// Secrets Manager keeps at most this many versions; older unlabeled ones are removed.
pub const MAX_VERSIONS: usize = 100;
pub const MAX_LABELS_PER_VERSION: usize = 20;

/// One secret, stored whole under `secret/<account>/<region>/<name>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Secret {
    pub account: String,
    pub region: String,
    pub name: String,
    pub arn: String,
    #[serde(default)]
    pub description: Option<String>,
    /// As the caller gave it; `None` means the AWS managed key `alias/aws/secretsmanager`.
    #[serde(default)]
    pub kms_key_id: Option<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// Tags were ever given (DescribeSecret then lists `Tags`, possibly empty).
    #[serde(default)]
    pub tagged: bool,
    #[serde(default)]
    pub policy: Option<PolicyDoc>,
    pub created: i64,
    pub last_changed: i64,
    /// Day granularity (midnight UTC), as AWS reports it.
    #[serde(default)]
    pub last_accessed: Option<i64>,
    /// When DeleteSecret was called (the secret is scheduled for deletion).
    #[serde(default)]
    pub deleted: Option<i64>,
    /// When the deletion completes.
    #[serde(default)]
    pub deletion_date: Option<i64>,
    /// In creation order.
    #[serde(default)]
    pub versions: Vec<Version>,
    /// Creation order across all secrets (ties of `created` within a second).
    pub seq: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Version {
    pub id: String,
    pub stages: Vec<String>,
    pub created: i64,
    #[serde(default)]
    pub last_accessed: Option<i64>,
    /// SecretBinary rather than SecretString.
    pub binary: bool,
    /// The KMS ciphertext blob of the value (encryption context SecretARN + SecretVersionId).
    #[serde(with = "b64")]
    pub ciphertext: Vec<u8>,
    /// The key the value was encrypted under, as configured then.
    #[serde(default)]
    pub kms_key_id: Option<String>,
}

impl Secret {
    pub fn version(&self, id: &str) -> Option<&Version> {
        self.versions.iter().find(|v| v.id == id)
    }

    pub fn with_stage(&self, stage: &str) -> Option<&Version> {
        self.versions.iter().find(|v| v.stages.iter().any(|s| s == stage))
    }

    pub fn is_deleted(&self) -> bool {
        self.deleted.is_some()
    }

    /// Versions that carry labels, with them (`VersionIdsToStages`).
    pub fn labeled(&self) -> impl Iterator<Item = &Version> {
        self.versions.iter().filter(|v| !v.stages.is_empty())
    }

    /// Adds a new version and attaches `stages` to it, moving each label off the version
    /// that held it; moving AWSCURRENT leaves AWSPREVIOUS on the version that lost it.
    pub fn add_version(&mut self, version: Version, stages: &[String]) {
        self.versions.push(version);
        let id = self.versions.last().map(|v| v.id.clone()).unwrap_or_default();
        for stage in stages {
            self.move_stage(stage, &id);
        }
        // The first value of a secret is always its current one.
        if self.with_stage(CURRENT).is_none() {
            self.move_stage(CURRENT, &id);
        }
        self.prune();
    }

    /// Attaches `stage` to version `to`, detaching it from any other version; AWSCURRENT
    /// moving away from a version puts AWSPREVIOUS on that version.
    pub fn move_stage(&mut self, stage: &str, to: &str) {
        let from: Option<String> = self.with_stage(stage).map(|v| v.id.clone()).filter(|f| f != to);
        for v in &mut self.versions {
            if v.id != to {
                v.stages.retain(|s| s != stage);
            } else if !v.stages.iter().any(|s| s == stage) {
                v.stages.push(stage.to_string());
            }
        }
        if stage == CURRENT {
            if let Some(from) = from {
                self.move_stage(PREVIOUS, &from);
            }
            // The new current version no longer counts as previous.
            if let Some(v) = self.versions.iter_mut().find(|v| v.id == to) {
                v.stages.retain(|s| s != PREVIOUS);
            }
        }
    }

    /// Detaches `stage` from version `from`.
    pub fn remove_stage(&mut self, stage: &str, from: &str) {
        if let Some(v) = self.versions.iter_mut().find(|v| v.id == from) {
            v.stages.retain(|s| s != stage);
        }
    }

    /// Keeps at most MAX_VERSIONS versions, dropping the oldest ones without labels.
    pub fn prune(&mut self) {
        while self.versions.len() > MAX_VERSIONS {
            match self.versions.iter().position(|v| v.stages.is_empty()) {
                Some(i) => {
                    self.versions.remove(i);
                }
                None => break,
            }
        }
    }
}

/// Splits a secret identifier (name, partial ARN or full ARN) into where to look.
#[derive(Debug, PartialEq, Eq)]
pub enum SecretRef<'a> {
    Name(&'a str),
    /// `account`, `region`, the part after `secret:` (a name, or name plus `-XXXXXX`).
    Arn { account: &'a str, region: &'a str, rest: &'a str },
}

pub fn parse_id(id: &str) -> SecretRef<'_> {
    if let Some(tail) = id.strip_prefix("arn:") {
        let parts: Vec<&str> = tail.splitn(6, ':').collect();
        if parts.len() == 6 && parts[1] == "secretsmanager" && parts[4] == "secret" {
            return SecretRef::Arn { account: parts[3], region: parts[2], rest: parts[5] };
        }
    }
    SecretRef::Name(id)
}

/// The ARN a secret gets: its name plus a hyphen and six random characters.
pub fn secret_arn(region: &str, account: &str, name: &str, suffix: &str) -> String {
    format!("arn:aws:secretsmanager:{region}:{account}:secret:{name}-{suffix}")
}

/// Names: ASCII letters, digits and `/_+=.@-`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c))
}

// ---- ListSecrets filters ----

/// The filter keys AWS accepts.
pub const FILTER_KEYS: &[&str] = &["description", "name", "tag-key", "tag-value", "primary-region", "owning-service", "all"];

/// Whether a secret matches every filter (filters combine with AND; the values of one
/// filter with OR; a value starting with `!` negates).
///
/// `name`, `tag-key` and `tag-value` are case-sensitive prefix matches. `description` and
/// `all` break the value into words and match each against the words of the attributes,
/// case-insensitively, by prefix (as AWS does: "MyTest" has the words "My" and "Test").
pub fn matches(secret: &Secret, filters: &[(String, Vec<String>)]) -> bool {
    filters.iter().all(|(key, values)| {
        let attributes: Vec<&str> = match key.as_str() {
            "name" => vec![&secret.name],
            "description" => secret.description.iter().map(String::as_str).collect(),
            "tag-key" => secret.tags.iter().map(|t| t.key.as_str()).collect(),
            "tag-value" => secret.tags.iter().map(|t| t.value.as_str()).collect(),
            "all" => {
                let mut a = vec![secret.name.as_str()];
                a.extend(secret.description.as_deref());
                a.extend(secret.tags.iter().map(|t| t.key.as_str()));
                a.extend(secret.tags.iter().map(|t| t.value.as_str()));
                a
            }
            // Secrets here are neither replicas nor owned by another service.
            _ => Vec::new(),
        };
        let by_words = matches!(key.as_str(), "description" | "all" | "owning-service" | "primary-region");
        matcher(values, &attributes, by_words)
    })
}

fn matcher(values: &[String], attributes: &[&str], by_words: bool) -> bool {
    let hit = |pattern: &str, attr: &str| if by_words { words_match(pattern, attr) } else { attr.starts_with(pattern) };
    for v in values.iter().filter(|v| v.starts_with('!')) {
        if attributes.iter().any(|a| !hit(&v[1..], a)) {
            return true;
        }
    }
    values.iter().filter(|v| !v.starts_with('!')).any(|v| attributes.iter().any(|a| hit(v, a)))
}

/// Every word of the pattern begins some word of the value (case-insensitive).
fn words_match(pattern: &str, value: &str) -> bool {
    let pw: Vec<String> = split_words(pattern).into_iter().map(|w| w.to_lowercase()).collect();
    if pw.is_empty() {
        return false;
    }
    let vw: Vec<String> = split_words(value).into_iter().map(|w| w.to_lowercase()).collect();
    pw.iter().all(|p| vw.iter().any(|v| v.starts_with(p.as_str())))
}

/// Words of an attribute: split on whitespace, then on one kind of separator
/// (`/ - _ + = . @`; a value mixing two kinds stays whole), then before capitals that
/// start a lowercase run ("MyTestPhrase" → My, Test, Phrase).
pub fn split_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    for chunk in s.split_whitespace() {
        const SEPS: &[char] = &['/', '-', '_', '+', '=', '.', '@'];
        let present: Vec<char> = SEPS.iter().copied().filter(|c| chunk.contains(*c)).collect();
        if chunk.len() == 1 && present.len() == 1 {
            continue;
        }
        let pieces: Vec<&str> = match present.as_slice() {
            [one] => chunk.split(*one).collect(),
            [] => vec![chunk],
            _ => {
                out.push(chunk.to_string());
                continue;
            }
        };
        for p in pieces {
            out.extend(split_case(p));
        }
    }
    out
}

/// "MyTest" → ["My", "Test"]; "myTest" → ["my", "Test"]; "Mytest" → ["Mytest"].
fn split_case(s: &str) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut words = Vec::new();
    let mut cur = String::new();
    for (i, c) in chars.iter().enumerate() {
        let starts_word = !c.is_ascii_lowercase() && chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase()) && !cur.is_empty();
        if starts_word {
            words.push(std::mem::take(&mut cur));
        }
        cur.push(*c);
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words.into_iter().map(|w| w.trim().to_string()).filter(|w| !w.is_empty()).collect()
}

/// Byte vectors as base64 text (the protocol's one base64).
pub use crate::protocol::base64 as b64;

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> Secret {
        Secret {
            account: "111111111111".into(),
            region: "us-east-1".into(),
            name: "s".into(),
            arn: secret_arn("us-east-1", "111111111111", "s", "AbCdEf"),
            description: None,
            kms_key_id: None,
            tags: Vec::new(),
            tagged: false,
            policy: None,
            created: 0,
            last_changed: 0,
            last_accessed: None,
            deleted: None,
            deletion_date: None,
            versions: Vec::new(),
            seq: 0,
        }
    }

    fn version(id: &str) -> Version {
        Version { id: id.into(), stages: Vec::new(), created: 0, last_accessed: None, binary: false, ciphertext: Vec::new(), kms_key_id: None }
    }

    fn stages(s: &Secret, id: &str) -> Vec<String> {
        let mut v = s.version(id).unwrap().stages.clone();
        v.sort();
        v
    }

    #[test]
    fn current_moves_and_leaves_previous() {
        let mut s = secret();
        s.add_version(version("v0"), &["AWSPENDING".into()]);
        assert_eq!(stages(&s, "v0"), ["AWSCURRENT", "AWSPENDING"], "a first version is current");
        s.versions.clear();
        s.add_version(version("v1"), &[CURRENT.into()]);
        s.add_version(version("v2"), &[CURRENT.into()]);
        assert_eq!(stages(&s, "v1"), [PREVIOUS]);
        assert_eq!(stages(&s, "v2"), [CURRENT]);
        s.add_version(version("v3"), &[CURRENT.into()]);
        assert!(stages(&s, "v1").is_empty(), "v1 is deprecated");
        assert_eq!(stages(&s, "v2"), [PREVIOUS]);
        // A pending version does not disturb current/previous.
        s.add_version(version("v4"), &["AWSPENDING".into()]);
        assert_eq!(stages(&s, "v3"), [CURRENT]);
        assert_eq!(stages(&s, "v4"), ["AWSPENDING"]);
        // Promote the pending version; moving back to the previous clears AWSPREVIOUS there.
        s.move_stage(CURRENT, "v4");
        assert_eq!(stages(&s, "v3"), [PREVIOUS]);
        assert_eq!(stages(&s, "v4"), ["AWSCURRENT", "AWSPENDING"]);
        s.move_stage(CURRENT, "v3");
        assert_eq!(stages(&s, "v3"), [CURRENT]);
        assert_eq!(stages(&s, "v4"), ["AWSPENDING", "AWSPREVIOUS"]);
    }

    #[test]
    fn old_unlabeled_versions_are_pruned() {
        let mut s = secret();
        for i in 0..(MAX_VERSIONS + 5) {
            s.add_version(version(&format!("v{i}")), &[CURRENT.into()]);
        }
        assert_eq!(s.versions.len(), MAX_VERSIONS);
        assert_eq!(s.versions[0].id, "v5");
        assert_eq!(s.with_stage(CURRENT).unwrap().id, format!("v{}", MAX_VERSIONS + 4));
    }

    #[test]
    fn identifiers() {
        assert_eq!(parse_id("db/pass"), SecretRef::Name("db/pass"));
        assert_eq!(
            parse_id("arn:aws:secretsmanager:us-east-1:222222222222:secret:db/pass-AbCdEf"),
            SecretRef::Arn { account: "222222222222", region: "us-east-1", rest: "db/pass-AbCdEf" }
        );
        assert_eq!(parse_id("arn:aws:kms:us-east-1:2:key/x"), SecretRef::Name("arn:aws:kms:us-east-1:2:key/x"));
        assert!(valid_name("a/b_c+d=e.f@g-h"));
        assert!(!valid_name("a b") && !valid_name("") && !valid_name("é"));
    }

    #[test]
    fn words() {
        assert_eq!(split_words("MyTestPhrase"), ["My", "Test", "Phrase"]);
        assert_eq!(split_words("myTest"), ["my", "Test"]);
        assert_eq!(split_words("Mytest"), ["Mytest"]);
        assert_eq!(split_words("my/test"), ["my", "test"]);
        assert_eq!(split_words("my test"), ["my", "test"]);
        assert_eq!(split_words("my/secret+value"), ["my/secret+value"]);
        assert!(split_words("/").is_empty());
    }

    #[test]
    fn filters() {
        let mut s = secret();
        s.name = "SecretTwo".into();
        s.description = Some("DescTwo".into());
        s.tags = vec![Tag { key: "env".into(), value: "prod".into() }];
        let f = |k: &str, v: &[&str]| vec![(k.to_string(), v.iter().map(|x| x.to_string()).collect())];
        assert!(matches(&s, &f("name", &["Secret"])));
        assert!(!matches(&s, &f("name", &["secret"])), "name is case-sensitive");
        assert!(matches(&s, &f("all", &["secret"])));
        assert!(matches(&s, &f("all", &["d t"])));
        assert!(!matches(&s, &f("all", &["ret"])));
        assert!(matches(&s, &f("tag-key", &["en"])) && matches(&s, &f("tag-value", &["pro"])));
        assert!(matches(&s, &f("description", &["!x"])));
        assert!(!matches(&s, &f("description", &["!d"])));
        assert!(!matches(&s, &f("owning-service", &["rds"])));
    }

    #[test]
    fn base64_round_trip() {
        for n in 0..20 {
            let data: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(b64::decode(&b64::encode(&data)).unwrap(), data);
        }
        assert_eq!(b64::encode(b"foosecret"), "Zm9vc2VjcmV0");
        assert!(b64::decode("Zm9=vc2V").is_none());
        assert!(b64::decode("abc").is_none());
    }
}
