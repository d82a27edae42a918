//! Short codes that people read aloud or type: check IDs, order numbers. Crockford's base 32
//! (no I, L, O, U), in groups joined by dashes, typed back in any case, with or without dashes.

use rand::Rng;

/// Letters and digits that cannot be mistaken for one another when read aloud or typed.
const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A new code of `groups` groups of `per_group` characters: 5 random bits per character.
pub fn random(groups: usize, per_group: usize) -> String {
    let mut rng = rand::rng();
    let raw: String = (0..groups * per_group).map(|_| char::from(ALPHABET[rng.random_range(0..32)])).collect();
    grouped(&raw, per_group)
}

/// A code as typed (any case, dashes or spaces anywhere, O for 0, I or L for 1) in its stored
/// form, or None when it cannot be a code of this shape.
pub fn normalize(input: &str, groups: usize, per_group: usize) -> Option<String> {
    if input.len() > 4 * groups * per_group {
        return None;
    }
    let raw: String = input
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\t'))
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect();
    let ok = raw.len() == groups * per_group && raw.bytes().all(|b| ALPHABET.contains(&b));
    ok.then(|| grouped(&raw, per_group))
}

fn grouped(raw: &str, per_group: usize) -> String {
    let chunks: Vec<&str> =
        raw.as_bytes().chunks(per_group).map(|c| std::str::from_utf8(c).unwrap_or_default()).collect();
    chunks.join("-")
}

/// A hex SHA-256 over the shop's secret key, a label and parts, each separated: secrets derived
/// from a form's key (a double submit finds the same private link) and hashes of secrets.
pub fn keyed_hash(secret: &[u8], label: &str, parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new().chain_update(secret).chain_update([0]).chain_update(label);
    for p in parts {
        h.update([0]);
        h.update(p.as_bytes());
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_back_however_typed() {
        let code = random(2, 5);
        assert_eq!(code.len(), 11);
        assert_eq!(normalize(&code.to_lowercase().replace('-', " "), 2, 5).as_deref(), Some(code.as_str()));
        assert_eq!(normalize("ab1o-IL23", 2, 4).as_deref(), Some("AB10-1123"));
        assert_eq!(normalize("AB10-112", 2, 4), None);
        assert_eq!(normalize("AB10-112U", 2, 4), None);
        assert_eq!(normalize(&"A".repeat(1000), 2, 4), None);
    }
}
