//! Forms: the messages shown next to their fields, and how a handler with a form ends.

use std::collections::BTreeMap;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;

use crate::error::AppError;

/// The first character of `text` that would not show where it stands: a control character other
/// than the line breaks and tabs multi-line fields keep, a bidirectional control (U+202E turns
/// "gpj.exe" into "exe.jpg" on screen) or an invisible one (zero-width space, word joiner, the byte
/// order mark, the soft hyphen). The zero-width (non-)joiners stay: Persian and Indic names need them.
pub fn hidden_character(text: &str, multiline: bool) -> Option<char> {
    text.chars().find(|&c| {
        let line_break = multiline && matches!(c, '\n' | '\r' | '\t');
        (c.is_control() && !line_break)
            || matches!(
                c,
                '\u{00AD}'
                    | '\u{061C}'
                    | '\u{115F}'
                    | '\u{1160}'
                    | '\u{180E}'
                    | '\u{200B}'
                    | '\u{200E}'
                    | '\u{200F}'
                    | '\u{202A}'..='\u{202E}'
                    | '\u{2060}'..='\u{2064}'
                    | '\u{2066}'..='\u{2069}'
                    | '\u{3164}'
                    | '\u{FEFF}'
                    | '\u{FFA0}'
            )
    })
}

/// Messages keyed by field name. A form comes back with the values entered and these messages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a message for `field`; the first message for a field is the one shown.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        if !self.0.contains_key(field) {
            self.0.insert(field.to_owned(), message.into());
        }
    }

    /// A text field trimmed and checked: needed (when `required`), at most `max` characters, no
    /// character that does not show. Returns the trimmed text, to keep on the form either way.
    pub fn text(&mut self, field: &str, value: &str, max: usize, required: bool) -> String {
        let v = value.trim();
        if required && v.is_empty() {
            self.add(field, "This is needed.");
        } else if v.chars().count() > max {
            self.add(field, format!("At most {max} characters."));
        } else if let Some(c) = hidden_character(v, true) {
            self.add(field, format!("This contains a character that does not show (U+{:04X}).", u32::from(c)));
        }
        v.to_owned()
    }

    pub fn with(field: &str, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(field, message);
        errors
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The message for a field, or "" (templates show nothing then).
    pub fn get(&self, field: impl AsRef<str>) -> &str {
        self.0.get(field.as_ref()).map(String::as_str).unwrap_or("")
    }

    pub fn has(&self, field: impl AsRef<str>) -> bool {
        self.0.contains_key(field.as_ref())
    }

    /// Every message, in the order of the fields' names.
    pub fn messages(&self) -> Vec<&str> {
        self.0.values().map(String::as_str).collect()
    }

    /// Ok when there is nothing to complain about.
    /// Each field with its message.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}

/// Why a form comes back instead of going on: messages next to its fields (422), or a refusal of
/// the whole step shown above the form (409: the order's state, the stock, the credit did not
/// allow it). The form comes back with the values typed either way.
#[derive(Clone, Debug, Default)]
pub struct Rejection {
    pub errors: FieldErrors,
    pub refusal: Option<String>,
}

impl Rejection {
    pub fn fields(errors: FieldErrors) -> Self {
        Rejection { errors, refusal: None }
    }

    pub fn refused(message: impl Into<String>) -> Self {
        Rejection { errors: FieldErrors::new(), refusal: Some(message.into()) }
    }

    /// The status of the page that shows the form again.
    pub fn status(&self) -> StatusCode {
        if self.refusal.is_some() {
            StatusCode::CONFLICT
        } else if !self.errors.is_empty() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        }
    }
}

/// A module's error as a form sees it: a rejection to show with the form, or an error page.
pub trait FormError: Sized {
    fn rejection(self) -> Result<Rejection, AppError>;
}

/// How every handler with a form ends: on success `done` (a redirect, so a reload does not send
/// the form again), on a rejection the form again with the values typed (`again`), on anything
/// else the error page.
pub async fn ending<T, E: FormError>(
    result: Result<T, E>,
    done: impl AsyncFnOnce(T) -> Result<HttpResponse, AppError>,
    again: impl AsyncFnOnce(Rejection) -> Result<HttpResponse, AppError>,
) -> Result<HttpResponse, AppError> {
    match result {
        Ok(value) => done(value).await,
        Err(e) => again(e.rejection()?).await,
    }
}
