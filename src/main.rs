//! The `shop` command: serve the shop (the default), migrate, seed demo data, create an admin.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use shop::config::{Config, Settings};

#[derive(Parser)]
#[command(name = "shop", version, about = "A self-hostable web shop for small businesses")]
struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the shop (the default). Applies migrations first; seeds demo data on a first start.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create the demo users (one per role) that do not exist yet, print their logins, and add
    /// demo products (300 into an empty catalog, or exactly N with --products N), and, when asked, a
    /// sales history and purchase requests at scale.
    SeedDemo {
        /// Generate this many products (deterministic: the same database gets the same catalog).
        #[arg(long)]
        products: Option<usize>,
        /// Add this many sales to the sales history, spread over the last 365 days (for analytics).
        #[arg(long, default_value_t = 0)]
        sales: usize,
        /// Add this many purchase requests to the preference store, over the last 365 days.
        #[arg(long, default_value_t = 0)]
        requests: usize,
    },
    /// Write a consistent copy of the running shop's SQLite database to FILE (a new file, readable
    /// by its owner only), and check it. The shop may go on serving meanwhile.
    Backup { file: std::path::PathBuf },
    /// Replace the SQLite database with the copy in FILE, after checking it. Refused while a shop
    /// (or any other command) has the database open; the replaced files are kept beside it.
    Restore { file: std::path::PathBuf },
    /// Create an administrator, or make an existing user one and set their password.
    /// The password is read from SHOP_ADMIN_PASSWORD or asked for on the terminal, never from argv.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Administrator")]
        name: String,
    },
}

#[actix_web::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    shop::init_logging(&cli.settings.log);
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::from_settings(cli.settings)?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            shop::open_database(&config)?;
            println!("The database is up to date.");
            Ok(())
        }
        Command::SeedDemo { products, sales, requests } => {
            let (db, _) = shop::open_database(&config)?;
            let accounts = shop::accounts(&db, &config)?;
            let logins = shop::demo::seed(&accounts).await?;
            print_logins(&config, &logins)?;
            shop::demo::seed_echeck(&accounts).await?;
            shop::demo::seed_orders(&accounts).await?;
            let empty = shop::catalog::kinds(&mut *db.pool_connection()?)?.is_empty();
            let count = products.unwrap_or(if empty { shop::demo::DEMO_PRODUCTS } else { 0 });
            if count > 0 {
                let started = std::time::Instant::now();
                let (p, o) = shop::demo::seed_catalog(&accounts, &config.currency, count).await?;
                eprintln!("added {p} products with {o} offers in {:.1} s", started.elapsed().as_secs_f64());
            }
            shop::demo::seed_collection(&accounts, &config.currency).await?;
            shop::demo::seed_buyback(&accounts, &config.currency, config.public_url.as_str()).await?;
            if sales > 0 || requests > 0 {
                let started = std::time::Instant::now();
                let (s, r) = shop::demo::seed_history(&accounts, &config.currency, sales, requests).await?;
                eprintln!("added {s} sales and {r} purchase requests in {:.1} s", started.elapsed().as_secs_f64());
            }
            Ok(())
        }

        Command::Backup { file } => {
            let facts = shop::db::backup::backup(&config.database_url, &file)?;
            println!(
                "Backed up to {} ({:.1} MB, {} migrations; integrity check ok).",
                file.display(),
                facts.bytes as f64 / 1e6,
                facts.migrations
            );
            Ok(())
        }
        Command::Restore { file } => {
            let restored = shop::db::backup::restore(&config.database_url, &file)?;
            println!("Restored {} ({:.1} MB; integrity check ok).", file.display(), restored.facts.bytes as f64 / 1e6);
            if let Some(kept) = restored.kept {
                println!("The database it replaced is kept as {}.", kept.display());
            }
            println!("Start the shop as usual: it applies any migration the copy lacks.");
            Ok(())
        }
        Command::CreateAdmin { email, name } => {
            let (db, _) = shop::open_database(&config)?;
            let password = admin_password()?;
            let (_, created) =
                shop::accounts(&db, &config)?.create_admin(&email, &name, password).await.map_err(explain)?;
            if created {
                println!("Created administrator {email}.");
            } else {
                println!("{email} existed: it is now an administrator with the new password; its sessions have ended.");
            }
            Ok(())
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let data_dir = config.data_dir.clone();
    // With the default public URL, show the port actually bound (SHOP_ADDR may ask for port 0).
    let default_public = format!("http://{}/", config.addr);
    let public_url = config.public_url.to_string();
    let app = shop::build(config).await?;
    let shown = if public_url == default_public { format!("http://{}/", app.addr()) } else { public_url };
    println!("The shop is running at {shown}");

    if !app.demo_logins().is_empty() {
        shop::demo::save(&data_dir, app.demo_logins(), app.demo_cards()).context("cannot save the demo logins")?;
        let file = data_dir.join("demo-logins.txt");
        let lines =
            app.demo_logins().iter().map(ToString::to_string).chain(app.demo_cards().iter().map(ToString::to_string));
        show_secrets(&format!("Demo logins (also in {}):", file.display()), &file, lines);
    }
    app.run().await.context("the server stopped with an error")
}

fn print_logins(config: &Config, logins: &[shop::DemoLogin]) -> anyhow::Result<()> {
    shop::demo::save(&config.data_dir, logins, &[])?;
    let file = config.data_dir.join("demo-logins.txt");
    show_secrets("Demo logins:", &file, logins.iter().map(ToString::to_string));
    Ok(())
}

/// Passwords and card codes go to a person at a terminal, never to a log: when the output is
/// captured (a service manager, a pipe), it only says where the owner-only file is.
fn show_secrets(title: &str, file: &std::path::Path, lines: impl Iterator<Item = String>) {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() {
        println!("{title}");
        for line in lines {
            println!("{line}");
        }
    } else {
        println!("The demo logins are in {} (readable by its owner only).", file.display());
    }
}

fn admin_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("SHOP_ADMIN_PASSWORD") {
        return Ok(password);
    }
    let first = rpassword::prompt_password("Password for the administrator: ")?;
    let again = rpassword::prompt_password("The same password again: ")?;
    anyhow::ensure!(first == again, "the two passwords differ");
    Ok(first)
}

fn explain(e: shop::accounts::AccountError) -> anyhow::Error {
    match e {
        shop::accounts::AccountError::Invalid(errors) => {
            let parts: Vec<&str> =
                ["email", "password"].into_iter().map(|f| errors.get(f)).filter(|m| !m.is_empty()).collect();
            anyhow::anyhow!(parts.join(" "))
        }
        other => other.into(),
    }
}
