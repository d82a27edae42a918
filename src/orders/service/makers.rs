//! Makers as the order flow knows them: whether their goods need their approval, and who acts for them.

use chrono::NaiveDateTime;

use super::super::model::*;
use super::super::repo;
use super::{OrderError, Result, invalid};
use crate::accounts::{self, User, UserId};
use crate::db::DbConnection;

// ---- makers ----

/// Who acts for which maker.
pub type MakerStaff = Vec<(User, String)>;

/// The makers known to the order flow and who acts for them.
pub fn makers(conn: &mut DbConnection) -> Result<(Vec<Maker>, MakerStaff)> {
    let makers = repo::makers(conn)?;
    let acting = repo::maker_staff(conn)?;
    let mut users = accounts::users_of(conn, &acting.iter().map(|(u, _)| u.clone()).collect::<Vec<_>>())?;
    let staff = acting
        .into_iter()
        .filter_map(|(id, maker)| {
            let at = users.iter().position(|u| u.id == id)?;
            Some((users.swap_remove(at), maker))
        })
        .collect();
    Ok((makers, staff))
}

/// Sets whether a maker's goods need its approval of each order (the name as products spell it).
pub fn set_maker(conn: &mut DbConnection, name: &str, requires_approval: bool, at: NaiveDateTime) -> Result<()> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(invalid("name", "Enter the maker's name as its products give it."));
    }
    repo::put_maker(conn, &Maker { name: name.to_owned(), requires_approval, updated_at: at })?;
    Ok(())
}

/// Lets a user with the maker role act for a maker.
pub fn add_maker_staff(conn: &mut DbConnection, maker: &str, email: &str, at: NaiveDateTime) -> Result<()> {
    let user = accounts::find_user_by_email(conn, email)?
        .ok_or_else(|| invalid("email", "No user has this e-mail address."))?;
    if !user.has_role(accounts::Role::Maker) {
        return Err(invalid("email", "This user does not have the maker role. Grant it first."));
    }
    if !repo::makers(conn)?.iter().any(|m| m.name == maker) {
        return Err(OrderError::NotFound);
    }
    repo::put_maker_staff(conn, &user.id, maker, at)?;
    Ok(())
}

pub fn remove_maker_staff(conn: &mut DbConnection, user: &UserId) -> Result<()> {
    repo::delete_maker_staff(conn, user)?;
    Ok(())
}
