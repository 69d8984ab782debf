//! Business outcomes: what the workload's requests got done in the
//! application's terms, beside latency and anomalies — transfers refused
//! because the debited account's balance was short, reservations refused
//! because the item was sold out. A refusal is a correct answer, not an
//! error; a high share says the workload drains its accounts or stock.

use serde::{Deserialize, Serialize};

use crate::sim::{SimTime, Window};

/// Counts of one run's business outcomes, by the invocation instant of the
/// operation (only those invoked in the measured window count).
#[derive(Clone, Copy, Debug)]
pub struct Business {
    window: Window,
    transfers: u64,
    transfers_refused: u64,
    reservations: u64,
    reservations_refused: u64,
}

impl Business {
    pub fn new(window: Window) -> Business {
        Business {
            window,
            transfers: 0,
            transfers_refused: 0,
            reservations: 0,
            reservations_refused: 0,
        }
    }

    /// A transfer invoked at `invoked` was answered ok; `refused`: it moved
    /// nothing because the balance was short.
    pub fn transfer(&mut self, invoked: SimTime, refused: bool) {
        if self.window.contains(invoked) {
            self.transfers += 1;
            self.transfers_refused += u64::from(refused);
        }
    }

    /// A reservation invoked at `invoked` was answered ok; `refused`: the
    /// item was sold out (stock ≤ 0 where it was checked), nothing taken.
    pub fn reservation(&mut self, invoked: SimTime, refused: bool) {
        if self.window.contains(invoked) {
            self.reservations += 1;
            self.reservations_refused += u64::from(refused);
        }
    }

    pub fn report(&self) -> BusinessReport {
        let per_1000 = |n: u64, of: u64| {
            if of == 0 {
                0.0
            } else {
                super::round6(n as f64 * 1000.0 / of as f64)
            }
        };
        BusinessReport {
            transfers: self.transfers,
            transfers_refused: self.transfers_refused,
            transfers_refused_per_1000: per_1000(self.transfers_refused, self.transfers),
            reservations: self.reservations,
            reservations_refused: self.reservations_refused,
            reservations_refused_per_1000: per_1000(self.reservations_refused, self.reservations),
        }
    }
}

/// A run's business outcomes (`runs[i].business` in results.json). Rates
/// are per 1,000 operations of that kind answered ok (invoked in the
/// window): of the transfers the clients heard back from, how many were
/// refused. Operations that failed or timed out are in neither figure.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BusinessReport {
    /// Transfers answered ok (moved, or refused for balance).
    pub transfers: u64,
    /// Of those, refused because the debited account held less than
    /// `transfer_amount`: nothing moved.
    pub transfers_refused: u64,
    pub transfers_refused_per_1000: f64,
    /// Reservations answered ok (a unit taken, or refused for stock).
    pub reservations: u64,
    /// Of those, refused because the stock seen at the check was 0 or less
    /// (sold out — or a stale copy that says so).
    pub reservations_refused: u64,
    pub reservations_refused_per_1000: f64,
}

impl BusinessReport {
    /// Whether the workload had neither transfers nor reservations.
    pub fn is_empty(&self) -> bool {
        self.transfers == 0 && self.reservations == 0
    }
}
