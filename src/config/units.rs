//! How config values are spelled: yes/no, integers, memory sizes with units.
//!
//! Owns: parsing those spellings as Redis 7.0 reads them, and writing a byte count back in the
//! shortest unit CONFIG REWRITE uses. Pure functions.

use crate::commands::args::parse_i64;

/// Reads `yes` or `no`, any case.
pub fn parse_yes_no(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("yes") {
        Some(true)
    } else if s.eq_ignore_ascii_case("no") {
        Some(false)
    } else {
        None
    }
}

/// Reads a plain integer with Redis's strict rules: no sign but `-`, no spaces, no leading zeros.
pub fn parse_int(s: &str) -> Option<i64> {
    parse_i64(s.as_bytes())
}

/// Reads a size in bytes: digits then an optional unit, `b`, `k` (1000), `kb` (1024), `m`, `mb`,
/// `g` or `gb`, any case. Negative numbers and overflow are rejected.
pub fn parse_memory(s: &str) -> Option<u64> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = s.split_at(digits);
    let mul: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if number.is_empty() {
        return None;
    }
    number.parse::<u64>().ok()?.checked_mul(mul)
}

/// Writes a byte count the way CONFIG REWRITE does: in `gb`, `mb` or `kb` when it divides
/// evenly, else in bytes.
pub fn format_memory(bytes: i64) -> String {
    const KB: i64 = 1024;
    const MB: i64 = 1024 * KB;
    const GB: i64 = 1024 * MB;
    if bytes != 0 && bytes % GB == 0 {
        format!("{}gb", bytes / GB)
    } else if bytes != 0 && bytes % MB == 0 {
        format!("{}mb", bytes / MB)
    } else if bytes != 0 && bytes % KB == 0 {
        format!("{}kb", bytes / KB)
    } else {
        bytes.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yes_no_ignores_case_and_rejects_anything_else() {
        assert_eq!(parse_yes_no("YES"), Some(true));
        assert_eq!(parse_yes_no("no"), Some(false));
        assert_eq!(parse_yes_no("1"), None);
        assert_eq!(parse_yes_no("true"), None);
    }

    #[test]
    fn integers_are_strict() {
        assert_eq!(parse_int("-2"), Some(-2));
        assert_eq!(parse_int("0"), Some(0));
        assert_eq!(parse_int("+1"), None);
        assert_eq!(parse_int("01"), None);
        assert_eq!(parse_int(" 1"), None);
        assert_eq!(parse_int("1k"), None);
    }

    #[test]
    fn memory_units_follow_redis_k_is_1000_kb_is_1024() {
        assert_eq!(parse_memory("100"), Some(100));
        assert_eq!(parse_memory("5b"), Some(5));
        assert_eq!(parse_memory("1k"), Some(1000));
        assert_eq!(parse_memory("1kb"), Some(1024));
        assert_eq!(parse_memory("1M"), Some(1_000_000));
        assert_eq!(parse_memory("1mB"), Some(1 << 20));
        assert_eq!(parse_memory("2g"), Some(2_000_000_000));
        assert_eq!(parse_memory("2GB"), Some(2 << 30));
    }

    #[test]
    fn memory_rejects_signs_unknown_units_and_overflow() {
        assert_eq!(parse_memory("-1"), None);
        assert_eq!(parse_memory("1x"), None);
        assert_eq!(parse_memory("1 mb"), None);
        assert_eq!(parse_memory("mb"), None);
        assert_eq!(parse_memory(""), None);
        assert_eq!(parse_memory("99999999999999999999gb"), None);
    }

    #[test]
    fn rewrite_uses_the_largest_unit_that_divides() {
        assert_eq!(format_memory(0), "0");
        assert_eq!(format_memory(1000), "1000");
        assert_eq!(format_memory(4096), "4kb");
        assert_eq!(format_memory(512 << 20), "512mb");
        assert_eq!(format_memory(1 << 30), "1gb");
    }
}
