//! Form errors shown next to their fields.

use std::collections::BTreeMap;

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

    /// Ok when there is nothing to complain about.
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}
