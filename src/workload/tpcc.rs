//! TPC-C's five transactions in archsim's terms (`[workload] tpcc = true`):
//! warehouses are the entity groups (`workload.groups`), a warehouse's rows
//! (its districts, customers and stock) its accounts. What the preset keeps
//! of the benchmark is what decides an architecture's cost: which rows a
//! transaction writes together, and how often they live in another
//! warehouse. Rows are accounts, so every write moves money and the bank's
//! total is the invariant the oracle checks; TPC-C's own columns are not
//! modelled.
//!
//! The mix is the specification's minimum shares (TPC-C 5.11, §5.2.3) with
//! New-Order taking the rest:
//!
//! | TPC-C | share | archsim |
//! |---|---|---|
//! | New-Order | 45 % | `txn` over the district row and 5–15 order lines (uniform, §2.4.1.3); each line's stock row is in another warehouse with probability 1 % (§2.4.1.5) |
//! | Payment | 43 % | `transfer` between the warehouse's row and a customer, who belongs to another warehouse with probability 15 % (§2.5.1.2) |
//! | Order-Status | 4 % | `multi_get` of a customer's rows, in its warehouse |
//! | Delivery | 4 % | `txn` over the warehouse's 10 districts, all local |
//! | Stock-Level | 4 % | `multi_get` of the district's recent stock rows, in its warehouse |
//!
//! With one warehouse per partition, the distributed share comes out at
//! 0.45 · (1 − E[0.99^L]) + 0.43 · 0.15 ≈ 0.45 · 0.0952 + 0.0645 ≈ 10.7 %,
//! L uniform over 5–15 ([`distributed_share`]).

use std::collections::BTreeMap;

use rand::RngExt;

use crate::sim::SimRng;
use crate::workload::{OpKind, TxnShape};

/// Shares of the five transactions (§5.2.3: at least 43 % Payment and 4 %
/// each of Order-Status, Delivery and Stock-Level; New-Order the rest).
pub const NEW_ORDER: f64 = 0.45;
pub const PAYMENT: f64 = 0.43;
pub const ORDER_STATUS: f64 = 0.04;
pub const DELIVERY: f64 = 0.04;
pub const STOCK_LEVEL: f64 = 0.04;

/// Order lines of a New-Order, uniform (§2.4.1.3).
pub const LINES: std::ops::RangeInclusive<u32> = 5..=15;
/// A line's supplying warehouse is remote with this probability
/// (§2.4.1.5), when there is more than one warehouse.
pub const REMOTE_LINE: f64 = 0.01;
/// A Payment's customer belongs to a remote warehouse with this
/// probability (§2.5.1.2).
pub const REMOTE_PAYMENT: f64 = 0.15;
/// Districts per warehouse: a Delivery writes each (§4.3.3.1).
pub const DISTRICTS: u32 = 10;

/// The operation shares in archsim's kinds: New-Order and Delivery are
/// `txn`, Payment is `transfer`, Order-Status and Stock-Level `multi_get`.
pub fn mix() -> BTreeMap<OpKind, f64> {
    [
        (OpKind::Txn, NEW_ORDER + DELIVERY),
        (OpKind::Transfer, PAYMENT),
        (OpKind::MultiGet, ORDER_STATUS + STOCK_LEVEL),
    ]
    .into_iter()
    .collect()
}

/// Where a transfer's other end lives: in the first end's warehouse with
/// this probability.
pub const PAYMENT_LOCALITY: f64 = 1.0 - REMOTE_PAYMENT;

/// The shape of one `txn`: a New-Order (the district row, then its lines,
/// each remote with [`REMOTE_LINE`]) or, with probability
/// DELIVERY / (NEW_ORDER + DELIVERY), a Delivery over the warehouse's
/// districts. The first row pays: the district row of a New-Order, the
/// first district of a Delivery.
pub fn txn(rng: &mut SimRng, warehouses: u64) -> TxnShape {
    if rng.random_bool(DELIVERY / (NEW_ORDER + DELIVERY)) {
        return TxnShape {
            keys: DISTRICTS,
            same_group: true,
            payer: 0,
            remote: 0,
        };
    }
    let lines = rng.random_range(LINES);
    let mut remote = 0u16;
    for line in 1..=lines {
        if rng.random_bool(REMOTE_LINE) && warehouses > 1 {
            remote |= 1 << line;
        }
    }
    TxnShape {
        keys: 1 + lines,
        same_group: true,
        payer: 0,
        remote,
    }
}

/// The share of operations that span warehouses, from the shares and
/// probabilities above: a New-Order with at least one remote line, or a
/// Payment to a remote customer.
pub fn distributed_share() -> f64 {
    let lines = LINES.clone().count() as f64;
    let all_local: f64 = LINES
        .map(|l| (1.0 - REMOTE_LINE).powi(l as i32))
        .sum::<f64>()
        / lines;
    NEW_ORDER * (1.0 - all_local) + PAYMENT * REMOTE_PAYMENT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_distributed_share_is_the_benchmark_s() {
        let new_order = 1.0 - LINES.map(|l| 0.99f64.powi(l as i32)).sum::<f64>() / 11.0;
        assert!((new_order - 0.0952).abs() < 0.0005, "{new_order}");
        assert!((distributed_share() - 0.107).abs() < 0.0005);
        let total: f64 = mix().values().sum();
        assert!((total - 1.0).abs() < 1e-12);
    }
}
