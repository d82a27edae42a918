//! Navigation the modules declare: each module lists the sections of its pages per role (title,
//! address, one line of what they are for), and `lib.rs` gathers the lists. The frame renders
//! what it is given, so a new module adds its sections without touching `web`.

use std::sync::Arc;

use super::identity::{Identity, Role};
use crate::db::DbConnection;
use crate::error::AppError;

/// A section of one role's pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Section {
    pub role: Role,
    pub href: &'static str,
    pub title: &'static str,
    pub about: &'static str,
}

/// A figure on a role's start page: "Orders to confirm: 3".
#[derive(Clone, Debug)]
pub struct Figure {
    pub label: String,
    pub value: String,
    /// Where the figure's details are.
    pub href: Option<String>,
    /// Worth a look now (orders waiting, mail failed): shown marked.
    pub attention: bool,
}

impl Figure {
    pub fn new(label: impl Into<String>, value: impl ToString) -> Figure {
        Figure { label: label.into(), value: value.to_string(), href: None, attention: false }
    }

    pub fn link(self, href: impl Into<String>) -> Figure {
        Figure { href: Some(href.into()), ..self }
    }

    pub fn attention(self, when: bool) -> Figure {
        Figure { attention: when, ..self }
    }
}

/// A group of figures a module shows on a role's start page, with a chart if it has one.
#[derive(Clone, Debug)]
pub struct Panel {
    pub title: String,
    pub figures: Vec<Figure>,
    /// SVG markup from `web::chart`, and a sentence saying what it shows.
    pub chart: Option<(String, String)>,
}

/// Reads a module's panel for the user on a start page (None: nothing to show them).
pub type PanelSource = fn(&mut DbConnection, &Identity) -> Result<Option<Panel>, AppError>;

/// A module's panel on one role's start page.
#[derive(Clone, Copy)]
pub struct PanelOf {
    pub role: Role,
    pub source: PanelSource,
}

impl std::fmt::Debug for PanelOf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PanelOf").field("role", &self.role).finish_non_exhaustive()
    }
}

/// Every module's sections and panels, in the order given (app data).
#[derive(Clone, Debug, Default)]
pub struct Navigation {
    sections: Arc<Vec<Section>>,
    panels: Arc<Vec<PanelOf>>,
}

impl Navigation {
    pub fn new<'a>(lists: impl IntoIterator<Item = &'a [Section]>) -> Navigation {
        Navigation { sections: Arc::new(lists.into_iter().flatten().copied().collect()), panels: Arc::default() }
    }

    /// With the modules' panels of figures, in this order.
    pub fn with_panels<'a>(self, lists: impl IntoIterator<Item = &'a [PanelOf]>) -> Navigation {
        Navigation { panels: Arc::new(lists.into_iter().flatten().copied().collect()), ..self }
    }

    /// The sections of one role's pages.
    pub fn of(&self, role: Role) -> Vec<Section> {
        self.sections.iter().filter(|s| s.role == role).copied().collect()
    }

    /// The panels of one role's start page, read for `user`.
    pub fn panels(&self, conn: &mut DbConnection, role: Role, user: &Identity) -> Result<Vec<Panel>, AppError> {
        let mut out = Vec::new();
        for panel in self.panels.iter().filter(|p| p.role == role) {
            out.extend((panel.source)(conn, user)?);
        }
        Ok(out)
    }
}
