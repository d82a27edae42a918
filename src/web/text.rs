//! Small pieces of page text every module writes the same way.

/// "1 item", "3 items": a count with its noun in the right number.
pub fn count(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// "a" or "an" before a word, as it is spoken ("an ink cartridge", "a printer").
pub fn article(word: &str) -> &'static str {
    match word.trim_start().chars().next().map(|c| c.to_ascii_lowercase()) {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_articles() {
        assert_eq!(count(1, "item", "items"), "1 item");
        assert_eq!(count(0, "item", "items"), "0 items");
        assert_eq!(count(12, "offer", "offers"), "12 offers");
        assert_eq!(article("ink cartridge"), "an");
        assert_eq!(article("Printer"), "a");
        assert_eq!(article(""), "a");
    }
}
