//! GetRandomPassword: characters drawn uniformly from the OS random source.

/// The punctuation Secrets Manager draws from (ASCII punctuation).
pub const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

#[derive(Debug, Clone)]
pub struct PasswordSpec {
    pub length: usize,
    pub exclude_characters: String,
    pub exclude_numbers: bool,
    pub exclude_punctuation: bool,
    pub exclude_uppercase: bool,
    pub exclude_lowercase: bool,
    pub include_space: bool,
    pub require_each_included_type: bool,
}

impl Default for PasswordSpec {
    fn default() -> Self {
        PasswordSpec {
            length: 32,
            exclude_characters: String::new(),
            exclude_numbers: false,
            exclude_punctuation: false,
            exclude_uppercase: false,
            exclude_lowercase: false,
            include_space: false,
            require_each_included_type: true,
        }
    }
}

/// A uniformly random index below `n` (rejection sampling, no modulo bias).
fn below(n: usize) -> usize {
    let n = n.max(1) as u64;
    let space = 1u64 << 32;
    let limit = space - space % n;
    loop {
        let r = u64::from(u32::from_le_bytes(crate::ids::random_bytes::<4>()));
        if r < limit {
            return (r % n) as usize;
        }
    }
}

/// Generates a password, or says why the options leave nothing to draw from.
pub fn generate(spec: &PasswordSpec) -> Result<String, String> {
    let keep = |set: &str| -> Vec<char> { set.chars().filter(|c| !spec.exclude_characters.contains(*c)).collect() };
    let mut classes: Vec<Vec<char>> = Vec::new();
    if !spec.exclude_lowercase {
        classes.push(keep("abcdefghijklmnopqrstuvwxyz"));
    }
    if !spec.exclude_uppercase {
        classes.push(keep("ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
    }
    if !spec.exclude_numbers {
        classes.push(keep("0123456789"));
    }
    if !spec.exclude_punctuation {
        classes.push(keep(PUNCTUATION));
    }
    let space = spec.include_space && !spec.exclude_characters.contains(' ');
    classes.retain(|c| !c.is_empty());
    let mut pool: Vec<char> = classes.iter().flatten().copied().collect();
    if space {
        pool.push(' ');
    }
    if pool.is_empty() {
        return Err("The password options exclude every character: there is nothing to generate a password from.".into());
    }
    let required = if spec.require_each_included_type { classes.len() } else { 0 };
    if spec.length < required {
        return Err(format!(
            "The password length {} is too short to include one character of each of the {required} required character types.",
            spec.length
        ));
    }
    let mut out: Vec<char> = (0..spec.length).map(|_| pool[below(pool.len())]).collect();
    if required > 0 {
        // One character of each type at distinct random positions.
        let mut positions: Vec<usize> = (0..spec.length).collect();
        for (i, class) in classes.iter().enumerate() {
            let j = i + below(positions.len() - i);
            positions.swap(i, j);
            out[positions[i]] = class[below(class.len())];
        }
    }
    Ok(out.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_have_every_type() {
        for _ in 0..50 {
            let p = generate(&PasswordSpec::default()).unwrap();
            assert_eq!(p.chars().count(), 32);
            assert!(p.chars().any(|c| c.is_ascii_lowercase()));
            assert!(p.chars().any(|c| c.is_ascii_uppercase()));
            assert!(p.chars().any(|c| c.is_ascii_digit()));
            assert!(p.chars().any(|c| PUNCTUATION.contains(c)));
            assert!(!p.contains(' '));
        }
        let p = generate(&PasswordSpec { length: 4, ..PasswordSpec::default() }).unwrap();
        assert_eq!(p.len(), 4);
        let p = generate(&PasswordSpec { length: 4096, ..PasswordSpec::default() }).unwrap();
        assert_eq!(p.len(), 4096);
    }

    #[test]
    fn exclusions_hold() {
        let spec = PasswordSpec {
            length: 200,
            exclude_characters: "xyzDje@?!.".into(),
            exclude_numbers: true,
            exclude_uppercase: false,
            ..PasswordSpec::default()
        };
        let p = generate(&spec).unwrap();
        assert!(!p.chars().any(|c| "xyzDje@?!.".contains(c) || c.is_ascii_digit()));
        let all = PasswordSpec {
            exclude_lowercase: true,
            exclude_uppercase: true,
            exclude_numbers: true,
            exclude_punctuation: true,
            ..PasswordSpec::default()
        };
        assert!(generate(&all).is_err());
        assert_eq!(generate(&PasswordSpec { include_space: true, ..all }).unwrap(), " ".repeat(32));
        assert!(generate(&PasswordSpec { length: 3, ..PasswordSpec::default() }).is_err());
    }
}
