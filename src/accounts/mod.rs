//! Accounts: users, their roles, their sessions and their personal data (the seeds' "user
//! information database"). Personal data lives here and nowhere else; other modules ask this
//! module's service for it.

mod identify;
mod model;
mod passwords;
mod repo;
mod reset;
mod routes;
pub mod rules;
mod service;
mod session_store;
mod signup;
mod views;

pub use identify::{AfterLogin, CurrentUser, LoginHooks, identify};
pub use model::{AccountEvent, DeliveryAddressId, PersonalData, Role, User, UserId, ValidRegistration};
pub use passwords::{PasswordError, Passwords};
pub use reset::{AccountMail, LINK_CLOSED, PASSWORD_RESET, ResetLetter, SendLetter, reset_jobs, reset_policy};
pub use routes::{BAD_LOGIN, configure};
pub use service::*;
pub use session_store::DbSessionStore;
pub use signup::{REGISTRATION, SIGNUP_LINK_CLOSED, registration_policy, signup_jobs};

use crate::web::nav::Section;

/// The figures this module shows on the start pages.
pub const PANELS: &[crate::web::nav::PanelOf] =
    &[crate::web::nav::PanelOf { role: Role::Admin, source: service::admin_panel }];

/// The accounts pages in the roles' navigation.
pub const SECTIONS: &[Section] = &[Section {
    role: Role::Admin,
    href: "/admin/users",
    title: "Users",
    about: "Find users, grant and revoke roles, suspend accounts.",
}];
