//! Business outcomes: every architecture counts the transfers it refused
//! for a short balance and the reservations it refused for stock, among
//! those answered ok; the default workload moves money both ways, so its
//! accounts do not drain.

use archsim::report::RunResult;

use crate::{run, scenario};

/// Every architecture on a short stream of transfers and reservations,
/// with `balance` per account and `stock` per item.
fn runs(balance: i64, stock: i64) -> Vec<RunResult> {
    let text = format!(
        r#"
        seed = 5
        duration = "2s"
        warmup = "200ms"
        [workload]
        rate = 1000
        keys = 1000
        groups = 20
        locality = 0.5
        [workload.mix]
        get = 0.5
        transfer = 0.25
        reserve = 0.25
        [workload.entities]
        accounts = 100
        balance = {balance}
        items = 100
        stock = {stock}
        [[architecture]]
        kind = "single"
        [[architecture]]
        kind = "polyglot"
        [[architecture]]
        kind = "sharded"
        [[architecture]]
        kind = "coordinator"
        [[architecture]]
        kind = "colocated"
        "#
    );
    run(&scenario(&text)).runs
}

#[test]
fn empty_accounts_and_shelves_refuse_everything() {
    for r in runs(0, 0) {
        let b = &r.business;
        assert!(
            b.transfers > 300 && b.reservations > 300,
            "{}: {b:?}",
            r.architecture
        );
        assert_eq!(b.transfers_refused, b.transfers, "{}", r.architecture);
        assert_eq!(b.reservations_refused, b.reservations, "{}", r.architecture);
        assert_eq!(b.transfers_refused_per_1000, 1000.0);
        assert_eq!(b.reservations_refused_per_1000, 1000.0);
    }
}

#[test]
fn ample_balances_and_stock_refuse_nothing() {
    for r in runs(1_000_000, 1_000_000) {
        let b = &r.business;
        assert!(
            b.transfers > 300 && b.reservations > 300,
            "{}: {b:?}",
            r.architecture
        );
        assert_eq!(b.transfers_refused, 0, "{}", r.architecture);
        assert_eq!(b.reservations_refused, 0, "{}", r.architecture);
    }
}

#[test]
fn popular_accounts_do_not_drain() {
    // A tenth of the transfers touch the most popular account; it pays in
    // as many as it is paid by, so it hardly ever runs short.
    let r = crate::run_one(
        r#"
        seed = 9
        duration = "10s"
        warmup = "1s"
        [workload]
        rate = 5000
        keys = 1000
        popularity = "zipf(0.99)"
        [workload.mix]
        get = 0.5
        transfer = 0.5
        [[architecture]]
        kind = "single"
        "#,
    );
    let b = &r.business;
    assert!(b.transfers > 20_000, "{b:?}");
    assert!(b.transfers_refused_per_1000 < 10.0, "{b:?}");
}
