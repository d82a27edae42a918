//! Pure rules of accounts: what a valid e-mail, password and set of personal data are, and when a
//! session has run out. No database here.

use std::time::Duration;

use chrono::NaiveDateTime;

use crate::web::forms::FieldErrors;

/// Name, address and phone: the personal data the shop holds. Its `Debug` never prints them, so
/// they cannot slip into a log line.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct PersonalData {
    pub full_name: String,
    pub postal_address: String,
    pub phone: String,
}

impl std::fmt::Debug for PersonalData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonalData([redacted])")
    }
}

/// A registration or profile form, checked: what `rules` hands to the service.
#[derive(Clone)]
pub struct ValidRegistration {
    pub email: String,
    pub personal: PersonalData,
}

/// Its personal data never reaches a log line.
impl std::fmt::Debug for ValidRegistration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValidRegistration").finish_non_exhaustive()
    }
}

pub const MIN_PASSWORD_CHARS: usize = 10;
/// Long enough for any passphrase, short enough that hashing it costs nothing extra.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// E-mail addresses compare without case and surrounding spaces.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub fn check_email(email: &str) -> Result<(), &'static str> {
    if email.is_empty() {
        return Err("Enter your e-mail address.");
    }
    if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("This does not look like an e-mail address.");
    }
    match email.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                // The mailer's own parser: an address it would refuse cannot be registered.
                && email.parse::<lettre::Address>().is_ok() =>
        {
            Ok(())
        }
        _ => Err("This does not look like an e-mail address (name@example.com)."),
    }
}

/// "s…@example.com": the first letter of the local part and the domain.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => format!("{}…@{domain}", local.chars().next().unwrap_or('?')),
        None => "…".into(),
    }
}

pub fn check_password(password: &str, email: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!("Use at least {MIN_PASSWORD_CHARS} characters."));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(format!("Use at most {MAX_PASSWORD_BYTES} bytes."));
    }
    if !email.is_empty() && normalize_email(password) == email {
        return Err("Your password must not be your e-mail address.".into());
    }
    Ok(())
}

fn check_text(value: &str, max: usize, what: &str, multiline: bool) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err(format!("Enter your {what}."));
    }
    if value.chars().count() > max {
        return Err(format!("Your {what} is too long (at most {max} characters)."));
    }
    if let Some(c) = crate::web::forms::hidden_character(value, multiline) {
        return Err(format!(
            "Your {what} contains a character that does not show (U+{:04X}). Type it again without it.",
            u32::from(c)
        ));
    }
    Ok(())
}

pub fn check_phone(phone: &str) -> Result<(), &'static str> {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let allowed = phone.chars().all(|c| c.is_ascii_digit() || " +-()./".contains(c));
    if phone.trim().is_empty() {
        Err("Enter your phone number.")
    } else if !allowed || !(5..=20).contains(&digits) {
        Err("Enter a phone number of 5 to 20 digits (spaces, +, -, ( ) allowed).")
    } else {
        Ok(())
    }
}

/// Checks the personal data fields, adding a message per bad field.
pub fn check_personal(personal: &PersonalData, errors: &mut FieldErrors) {
    if let Err(e) = check_text(&personal.full_name, 200, "full name", false) {
        errors.add("full_name", e);
    }
    if let Err(e) = check_text(&personal.postal_address, 500, "postal address", true) {
        errors.add("postal_address", e);
    }
    if let Err(e) = check_phone(&personal.phone) {
        errors.add("phone", e);
    }
}

/// A delivery address as typed: the same checks as the postal address.
pub fn check_address(address: &str) -> Result<(), String> {
    check_text(address, 500, "delivery address", true)
}

/// Text compared the way people mean it: case, and runs of spaces and line breaks, do not count.
fn loose(text: &str) -> String {
    text.split_whitespace().map(str::to_lowercase).collect::<Vec<_>>().join(" ")
}

/// A phone number's digits only ("+1 (555) 010-0200" is "15550100200").
fn digits(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

/// Whether personal data given now names the same person as the data registered: compared after
/// ignoring case, spacing and the punctuation of phone numbers. All three must match.
pub fn same_person(registered: &PersonalData, given: &PersonalData) -> bool {
    let phone = digits(&given.phone);
    !phone.is_empty()
        && loose(&registered.full_name) == loose(&given.full_name)
        && loose(&registered.postal_address) == loose(&given.postal_address)
        && digits(&registered.phone) == phone
}

/// What someone gives to show they bought an order (buy-back, seed 000 claim 3): the full name
/// with the phone or with the postal code of the address registered; both may be given.
#[derive(Clone, Default)]
pub struct BuyerProof {
    pub full_name: String,
    pub phone: String,
    pub postal_code: String,
}

impl std::fmt::Debug for BuyerProof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BuyerProof([redacted])")
    }
}

/// A postal code as typed, compared without case, spaces or dashes: "sw1a 1aa" is "SW1A1AA".
fn postal_key(text: &str) -> String {
    text.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect()
}

/// Whether the address holds this postal code: a whole run of adjacent words with digits in
/// them ("10115" in "10115 Berlin", "SW1A 1AA" in "London SW1A 1AA", never half of it), or such a
/// run with the word after it ("1234 AB Amsterdam"). A code has at least 3 characters and a digit.
pub fn address_has_postal_code(address: &str, code: &str) -> bool {
    let code = postal_key(code);
    if code.len() < 3 || !code.chars().any(|c| c.is_ascii_digit()) {
        return false;
    }
    // A numeric code is one word ("Hauptstr. 5 10115 Berlin"); others are looked for in runs
    // within each line or comma-separated part.
    if code.chars().all(|c| c.is_ascii_digit()) {
        return address.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| w == code);
    }
    address.split([',', ';', '\n']).any(|part| part_has_postal_code(part, &code))
}

fn part_has_postal_code(part: &str, code: &str) -> bool {
    let words: Vec<String> =
        part.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).map(postal_key).collect();
    let has_digit = |w: &String| w.chars().any(|c| c.is_ascii_digit());
    let mut start = 0;
    while start < words.len() {
        if !has_digit(&words[start]) {
            start += 1;
            continue;
        }
        let end = (start..words.len()).find(|&i| !has_digit(&words[i])).unwrap_or(words.len());
        let run = words[start..end].concat();
        if run == code || words.get(end).is_some_and(|next| format!("{run}{next}") == code) {
            return true;
        }
        start = end;
    }
    false
}

/// Whether a proof names the person registered: the full name, and the phone or the postal code
/// (each one given must match; at least one must be given).
pub fn proves_buyer(registered: &PersonalData, proof: &BuyerProof) -> bool {
    let phone = digits(&proof.phone);
    let postal = proof.postal_code.trim();
    let phone_ok = phone.is_empty() || digits(&registered.phone) == phone;
    let postal_ok = postal.is_empty() || address_has_postal_code(&registered.postal_address, postal);
    let named = !loose(&proof.full_name).is_empty();
    let with_contact = !phone.is_empty() || !postal.is_empty();
    named && with_contact && loose(&registered.full_name) == loose(&proof.full_name) && phone_ok && postal_ok
}

/// Personal data as stored: surrounding spaces dropped, line ends unified.
pub fn tidy_personal(personal: &PersonalData) -> PersonalData {
    PersonalData {
        full_name: personal.full_name.trim().to_owned(),
        postal_address: personal.postal_address.trim().replace("\r\n", "\n"),
        phone: personal.phone.trim().to_owned(),
    }
}

/// Checks a registration form. Every bad field gets its own message.
pub fn check_registration(
    email: &str,
    password: &str,
    password_again: &str,
    personal: &PersonalData,
) -> Result<ValidRegistration, FieldErrors> {
    let email = normalize_email(email);
    let mut errors = FieldErrors::new();
    if let Err(e) = check_email(&email) {
        errors.add("email", e);
    }
    if let Err(e) = check_password(password, &email) {
        errors.add("password", e);
    } else if password != password_again {
        errors.add("password_again", "The two passwords differ.");
    }
    let personal = tidy_personal(personal);
    check_personal(&personal, &mut errors);
    errors.into_result()?;
    Ok(ValidRegistration { email, personal })
}

/// Whether a session is over: idle too long, or older than the absolute limit.
pub fn session_expired(
    created_at: NaiveDateTime,
    last_seen_at: NaiveDateTime,
    now: NaiveDateTime,
    idle: Duration,
    absolute: Duration,
) -> bool {
    let idle = chrono::Duration::from_std(idle).unwrap_or(chrono::Duration::MAX);
    let absolute = chrono::Duration::from_std(absolute).unwrap_or(chrono::Duration::MAX);
    now - last_seen_at > idle || now - created_at > absolute
}

/// Recording every request's time would make each read a write; a minute's precision is plenty
/// for an idle timeout counted in tens of minutes.
pub fn session_needs_touch(last_seen_at: NaiveDateTime, now: NaiveDateTime) -> bool {
    now - last_seen_at > chrono::Duration::seconds(60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_is_masked_to_its_first_letter_and_domain() {
        assert_eq!(mask_email("sam@example.com"), "s…@example.com");
        assert_eq!(mask_email("x@y.org"), "x…@y.org");
        assert_eq!(mask_email("no-at-sign"), "…");
    }

    fn personal() -> PersonalData {
        PersonalData {
            full_name: "Ada Lovelace".into(),
            postal_address: "1 Analytical Way\nLondon".into(),
            phone: "+44 20 7946 0000".into(),
        }
    }

    #[test]
    fn emails_are_compared_without_case_or_spaces() {
        assert_eq!(normalize_email("  Ada@Example.COM "), "ada@example.com");
    }

    #[test]
    fn addresses_the_mailer_refuses_are_refused() {
        for bad in ["a\"b@example.com", "(x)@example.com", "ada@exa mple.com", "ada@-example.com"] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
        assert!(check_email("ada.lovelace+shop@example.co.uk").is_ok());
    }

    #[test]
    fn email_shapes() {
        assert!(check_email("ada@example.com").is_ok());
        for bad in ["", "ada", "ada@", "@example.com", "ada@example", "a b@example.com", "ada@@example.com", "ada@.com"]
        {
            assert!(check_email(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn passwords_need_length_and_must_differ_from_email() {
        assert!(check_password("short", "a@b.cc").is_err());
        assert!(check_password("long enough pass", "a@b.cc").is_ok());
        assert!(check_password("Ada@Example.com", "ada@example.com").is_err());
        assert!(check_password(&"x".repeat(MAX_PASSWORD_BYTES + 1), "a@b.cc").is_err());
        // Ten characters, not ten bytes: a passphrase in any script counts the same.
        assert!(check_password("ääääääääää", "a@b.cc").is_ok());
    }

    #[test]
    fn phones() {
        assert!(check_phone("+44 (20) 7946-0000").is_ok());
        assert!(check_phone("123").is_err());
        assert!(check_phone("call me maybe").is_err());
    }

    #[test]
    fn registration_reports_every_bad_field() {
        let bad = PersonalData { full_name: " ".into(), postal_address: "".into(), phone: "x".into() };
        let errors = check_registration("nope", "short", "short", &bad).expect_err("must fail");
        for field in ["email", "password", "full_name", "postal_address", "phone"] {
            assert!(errors.has(field), "no message for {field}");
        }
        let errors = check_registration("ada@example.com", "long enough pass", "other pass!", &personal())
            .expect_err("must fail");
        assert!(errors.has("password_again"));
        let ok =
            check_registration(" Ada@Example.com", "long enough pass", "long enough pass", &personal()).expect("valid");
        assert_eq!(ok.email, "ada@example.com");
    }

    #[test]
    fn control_characters_are_refused_but_address_lines_are_kept() {
        let mut p = personal();
        p.full_name = "Ada\u{0}".into();
        let mut errors = FieldErrors::new();
        check_personal(&p, &mut errors);
        assert!(errors.has("full_name") && !errors.has("postal_address"));
        for hidden in ["Ada\u{202E}gpj.exe", "\u{FEFF}Ada", "Ada\u{200B}Lovelace"] {
            p.full_name = hidden.into();
            p.postal_address = format!("1 Road\n{hidden}");
            let mut errors = FieldErrors::new();
            check_personal(&p, &mut errors);
            assert!(errors.has("full_name") && errors.has("postal_address"), "{hidden:?}");
        }
        p.full_name = "\u{645}\u{200C}\u{6CC}".into(); // a Persian name with its zero-width non-joiner
        p.postal_address = "1 Road\r\nTown".into();
        let mut errors = FieldErrors::new();
        check_personal(&p, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn sessions_expire_when_idle_or_old() {
        let t0 = chrono::DateTime::from_timestamp(1_700_000_000, 0).expect("time").naive_utc();
        let idle = Duration::from_secs(30 * 60);
        let absolute = Duration::from_secs(12 * 3600);
        let at = |mins: i64| t0 + chrono::Duration::minutes(mins);
        assert!(!session_expired(t0, at(29), at(30), idle, absolute));
        assert!(session_expired(t0, at(0), at(31), idle, absolute));
        assert!(!session_expired(t0, at(12 * 60 - 1), at(12 * 60), idle, absolute));
        assert!(session_expired(t0, at(12 * 60), at(12 * 60 + 1), idle, absolute));
        assert!(!session_needs_touch(at(0), at(1)));
        assert!(session_needs_touch(at(0), at(2)));
    }
}

#[cfg(test)]
mod person_tests {
    use super::*;

    fn person(name: &str, address: &str, phone: &str) -> PersonalData {
        PersonalData { full_name: name.into(), postal_address: address.into(), phone: phone.into() }
    }

    #[test]
    fn the_same_person_however_written() {
        let registered = person("Ann Lee", "1 Test Street\nTestville", "+1 555 0100");
        assert!(same_person(&registered, &person(" ann  LEE ", "1 test street testville", "+1 (555) 01-00")));
        assert!(!same_person(&registered, &person("Ann Leigh", "1 Test Street\nTestville", "+1 555 0100")));
        assert!(!same_person(&registered, &person("Ann Lee", "2 Test Street\nTestville", "+1 555 0100")));
        assert!(!same_person(&registered, &person("Ann Lee", "1 Test Street\nTestville", "+1 555 0101")));
        assert!(!same_person(&person("", "", ""), &person("", "", "")));
    }

    #[test]
    fn a_buyer_is_known_by_name_with_phone_or_postal_code() {
        let registered = PersonalData {
            full_name: "Sam Shopper".into(),
            postal_address: "1 Test Street\nLondon SW1A 1AA".into(),
            phone: "+44 20 7946 0000".into(),
        };
        let proof = |name: &str, phone: &str, postal: &str| BuyerProof {
            full_name: name.into(),
            phone: phone.into(),
            postal_code: postal.into(),
        };
        assert!(proves_buyer(&registered, &proof(" sam  SHOPPER", "+44 (20) 7946-0000", "")));
        assert!(proves_buyer(&registered, &proof("Sam Shopper", "", "sw1a1aa")));
        assert!(proves_buyer(&registered, &proof("Sam Shopper", "", "SW1A 1AA")));
        assert!(!proves_buyer(&registered, &proof("Sam Shopper", "", "")), "a name alone proves nothing");
        assert!(!proves_buyer(&registered, &proof("Sam Shopper", "", "1AA")), "half a code is not the code");
        assert!(!proves_buyer(&registered, &proof("Sam Shopper", "", "1")), "the house number is not a code");
        assert!(!proves_buyer(&registered, &proof("Sam Shopper", "+44 20 7946 0001", "SW1A 1AA")), "both must match");
        assert!(!proves_buyer(&registered, &proof("Sam Shoppers", "+44 20 7946 0000", "")));
        assert!(address_has_postal_code("Hauptstr. 5, 10115 Berlin", "10115"));
        assert!(!address_has_postal_code("Hauptstr. 5, 10115 Berlin", "Berlin"), "a code has a digit");
        assert!(address_has_postal_code("Damrak 1, 1012 LG Amsterdam", "1012lg"));
    }
}
