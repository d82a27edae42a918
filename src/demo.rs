//! Demo data for a new installation: one user per role, with passwords made up for this
//! installation and shown once (and kept in `<data dir>/demo-logins.txt`, readable by its owner only).

use std::path::Path;

use rand::Rng;

use crate::accounts::{AccountError, Accounts, PersonalData, Registration, Role};

pub struct DemoLogin {
    pub role: Role,
    pub email: String,
    /// None when the user existed already (its password was left alone).
    pub password: Option<String>,
}

impl std::fmt::Display for DemoLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.password {
            Some(pw) => write!(f, "demo {}: {} {}", self.role.as_str(), self.email, pw),
            None => write!(f, "demo {}: {} (exists already; password unchanged)", self.role.as_str(), self.email),
        }
    }
}

/// Three groups of five letters and digits: about 77 random bits, easy to type.
fn new_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    let group = |rng: &mut rand::rngs::ThreadRng| -> String {
        (0..5).map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])).collect()
    };
    format!("{}-{}-{}", group(&mut rng), group(&mut rng), group(&mut rng))
}

fn demo_person(role: Role) -> PersonalData {
    let (name, street) = match role {
        Role::Shopper => ("Sam Shopper", "12 Market Street"),
        Role::Salesperson => ("Sally Seller", "3 Commerce Road"),
        Role::Maker => ("Max Maker", "88 Factory Lane"),
        Role::Clerk => ("Clara Clerk", "5 Depot Square"),
        Role::Carrier => ("Carl Carrier", "41 Freight Avenue"),
        Role::Pickup => ("Paula Pickup", "7 Corner Shop Row"),
        Role::Admin => ("Ada Admin", "1 Operations Court"),
    };
    PersonalData {
        full_name: name.into(),
        postal_address: format!("{street}\n10115 Sampletown"),
        phone: "+1 555 0100 200".into(),
    }
}

/// Creates the demo users that do not exist yet.
pub async fn seed(accounts: &Accounts) -> anyhow::Result<Vec<DemoLogin>> {
    let mut logins = Vec::new();
    for role in Role::ALL {
        let email = format!("{}@demo.example.com", role.as_str());
        let password = new_password();
        let form = Registration {
            email: email.clone(),
            password: password.clone(),
            password_again: password.clone(),
            personal: demo_person(role),
        };
        match accounts.create(form, vec![role]).await {
            Ok(_) => logins.push(DemoLogin { role, email, password: Some(password) }),
            Err(AccountError::Invalid(errors)) if errors.has("email") => {
                logins.push(DemoLogin { role, email, password: None })
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(logins)
}

/// Keeps the logins where the operator can find them again.
pub fn save(data_dir: &Path, logins: &[DemoLogin]) -> std::io::Result<()> {
    let fresh: Vec<String> = logins.iter().filter(|l| l.password.is_some()).map(ToString::to_string).collect();
    if fresh.is_empty() {
        return Ok(());
    }
    crate::config::write_private_file(&data_dir.join("demo-logins.txt"), &(fresh.join("\n") + "\n"))
}
