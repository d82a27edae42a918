//! The e-check site: the service API the orders module calls (issue, validate, demand payment,
//! void, expiry, delivery), its refusals, its races, and its pages.

use chrono::{Duration, NaiveDateTime};
use shop::echeck::{self, CheckState, EcheckError, IssueRequest, Movement, Party, Refusal};
use shop::web::idempotency::IdempotencyKey;

use crate::helpers::*;

fn request(buyer: &Person, office: &str, amount: i64, key: &str) -> IssueRequest {
    IssueRequest {
        buyer: buyer.id.clone(),
        office_code: office.into(),
        carrier_code: "FAST".into(),
        amount,
        currency: "EUR".into(),
        reference: format!("order {key}"),
        idempotency_key: IdempotencyKey::named(key),
    }
}

fn refusal<T: std::fmt::Debug>(result: Result<T, EcheckError>) -> Refusal {
    match result {
        Err(EcheckError::Refused(r)) => r,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn at(hours: i64) -> NaiveDateTime {
    echeck::now() + Duration::hours(hours)
}

/// A shopper with the default credit line (500.00), an office NORTH and a carrier FAST.
async fn setup() -> (TestApp, Person, echeck::Office) {
    let app = spawn_app().await;
    let office = app.office("NORTH");
    app.carrier("FAST");
    let buyer = app.shopper().await;
    (app, buyer, office)
}

#[tokio::test]
async fn a_check_is_issued_validated_and_paid_in_full() {
    let (app, buyer, office) = setup().await;
    let account = app.credit_account(&buyer.id);
    assert_eq!((account.balance, account.credit_line, account.held), (0, 50_000, 0), "opened at registration");

    let check = app.echeck(|c| echeck::issue(c, &request(&buyer, "north", 20_000, "k1"), at(0))).expect("issued");
    assert_eq!(check.code.len(), 14);
    assert_eq!(app.credit_account(&buyer.id).available(), 30_000);

    let id = office.id.clone();
    let code = check.code.clone();
    app.echeck(|c| echeck::validate(c, &code.to_lowercase().replace('-', ""), &id, 20_000, at(0))).expect("valid");
    assert_eq!(refusal(app.echeck(|c| echeck::validate(c, &code, &id, 19_999, at(0)))), Refusal::AmountMismatch);
    let other = app.office("SOUTH");
    assert_eq!(
        refusal(app.echeck(|c| echeck::validate(c, &code, &other.id, 20_000, at(0)))),
        Refusal::UnknownCheck,
        "another seller learns nothing about the check"
    );

    let paid = app.echeck(|c| echeck::demand_payment(c, &code, &id, None, None, at(1))).expect("paid");
    assert_eq!(paid.state_at(at(1)), CheckState::Paid);
    let account = app.credit_account(&buyer.id);
    assert_eq!((account.balance, account.held, account.available()), (-20_000, 0, 30_000));
    let seller = app.echeck(|c| echeck::account_of_office(c, &id)).expect("query").expect("office account");
    assert_eq!(seller.balance, 20_000);
    app.assert_books_balance();
}

#[tokio::test]
async fn a_partial_demand_gives_the_rest_back() {
    let (app, buyer, office) = setup().await;
    let check = app.echeck(|c| echeck::issue(c, &request(&buyer, "NORTH", 30_000, "k1"), at(0))).expect("issued");
    assert_eq!(
        refusal(app.echeck(|c| echeck::demand_payment(c, &check.code, &office.id, Some(30_001), None, at(0)))),
        Refusal::DemandTooLarge { amount: 30_000, currency: "EUR".into() }
    );
    let paid =
        app.echeck(|c| echeck::demand_payment(c, &check.code, &office.id, Some(12_000), None, at(0))).expect("paid");
    assert_eq!(paid.paid_amount, Some(12_000));
    let account = app.credit_account(&buyer.id);
    assert_eq!((account.balance, account.held, account.available()), (-12_000, 0, 38_000));
    app.assert_books_balance();
}

#[tokio::test]
async fn posting_and_voiding_happen_once_and_never_both() {
    let (app, buyer, office) = setup().await;
    let first = app.echeck(|c| echeck::issue(c, &request(&buyer, "NORTH", 1_000, "a"), at(0))).expect("issued");
    app.echeck(|c| echeck::demand_payment(c, &first.code, &office.id, None, None, at(0))).expect("paid");
    assert_eq!(
        refusal(app.echeck(|c| echeck::demand_payment(c, &first.code, &office.id, None, None, at(0)))),
        Refusal::CheckPaid
    );
    assert_eq!(
        refusal(app.echeck(|c| echeck::void(c, &first.code, Party::Office(&office.id), None, "too late", at(0)))),
        Refusal::CheckPaid,
        "no void after posting"
    );

    let second = app.echeck(|c| echeck::issue(c, &request(&buyer, "NORTH", 2_000, "b"), at(0))).expect("issued");
    app.echeck(|c| echeck::void(c, &second.code, Party::Buyer(&buyer.id), None, "order cancelled", at(0)))
        .expect("voided");
    assert_eq!(
        refusal(app.echeck(|c| echeck::void(c, &second.code, Party::Operator, None, "again", at(0)))),
        Refusal::CheckVoided
    );
    assert_eq!(
        refusal(app.echeck(|c| echeck::demand_payment(c, &second.code, &office.id, None, None, at(0)))),
        Refusal::CheckVoided
    );
    let stranger = app.shopper().await;
    let third = app.echeck(|c| echeck::issue(c, &request(&buyer, "NORTH", 3_000, "c"), at(0))).expect("issued");
    assert_eq!(
        refusal(app.echeck(|c| echeck::void(c, &third.code, Party::Buyer(&stranger.id), None, "mine?", at(0)))),
        Refusal::UnknownCheck
    );
    let account = app.credit_account(&buyer.id);
    assert_eq!((account.balance, account.held), (-1_000, 3_000));
    app.assert_books_balance();
}

#[tokio::test]
async fn an_expired_hold_is_released_at_once_and_then_by_the_worker() {
    let (app, buyer, office) = setup().await;
    let check = app.echeck(|c| echeck::issue(c, &request(&buyer, "NORTH", 45_000, "k"), at(0))).expect("issued");
    let hold_hours = app.echeck(echeck::settings).expect("settings").hold_hours as i64;
    let later = at(hold_hours + 1);

    // Before the worker runs, the hold already counts as released.
    let account = app.credit_account(&buyer.id);
    let overview =
        app.echeck(|c| echeck::overview(c, account, shop::web::pager::Pager::first(25), later)).expect("overview");
    assert_eq!((overview.held(), overview.available()), (0, 50_000));
    assert!(overview.open.is_empty());
    assert_eq!(
        refusal(app.echeck(|c| echeck::validate(c, &check.code, &office.id, 45_000, later))),
        Refusal::CheckExpired
    );
    assert_eq!(
        refusal(app.echeck(|c| echeck::demand_payment(c, &check.code, &office.id, None, None, later))),
        Refusal::CheckExpired
    );
    // A new check may use the credit: its credit check releases the lapsed hold first.
    let again = app.echeck(|c| echeck::issue(c, &request(&buyer, "NORTH", 45_000, "k2"), later)).expect("issued");
    assert_eq!(app.credit_account(&buyer.id).held, 45_000);

    // The worker releases what is left.
    let much_later = later + Duration::hours(hold_hours + 1);
    assert_eq!(app.echeck(|c| echeck::expire_due(c, much_later, 100)).expect("expired"), 1);
    assert_eq!(app.echeck(|c| echeck::expire_due(c, much_later, 100)).expect("nothing left"), 0);
    let gone = app.echeck(|c| echeck::check(c, &again.code, Party::Operator)).expect("check");
    assert_eq!(gone.state_at(much_later), CheckState::Expired);
    assert_eq!(app.credit_account(&buyer.id).held, 0);
    app.assert_books_balance();
}

#[tokio::test]
async fn the_same_request_twice_is_one_check_and_one_hold() {
    let (app, buyer, _) = setup().await;
    let first = app.echeck(|c| echeck::issue(c, &request(&buyer, "NORTH", 5_000, "same"), at(0))).expect("issued");
    let second = app.echeck(|c| echeck::issue(c, &request(&buyer, "NORTH", 5_000, "same"), at(0))).expect("again");
    assert_eq!(first.code, second.code);
    assert_eq!(app.credit_account(&buyer.id).held, 5_000);
    assert_eq!(
        refusal(app.echeck(|c| echeck::issue(c, &request(&buyer, "NORTH", 6_000, "same"), at(0)))),
        Refusal::KeyReused
    );

    let account = app.credit_account(&buyer.id).id;
    let m = Movement { account, amount: 7_000, reason: "cash at the desk".into(), key: IdempotencyKey::named("dep-1") };
    let a = app.echeck(|c| echeck::deposit(c, &m, None, at(0))).expect("deposit");
    let b = app.echeck(|c| echeck::deposit(c, &m, None, at(0))).expect("deposit again");
    assert_eq!(a.id, b.id);
    assert_eq!(app.credit_account(&buyer.id).balance, 7_000);
    app.assert_books_balance();
}

#[tokio::test]
async fn unregistered_or_suspended_offices_and_carriers_and_bad_amounts_are_refused() {
    let (app, buyer, _) = setup().await;
    let admin = app.admin().await;
    let issue = |req: IssueRequest| app.echeck(move |c| echeck::issue(c, &req, at(0)));
    assert_eq!(refusal(issue(request(&buyer, "NOWHERE", 100, "a"))), Refusal::OfficeUnknown);
    assert_eq!(
        refusal(issue(IssueRequest { carrier_code: "SLOW".into(), ..request(&buyer, "NORTH", 100, "b") })),
        Refusal::CarrierUnknown
    );
    assert_eq!(refusal(issue(request(&buyer, "NORTH", 0, "c"))), Refusal::AmountNotPositive);
    assert_eq!(refusal(issue(request(&buyer, "NORTH", -5, "d"))), Refusal::AmountNotPositive);
    assert_eq!(refusal(issue(request(&buyer, "NORTH", i64::MAX, "e"))), Refusal::AmountTooLarge);
    assert_eq!(
        refusal(issue(request(&buyer, "NORTH", 50_001, "f"))),
        Refusal::InsufficientCredit { available: 50_000, currency: "EUR".into() }
    );

    app.echeck(|c| echeck::set_suspended::<echeck::Office>(c, &admin.id, "NORTH", true, "unpaid fees", at(0)))
        .expect("suspend");
    assert_eq!(refusal(issue(request(&buyer, "NORTH", 100, "g"))), Refusal::OfficeSuspended);
    app.echeck(|c| echeck::set_suspended::<echeck::Office>(c, &admin.id, "NORTH", false, "paid", at(0)))
        .expect("reinstate");
    app.echeck(|c| echeck::set_suspended::<echeck::Carrier>(c, &admin.id, "FAST", true, "lost parcels", at(0)))
        .expect("suspend");
    assert_eq!(refusal(issue(request(&buyer, "NORTH", 100, "h"))), Refusal::CarrierSuspended);
    app.echeck(|c| echeck::set_suspended::<echeck::Carrier>(c, &admin.id, "FAST", false, "fixed", at(0)))
        .expect("reinstate");
    issue(request(&buyer, "NORTH", 100, "i")).expect("issued once both are active again");

    for bad in ["", "nonsense", "0000-0000-0000"] {
        let office = app.echeck(|c| echeck::office(c, "NORTH")).expect("office").id;
        assert_eq!(refusal(app.echeck(|c| echeck::validate(c, bad, &office, 100, at(0)))), Refusal::UnknownCheck);
    }
    assert_eq!(app.credit_account(&buyer.id).held, 100, "refusals left nothing behind");
    app.assert_books_balance();
}

#[tokio::test]
async fn delivery_is_recorded_once_by_the_checks_carrier() {
    let (app, buyer, office) = setup().await;
    let other = app.carrier("OTHER");
    let check = app.echeck(|c| echeck::issue(c, &request(&buyer, "NORTH", 1_000, "k"), at(0))).expect("issued");
    app.echeck(|c| echeck::demand_payment(c, &check.code, &office.id, None, None, at(0))).expect("paid");
    assert_eq!(
        refusal(app.echeck(|c| echeck::record_delivery(c, &check.code, &other.id, "done", None, at(1)))),
        Refusal::UnknownCheck
    );
    let fast = app.echeck(|c| echeck::carrier(c, "FAST")).expect("carrier");
    let done = app
        .echeck(|c| echeck::record_delivery(c, &check.code, &fast.id, "handed to the buyer", None, at(1)))
        .expect("recorded");
    assert!(done.delivered_at.is_some());
    assert_eq!(
        refusal(app.echeck(|c| echeck::record_delivery(c, &check.code, &fast.id, "again", None, at(2)))),
        Refusal::DeliveryRecorded
    );
}

#[tokio::test]
async fn a_withdrawal_takes_only_own_money_and_credit_lines_cover_what_is_used() {
    let (app, buyer, _) = setup().await;
    let admin = app.admin().await;
    app.deposit(&buyer.id, 10_000);
    let account = app.credit_account(&buyer.id).id;
    let m = |amount: i64, key: &str| Movement {
        account: account.clone(),
        amount,
        reason: "payout".into(),
        key: IdempotencyKey::named(key),
    };
    let too_much = m(10_001, "w1");
    assert_eq!(
        refusal(app.echeck(|c| echeck::withdraw(c, &too_much, Some(&admin.id), at(0)))),
        Refusal::WithdrawalTooLarge { withdrawable: 10_000, currency: "EUR".into() }
    );
    let fine = m(4_000, "w2");
    app.echeck(|c| echeck::withdraw(c, &fine, Some(&admin.id), at(0))).expect("withdrawn");
    app.echeck(|c| echeck::issue(c, &request(&buyer, "NORTH", 30_000, "k"), at(0))).expect("issued");
    // 6,000 own money, 30,000 held: the line must cover 24,000.
    let id = account.clone();
    assert_eq!(
        refusal(app.echeck(|c| echeck::set_credit_line(c, &id, 23_999, &admin.id, at(0)))),
        Refusal::CreditLineTooLow { minimum: 24_000, currency: "EUR".into() }
    );
    app.echeck(|c| echeck::set_credit_line(c, &id, 24_000, &admin.id, at(0))).expect("lowered");
    assert_eq!(app.credit_account(&buyer.id).available(), 0);
    app.assert_books_balance();
}

/// Many buyers' requests at once against one account: the holds accepted never exceed its credit.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_checks_never_exceed_the_available_credit() {
    let (app, buyer, _) = setup().await;
    app.deposit(&buyer.id, 7_000); // available: 57,000
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..40)
            .map(|i| {
                let (db, req) = (app.db.clone(), request(&buyer, "NORTH", 2_500, &format!("race-{i}")));
                scope.spawn(move || db.write_blocking(|c| echeck::issue(c, &req, at(0))))
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).collect()
    });
    let mut accepted = 0;
    for result in results {
        match result {
            Ok(_) => accepted += 1,
            Err(EcheckError::Refused(Refusal::InsufficientCredit { .. })) => {}
            Err(other) => panic!("unexpected: {other}"),
        }
    }
    assert_eq!(accepted, 57_000 / 2_500, "exactly as many as the credit covers");
    let account = app.credit_account(&buyer.id);
    assert_eq!(account.held, accepted * 2_500);
    assert!(account.available() >= 0);
    app.assert_books_balance();
}

#[tokio::test]
async fn racing_requests_with_one_key_make_one_check() {
    let (app, buyer, _) = setup().await;
    let codes: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..12)
            .map(|_| {
                let (db, req) = (app.db.clone(), request(&buyer, "NORTH", 4_000, "double-click"));
                scope.spawn(move || db.write_blocking(|c| echeck::issue(c, &req, at(0))).expect("issued").code)
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).collect()
    });
    assert!(codes.iter().all(|c| *c == codes[0]), "one check: {codes:?}");
    assert_eq!(app.credit_account(&buyer.id).held, 4_000);
    app.assert_books_balance();
}

/// A buy-back center's account funded by a deposit, as the ledger's other users will have it.
fn funded_center(app: &TestApp, code: &str, amount: i64) -> echeck::LedgerAccount {
    let center = app
        .echeck(|c| echeck::open_account(c, echeck::AccountKind::BuybackCenter, code, at(0)))
        .expect("center account");
    let m = Movement { account: center.id.clone(), amount, reason: "funds".into(), key: IdempotencyKey::new() };
    app.echeck(|c| echeck::deposit(c, &m, None, at(0))).expect("deposit");
    app.echeck(|c| echeck::account(c, &center.id)).expect("account")
}

fn pay(from: &echeck::LedgerAccount, to: &echeck::LedgerAccount, amount: i64, key: &IdempotencyKey) -> echeck::Move {
    echeck::Move {
        from: from.id.clone(),
        to: to.id.clone(),
        amount,
        reason: "buy-back payout".into(),
        key: key.clone(),
        actor: None,
    }
}

#[tokio::test]
async fn other_modules_transfer_hold_post_and_release_through_the_ledger_once_each() {
    let (app, buyer, office) = setup().await;
    let center = funded_center(&app, "C1", 10_000);
    let shopper = app.credit_account(&buyer.id);
    let balance = |id: &echeck::LedgerAccountId| app.echeck(|c| echeck::account(c, id)).expect("account").balance;

    // A transfer moves at once, once per key; the same key for another request is refused.
    let key = IdempotencyKey::new();
    let first = app.echeck(|c| echeck::transfer(c, &pay(&center, &shopper, 3_000, &key), at(0))).expect("paid");
    let again = app.echeck(|c| echeck::transfer(c, &pay(&center, &shopper, 3_000, &key), at(0))).expect("again");
    assert_eq!(first.id, again.id, "the same key answers with the same transfer");
    assert_eq!((balance(&center.id), balance(&shopper.id)), (7_000, 3_000));
    let other = app.echeck(|c| echeck::transfer(c, &pay(&center, &shopper, 1, &key), at(0)));
    assert_eq!(refusal(other), Refusal::KeyReused);
    let too_much = app.echeck(|c| echeck::transfer(c, &pay(&center, &shopper, 7_001, &IdempotencyKey::new()), at(0)));
    assert!(matches!(refusal(too_much), Refusal::InsufficientCredit { available: 7_000, .. }));

    // A hold is posted in part once; the rest goes back.
    let office_account = app.echeck(|c| echeck::account_of_office(c, &office.id)).expect("office").expect("opened");
    let hold_key = IdempotencyKey::new();
    let hold =
        app.echeck(|c| echeck::hold(c, &pay(&center, &office_account, 5_000, &hold_key), at(24), at(0))).expect("held");
    assert_eq!(app.echeck(|c| echeck::account(c, &center.id)).expect("center").available(), 2_000);
    let posted = app.echeck(|c| echeck::post(c, &hold.id, Some(4_000), at(1))).expect("posted");
    assert_eq!(posted.posted_amount, Some(4_000));
    let twice = app.echeck(|c| echeck::post(c, &hold.id, Some(4_000), at(1))).expect("the same post again");
    assert_eq!(twice.id, hold.id);
    assert_eq!(refusal(app.echeck(|c| echeck::release(c, &hold.id, at(1)))), Refusal::HoldFinished);
    assert_eq!((balance(&center.id), balance(&office_account.id)), (3_000, 4_000));

    // A released hold gives everything back; one that lapses is released by the job's round.
    let released =
        app.echeck(|c| echeck::hold(c, &pay(&center, &office_account, 1_000, &IdempotencyKey::new()), at(24), at(0)));
    let released = released.expect("held");
    app.echeck(|c| echeck::release(c, &released.id, at(1))).expect("released");
    app.echeck(|c| echeck::release(c, &released.id, at(1))).expect("releasing twice answers with it");
    assert_eq!(refusal(app.echeck(|c| echeck::post(c, &released.id, None, at(1)))), Refusal::HoldFinished);
    let lapsing =
        app.echeck(|c| echeck::hold(c, &pay(&center, &office_account, 2_500, &IdempotencyKey::new()), at(2), at(0)));
    lapsing.expect("held");
    assert_eq!(app.echeck(|c| echeck::expire_due(c, at(3), 10)).expect("round"), 1);
    assert_eq!(app.echeck(|c| echeck::account(c, &center.id)).expect("center").available(), 3_000);
    // A check's hold moves only through the check's own steps.
    let check = app.echeck(|c| echeck::issue(c, &request(&buyer, "NORTH", 500, "c1"), at(0))).expect("issued");
    let check_hold = app.query(|c| {
        use diesel::prelude::*;
        use shop::db::schema::ledger_transfers::dsl::*;
        ledger_transfers.filter(check_id.eq(check.id.as_str())).select(id).first::<String>(c)
    });
    let check_hold: echeck::TransferId = check_hold.parse().expect("an ID");
    assert!(matches!(app.echeck(|c| echeck::post(c, &check_hold, None, at(1))), Err(EcheckError::NotFound)));
    app.assert_books_balance();
}

/// Many payouts at once from one funded account, and many twins of one payout: the account never
/// pays more than it holds, and a key pays once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_transfers_never_overdraw_and_a_key_moves_money_once() {
    let (app, buyer, _) = setup().await;
    let center = funded_center(&app, "C2", 10_000);
    let shopper = app.credit_account(&buyer.id);
    let twin = IdempotencyKey::new();
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..40)
            .map(|i| {
                let key = if i % 4 == 0 { twin.clone() } else { IdempotencyKey::new() };
                let (db, m) = (app.db.clone(), pay(&center, &shopper, 1_000, &key));
                scope.spawn(move || (i % 4 == 0, db.write_blocking(|c| echeck::transfer(c, &m, at(0)))))
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).collect()
    });
    let mut twins = std::collections::BTreeSet::new();
    let mut paid = std::collections::BTreeSet::new();
    for (is_twin, result) in results {
        match result {
            Ok(t) if is_twin => {
                twins.insert(t.id.clone());
                paid.insert(t.id);
            }
            Ok(t) => {
                paid.insert(t.id);
            }
            Err(EcheckError::Refused(Refusal::InsufficientCredit { .. })) => {}
            Err(other) => panic!("unexpected: {other}"),
        }
    }
    assert!(twins.len() <= 1, "the twins made one transfer: {twins:?}");
    assert_eq!(paid.len(), 10, "ten payouts of 10.00 empty the center's 100.00, no more");
    let center_now = app.echeck(|c| echeck::account(c, &center.id)).expect("center");
    assert_eq!(center_now.balance, 0);
    assert_eq!(app.credit_account(&buyer.id).balance, 10_000);
    app.assert_books_balance();
}

mod randomized {
    //! Long random sequences of deposits, withdrawals, issues, validations, posts, voids, credit
    //! line changes and expiry rounds, run by several threads at once; after every step the books
    //! must balance: sum zero, no account under its floor, holds equal to pending transfers,
    //! balances equal to their entries, checks in step with their transfers.

    use std::sync::Mutex;

    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    use super::*;

    #[derive(Clone, Debug)]
    enum Op {
        Deposit { buyer: usize, amount: i64 },
        Withdraw { buyer: usize, amount: i64 },
        Issue { buyer: usize, amount: i64, key: u8 },
        Validate { slot: usize, right_amount: bool },
        Post { slot: usize, part: Option<i64> },
        Void { slot: usize },
        CreditLine { buyer: usize, line: i64 },
        Expire { hours: i64 },
    }

    fn op() -> impl Strategy<Value = Op> {
        let buyer = 0..3usize;
        let amount = prop_oneof![1..5_000i64, 5_000..60_000i64];
        prop_oneof![
            1 => (buyer.clone(), amount.clone()).prop_map(|(buyer, amount)| Op::Deposit { buyer, amount }),
            1 => (buyer.clone(), amount.clone()).prop_map(|(buyer, amount)| Op::Withdraw { buyer, amount }),
            4 => (buyer.clone(), amount, 0..6u8).prop_map(|(buyer, amount, key)| Op::Issue { buyer, amount, key }),
            1 => (any::<usize>(), any::<bool>()).prop_map(|(slot, right_amount)| Op::Validate { slot, right_amount }),
            3 => (any::<usize>(), proptest::option::of(1..40_000i64)).prop_map(|(slot, part)| Op::Post { slot, part }),
            2 => any::<usize>().prop_map(|slot| Op::Void { slot }),
            1 => (buyer, 0..80_000i64).prop_map(|(buyer, line)| Op::CreditLine { buyer, line }),
            1 => (0..800i64).prop_map(|hours| Op::Expire { hours }),
        ]
    }

    struct World {
        db: shop::db::Db,
        buyers: Vec<Person>,
        accounts: Vec<echeck::LedgerAccountId>,
        office: echeck::OfficeId,
        admin: Person,
        /// Codes and amounts of the checks issued so far, for the steps that use one.
        checks: Mutex<Vec<(String, i64)>>,
    }

    impl World {
        fn step(&self, op: &Op, thread: usize, n: usize) -> Result<(), EcheckError> {
            let key = format!("{thread}-{n}-{}", hex::encode(rand::random::<[u8; 6]>()));
            let pick = |slot: usize| {
                let checks = self.checks.lock().expect("lock");
                (!checks.is_empty()).then(|| checks[slot % checks.len()].clone())
            };
            let result = self.db.write_blocking(|c| -> Result<(), EcheckError> {
                let time = at((n as i64) * 3);
                match op {
                    Op::Deposit { buyer, amount } => {
                        let m = Movement {
                            account: self.accounts[*buyer].clone(),
                            amount: *amount,
                            reason: "r".into(),
                            key: IdempotencyKey::named(&key),
                        };
                        echeck::deposit(c, &m, None, time).map(drop)
                    }
                    Op::Withdraw { buyer, amount } => {
                        let m = Movement {
                            account: self.accounts[*buyer].clone(),
                            amount: *amount,
                            reason: "r".into(),
                            key: IdempotencyKey::named(&key),
                        };
                        echeck::withdraw(c, &m, None, time).map(drop)
                    }
                    Op::Issue { buyer, amount, key } => {
                        let req = request(&self.buyers[*buyer], "NORTH", *amount, &format!("t{thread}-{key}"));
                        let check = echeck::issue(c, &req, time)?;
                        self.checks.lock().expect("lock").push((check.code, check.amount));
                        Ok(())
                    }
                    Op::Validate { slot, right_amount } => match pick(*slot) {
                        Some((code, amount)) => {
                            let amount = if *right_amount { amount } else { amount + 1 };
                            echeck::validate(c, &code, &self.office, amount, time).map(drop)
                        }
                        None => Ok(()),
                    },
                    Op::Post { slot, part } => match pick(*slot) {
                        Some((code, _)) => echeck::demand_payment(c, &code, &self.office, *part, None, time).map(drop),
                        None => Ok(()),
                    },
                    Op::Void { slot } => match pick(*slot) {
                        Some((code, _)) => echeck::void(c, &code, Party::Operator, None, "random", time).map(drop),
                        None => Ok(()),
                    },
                    Op::CreditLine { buyer, line } => {
                        echeck::set_credit_line(c, &self.accounts[*buyer], *line, &self.admin.id, time)
                    }
                    Op::Expire { hours } => echeck::expire_due(c, at(*hours), 50).map(drop),
                }
            });
            match result {
                Ok(()) | Err(EcheckError::Refused(_)) => Ok(()),
                Err(other) => Err(other),
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn random_concurrent_sequences_keep_the_books_balanced() {
        let (app, first, office) = setup().await;
        let buyers = vec![first, app.shopper().await, app.shopper().await];
        let accounts = buyers.iter().map(|b| app.credit_account(&b.id).id).collect();
        let admin = app.admin().await;
        let world =
            World { db: app.db.clone(), buyers, accounts, office: office.id, admin, checks: Mutex::new(Vec::new()) };
        let cases = std::env::var("ECHECK_RANDOM_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(6);
        let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
        let strategy = proptest::collection::vec(proptest::collection::vec(op(), 10..30), 3);
        let outcome = runner.run(&strategy, |threads| {
            run_concurrently(
                &threads,
                |op, t, n| world.step(op, t, n).map_err(|e| format!("{e:?}")),
                || {
                    let books = world.db.read_blocking(echeck::books).map_err(|e| e.to_string())?;
                    if books.balanced() { Ok(()) } else { Err(format!("{books:?}")) }
                },
            )
        });
        if let Err(e) = outcome {
            panic!("{e}");
        }
        app.assert_books_balance();
        let issued = world.checks.lock().expect("lock").len();
        assert!(issued > 0, "the sequences issued checks");
    }
}

// ---- the pages ----

/// The token of the first form on a page.
fn csrf(page: &Page) -> String {
    page.input_value("csrf_token").expect("a form with a CSRF token")
}

#[tokio::test]
async fn a_shopper_sees_credit_open_checks_and_a_statement() {
    let (app, buyer, _) = setup().await;
    app.deposit(&buyer.id, 12_345);
    let check = app.echeck(|c| echeck::issue(c, &request(&buyer, "NORTH", 20_000, "o1"), at(0))).expect("issued");
    let b = app.logged_in(&buyer).await;
    let page = b.get("/echeck").await;
    assert_eq!(page.status, 200);
    assert!(page.contains("500.00 EUR"), "credit line");
    assert!(page.contains("<strong id=\"available\">423.45 EUR</strong>"), "{}", page.body);
    assert!(page.contains(&check.code) && page.contains("Office NORTH"));
    app.echeck(|c| echeck::void(c, &check.code, Party::Operator, None, "cancelled", at(0))).expect("voided");
    let page = b.get("/echeck").await;
    assert!(page.contains("voided, released") && page.contains(&check.code), "the latest checks show voided ones");
    assert!(page.contains("<strong id=\"available\">623.45 EUR</strong>"), "{}", page.body);
    assert!(page.contains("Deposit: test deposit") && page.contains("+123.45 EUR"));
    assert_eq!(b.get("/echeck?page=abc").await.status, 400);
    assert_eq!(b.get("/echeck?page=7").await.status, 404);
    assert_eq!(b.get("/sell/payments").await.status, 403);
    assert_eq!(b.get("/admin/echeck").await.status, 403);
}

#[tokio::test]
async fn a_new_shoppers_page_shows_the_credit_to_come_and_opens_nothing() {
    let (app, buyer, _) = setup().await;
    let count = || {
        use diesel::prelude::*;
        app.query(|c| shop::db::schema::ledger_accounts::table.count().get_result::<i64>(c))
    };
    let before = count();
    let page = app.logged_in(&buyer).await.get("/echeck").await;
    assert_eq!(page.status, 200);
    assert!(page.contains("opens with your first payment by e-check"), "{}", page.body);
    assert!(page.contains("<strong id=\"available\">500.00 EUR</strong>"), "the default credit line");
    assert_eq!(count(), before, "the GET opened no account");
}

#[tokio::test]
async fn an_office_typing_wrong_check_ids_waits_and_a_right_id_forgives_only_itself() {
    let (app, buyer, _) = setup().await;
    let seller = app.create_user("Selma Seller", &[shop::accounts::Role::Salesperson]).await;
    app.echeck(|c| echeck::add_staff::<echeck::Office>(c, None, "NORTH", &seller.id, at(0))).expect("staff");
    let check = app.echeck(|c| echeck::issue(c, &request(&buyer, "NORTH", 2_000, "o1"), at(0))).expect("issued");
    let s = app.logged_in(&seller).await;
    let validate = |code: String| {
        let s = &s;
        async move { s.submit("/sell/payments", "/sell/payments/validate", &[("check", &code), ("amount", "20")]).await }
    };
    let guess = || shop::codes::random(3, 4);
    for _ in 0..19 {
        assert_eq!(validate(guess()).await.status, 422);
    }
    assert!(validate(check.code.clone()).await.contains("is genuine and open"), "a right ID is answered");
    let twentieth = validate(guess()).await;
    assert_eq!(twentieth.status, 422, "the right ID forgave itself, not the wrong ones before it");
    let waiting = validate(check.code.clone()).await;
    assert_eq!(waiting.status, 429, "twenty wrong IDs: the office waits, even for a right one");
    assert!(waiting.contains("Too many attempts. Wait 2 seconds"), "{}", waiting.body);
}

#[tokio::test]
async fn a_salesperson_checks_a_check_demands_payment_and_voids_through_the_page() {
    let (app, buyer, _) = setup().await;
    let seller = app.create_user("Selma Seller", &[shop::accounts::Role::Salesperson]).await;
    let s = app.logged_in(&seller).await;
    assert!(s.get("/sell/payments").await.contains("You are not on the staff of a selling office"));
    app.echeck(|c| echeck::add_staff::<echeck::Office>(c, None, "NORTH", &seller.id, at(0))).expect("staff");

    let check = app.echeck(|c| echeck::issue(c, &request(&buyer, "NORTH", 20_000, "o1"), at(0))).expect("issued");
    let other = app.echeck(|c| echeck::issue(c, &request(&buyer, "NORTH", 5_000, "o2"), at(0))).expect("issued");
    let page = s.get("/sell/payments").await;
    assert!(page.contains(&check.code) && page.contains("issued, held"));

    let ok = s
        .submit(
            "/sell/payments",
            "/sell/payments/validate",
            &[("check", &check.code.to_lowercase()), ("amount", "200")],
        )
        .await;
    assert_eq!(ok.status, 200);
    assert!(ok.contains("is genuine and open") && ok.contains("You may ship."), "{}", ok.body);
    let wrong =
        s.submit("/sell/payments", "/sell/payments/validate", &[("check", &check.code), ("amount", "199.99")]).await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.contains("This check is not for this amount."));
    let bad = s.submit("/sell/payments", "/sell/payments/validate", &[("check", "abc"), ("amount", "-1")]).await;
    assert_eq!(bad.status, 422);
    assert!(bad.field_error("check").is_some() && bad.field_error("amount").is_some());
    assert_eq!(bad.input_value("check").as_deref(), Some("abc"), "the values typed come back");

    // A check of another office is answered like a check that does not exist.
    let south = app.office("SOUTH");
    let foreign = app
        .echeck(|c| {
            echeck::issue(
                c,
                &IssueRequest { office_code: "SOUTH".into(), ..request(&buyer, "SOUTH", 1_000, "o3") },
                at(0),
            )
        })
        .expect("issued");
    assert_eq!(south.code, "SOUTH");
    let hidden =
        s.submit("/sell/payments", "/sell/payments/validate", &[("check", &foreign.code), ("amount", "10")]).await;
    assert!(hidden.contains("No check with this ID is open to you."), "{}", hidden.body);

    let page = s.get("/sell/payments").await;
    let paid = s
        .post_raw(&format!("/sell/payments/{}/demand", check.code), &[("csrf_token", &csrf(&page)), ("amount", "150")])
        .await;
    assert!(paid.contains("paid: 150.00 EUR credited to your office"), "{}", paid.body);
    let again = s
        .post_raw(&format!("/sell/payments/{}/demand", check.code), &[("csrf_token", &csrf(&paid)), ("amount", "")])
        .await;
    assert!(again.contains("This check has been paid already."));
    let unexplained = s
        .post_raw(&format!("/sell/payments/{}/void", other.code), &[("csrf_token", &csrf(&again)), ("reason", " ")])
        .await;
    assert!(unexplained.contains("Give a reason"));
    let voided = s
        .post_raw(
            &format!("/sell/payments/{}/void", other.code),
            &[("csrf_token", &csrf(&unexplained)), ("reason", "out of stock")],
        )
        .await;
    assert!(voided.contains("voided; the buyer"), "{}", voided.body);

    let account = app.credit_account(&buyer.id);
    assert_eq!((account.balance, account.held), (-15_000, 1_000));
    app.assert_books_balance();
}

#[tokio::test]
async fn an_admin_runs_the_registries_and_the_books_through_the_pages() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let buyer = app.shopper().await;
    let seller = app.create_user("Selma Seller", &[shop::accounts::Role::Salesperson]).await;
    let a = app.logged_in(&admin).await;

    // Register a selling office: missing fields come back next to their fields.
    let bad =
        a.submit("/admin/echeck/offices", "/admin/echeck/offices", &[("code", "n"), ("name", "North Office")]).await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.field_error("code").is_some() && bad.field_error("address").is_some() && bad.field_error("bank").is_some()
    );
    assert_eq!(bad.input_value("name").as_deref(), Some("North Office"));
    let fields = [
        ("code", "north"),
        ("name", "North Office"),
        ("address", "1 North Road"),
        ("phone", "+1 555 0101"),
        ("fax", "+1 555 0102"),
        ("bank", "First Bank"),
        ("bank_account", "FB-0001"),
    ];
    let office = a.submit("/admin/echeck/offices", "/admin/echeck/offices", &fields).await;
    assert!(office.path().ends_with("/admin/echeck/offices/NORTH"), "{}", office.path());
    let taken = a.submit("/admin/echeck/offices", "/admin/echeck/offices", &fields).await;
    assert!(taken.field_error("code").is_some_and(|e| e.contains("registered already")));
    let staff =
        a.submit("/admin/echeck/offices/NORTH", "/admin/echeck/offices/NORTH/staff", &[("email", &buyer.email)]).await;
    assert!(staff.field_error("email").is_some(), "a shopper is no salesperson");
    let staff =
        a.submit("/admin/echeck/offices/NORTH", "/admin/echeck/offices/NORTH/staff", &[("email", &seller.email)]).await;
    assert!(staff.contains("Selma Seller"), "{}", staff.body);
    assert!(staff.contains(&format!("staff_added (Selma Seller &#60;{}&#62;)", seller.email)), "{}", staff.body);
    let suspended =
        a.submit("/admin/echeck/offices/NORTH", "/admin/echeck/offices/NORTH/suspend", &[("reason", "audit")]).await;
    assert!(suspended.contains("suspended") && suspended.contains("audit"));
    let carrier = a
        .submit(
            "/admin/echeck/carriers",
            "/admin/echeck/carriers",
            &[("code", "FAST"), ("name", "Fast Freight"), ("address", "9 Dock"), ("phone", "+1 555 0300")],
        )
        .await;
    assert!(carrier.path().ends_with("/admin/echeck/carriers/FAST"));
    assert_eq!(a.get("/admin/echeck/nothing").await.status, 404);

    // Find the shopper: no account yet (it opens with their first check), and finding opens
    // none; the administrator opens it with the page's button, then pays money in and out.
    let find = format!("/admin/echeck/find?email={}", buyer.email);
    let unopened = a.get(&find).await;
    assert!(unopened.contains("has no e-check account yet"), "{}", unopened.body);
    let accounts_now = || {
        use diesel::prelude::*;
        app.query(|c| shop::db::schema::ledger_accounts::table.count().get_result::<i64>(c))
    };
    let before = accounts_now();
    assert!(a.get(&find).await.contains("Open the account"));
    assert_eq!(accounts_now(), before, "a GET opens no account");
    let action = format!("/admin/echeck/shoppers/{}/open", buyer.id);
    let account = a.post_raw(&action, &[("csrf_token", &csrf(&unopened))]).await;
    assert!(account.path().starts_with("/admin/echeck/accounts/"), "{}", account.path());
    assert_eq!(accounts_now(), before + 1);
    assert_eq!(a.get(&find).await.path(), account.path(), "now the search finds the account");
    let here = account.path();
    let key = account.input_value("key").expect("idempotency key");
    let zero = a
        .post_raw(
            &format!("{here}/deposit"),
            &[("csrf_token", &csrf(&account)), ("key", &key), ("deposit_amount", "0"), ("deposit_reason", "")],
        )
        .await;
    assert_eq!(zero.status, 422);
    assert!(zero.field_error("deposit_amount").is_some() && zero.field_error("deposit_reason").is_some());
    let form = [
        ("csrf_token", csrf(&account)),
        ("key", key.clone()),
        ("deposit_amount", "12.50".into()),
        ("deposit_reason", "bank transfer".into()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let done = a.post_raw(&format!("{here}/deposit"), &form).await;
    assert!(done.contains("Deposit of 12.50 EUR recorded."), "{}", done.body);
    a.post_raw(&format!("{here}/deposit"), &form).await;
    assert_eq!(app.credit_account(&buyer.id).balance, 1_250, "the resubmitted form made one deposit");
    let too_much = a
        .post_raw(
            &format!("{here}/withdraw"),
            &[
                ("csrf_token", &csrf(&done)),
                ("key", &key_of(&done, 1)),
                ("withdrawal_amount", "13"),
                ("withdrawal_reason", "payout"),
            ],
        )
        .await;
    assert!(
        too_much.field_error("withdrawal_amount").is_some_and(|e| e.contains("At most 12.50 EUR")),
        "{}",
        too_much.body
    );
    let line =
        a.post_raw(&format!("{here}/credit-line"), &[("csrf_token", &csrf(&done)), ("credit_line", "100")]).await;
    assert!(line.contains("Credit line set."));
    assert_eq!(app.credit_account(&buyer.id).credit_line, 10_000);

    let books = a.get("/admin/echeck").await;
    assert!(books.contains("The books balance"), "{}", books.body);
    assert!(books.contains(">North Office</a>") && books.contains(&format!("Sam Shopper &#60;{}&#62;", buyer.email)));
    assert!(a.get("/admin/echeck/ledger").await.contains("bank transfer"));
    let settings = a
        .submit("/admin/echeck", "/admin/echeck/settings", &[("default_credit_line", "abc"), ("hold_hours", "0")])
        .await;
    assert_eq!(settings.status, 422);
    assert!(settings.field_error("default_credit_line").is_some() && settings.field_error("hold_hours").is_some());
    let settings = a
        .submit("/admin/echeck", "/admin/echeck/settings", &[("default_credit_line", "250"), ("hold_hours", "48")])
        .await;
    assert!(settings.contains("Settings saved."));
    let newcomer = app.shopper().await;
    assert_eq!(app.credit_account(&newcomer.id).credit_line, 25_000, "new shoppers get the new line");
}

/// The n-th hidden idempotency key of a page (deposit first, withdrawal second).
fn key_of(page: &Page, n: usize) -> String {
    let marker = "name=\"key\" value=\"";
    let start = page.body.match_indices(marker).nth(n).expect("key field").0 + marker.len();
    page.body[start..].split('"').next().expect("key").to_owned()
}

/// A failure after some of an operation's statements (a crash, a refusal of the caller's own
/// step) leaves nothing behind: each operation is one transaction with whatever surrounds it.
#[tokio::test]
async fn a_failure_midway_leaves_no_half_transfer() {
    let (app, buyer, office) = setup().await;
    let failed: Result<(), EcheckError> = app.echeck(|c| {
        let check = echeck::issue(c, &request(&buyer, "NORTH", 9_000, "k"), at(0))?;
        echeck::demand_payment(c, &check.code, &office.id, Some(4_000), None, at(0))?;
        Err(EcheckError::NotFound) // the order placing this check failed after paying it
    });
    assert!(failed.is_err());
    let account = app.credit_account(&buyer.id);
    assert_eq!((account.balance, account.held), (0, 0));
    let seller = app.echeck(|c| echeck::account_of_office(c, &office.id)).expect("query").expect("account");
    assert_eq!(seller.balance, 0);
    let again = app.echeck(|c| echeck::issue(c, &request(&buyer, "NORTH", 9_000, "k"), at(0))).expect("issued anew");
    assert_eq!(again.state_at(at(0)), CheckState::Issued, "the key was not used up by the rolled-back attempt");
    app.assert_books_balance();
}

/// Pages that show many accounts at once (the prepaid cards of every batch) ask for them by a
/// list of IDs longer than one SQLite statement may bind.
#[tokio::test]
async fn accounts_are_found_by_lists_longer_than_a_statement_binds() {
    let (app, buyer, _office) = setup().await;
    let mine = app.credit_account(&buyer.id);
    let mut ids: Vec<echeck::LedgerAccountId> = (0..70_000).map(|_| echeck::LedgerAccountId::new()).collect();
    ids.push(mine.id.clone());
    let found = app.echeck(|c| echeck::accounts_by_ids(c, &ids)).expect("a long list is read in parts");
    assert_eq!(found.into_iter().map(|a| a.id).collect::<Vec<_>>(), vec![mine.id]);
}
