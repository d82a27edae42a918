//! Navigation the modules declare: each module lists the sections of its pages per role (title,
//! address, one line of what they are for), and `lib.rs` gathers the lists. The frame renders
//! what it is given, so a new module adds its sections without touching `web`.

use std::sync::Arc;

use super::identity::Role;

/// A section of one role's pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Section {
    pub role: Role,
    pub href: &'static str,
    pub title: &'static str,
    pub about: &'static str,
}

/// Every module's sections, in the order given (app data).
#[derive(Clone, Debug, Default)]
pub struct Navigation(Arc<Vec<Section>>);

impl Navigation {
    pub fn new<'a>(lists: impl IntoIterator<Item = &'a [Section]>) -> Navigation {
        Navigation(Arc::new(lists.into_iter().flatten().copied().collect()))
    }

    /// The sections of one role's pages.
    pub fn of(&self, role: Role) -> Vec<Section> {
        self.0.iter().filter(|s| s.role == role).copied().collect()
    }
}
