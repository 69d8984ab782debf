//! The key space: plain keys (for `get`/`put`) followed by the entities —
//! bank accounts (`transfer`, `multi_get`), inventory items (`reserve`),
//! counters (`rmw`) and documents (`doc_get`/`doc_put`, in a document
//! store where an architecture has one) — each a contiguous range of key ids. Every key belongs
//! to an entity group (a merchant, a tenant): its index within its range
//! modulo `groups`, so architectures can partition by group or by key.

use crate::workload::op::{MAX_TXN_KEYS, TxnShape};
use crate::workload::{Operation, WorkloadConfig};

/// What a key holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entity {
    Plain,
    Account,
    Item,
    Counter,
    Document,
    Session,
}

/// The ranges of key ids and their initial values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeySpace {
    pub plain: u64,
    pub accounts: u64,
    pub items: u64,
    pub counters: u64,
    pub documents: u64,
    /// One session record per client session.
    pub sessions: u64,
    pub groups: u64,
    /// Initial balance of every account.
    pub balance: i64,
    /// Initial stock of every item.
    pub stock: i64,
}

impl KeySpace {
    pub fn new(config: &WorkloadConfig) -> KeySpace {
        let e = &config.entities;
        KeySpace {
            plain: config.keys + config.inserts,
            accounts: e.accounts,
            items: e.items,
            counters: e.counters,
            documents: e.documents,
            sessions: u64::from(config.sessions),
            groups: u64::from(config.groups),
            balance: e.balance,
            stock: e.stock,
        }
    }

    /// Every key id is below this.
    pub fn total(&self) -> u64 {
        self.plain + self.accounts + self.items + self.counters + self.documents + self.sessions
    }

    pub fn account(&self, i: u64) -> u64 {
        self.plain + i
    }

    pub fn item(&self, i: u64) -> u64 {
        self.plain + self.accounts + i
    }

    pub fn counter(&self, i: u64) -> u64 {
        self.plain + self.accounts + self.items + i
    }

    pub fn document(&self, i: u64) -> u64 {
        self.plain + self.accounts + self.items + self.counters + i
    }

    /// The record of client session `session`.
    pub fn session(&self, session: u32) -> u64 {
        self.document(self.documents) + u64::from(session)
    }

    /// The entity a key holds and its index within that entity's range.
    pub fn entity(&self, key: u64) -> (Entity, u64) {
        let mut k = key;
        for (entity, len) in [
            (Entity::Plain, self.plain),
            (Entity::Account, self.accounts),
            (Entity::Item, self.items),
            (Entity::Counter, self.counters),
            (Entity::Document, self.documents),
        ] {
            if k < len {
                return (entity, k);
            }
            k -= len;
        }
        (Entity::Session, k)
    }

    /// The value every copy of `key` starts with.
    pub fn initial_value(&self, key: u64) -> i64 {
        match self.entity(key).0 {
            Entity::Account => self.balance,
            Entity::Item => self.stock,
            Entity::Plain | Entity::Counter | Entity::Document | Entity::Session => 0,
        }
    }

    /// A per-key table (`sim::table`) of a copy of every key, each record
    /// made by `record` from the key's initial value.
    pub fn copies<T>(&self, record: impl Fn(i64) -> T) -> Vec<T> {
        crate::sim::table::per_key(self.total(), |k| record(self.initial_value(k)))
    }

    /// The entity group of `key`.
    pub fn group(&self, key: u64) -> u64 {
        self.entity(key).1 % self.groups
    }

    /// The accounts a `multi_get` reads: `first` and the next `n − 1`
    /// accounts of its group (`same_group`), or the next accounts by index,
    /// which lie in the next groups; distinct, so fewer when the group (or
    /// the bank) has fewer than `n` accounts. Wraps within the range.
    pub fn multi_get_keys(
        &self,
        first: u64,
        n: u32,
        same_group: bool,
    ) -> impl Iterator<Item = u64> + use<> {
        let i = first - self.plain;
        let (accounts, groups, plain) = (self.accounts, self.groups, self.plain);
        let group = i % groups;
        let rank = i / groups;
        // The group's members are group, group + groups, …
        let in_group = accounts.saturating_sub(group).div_ceil(groups).max(1);
        let distinct = if same_group { in_group } else { accounts };
        (0..u64::from(n).min(distinct)).map(move |j| {
            let local = if same_group {
                group + ((rank + j) % in_group) * groups
            } else {
                (i + j) % accounts
            };
            plain + local
        })
    }
}

/// The accounts one `txn` writes, in ascending order, and the one that pays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxnKeys {
    keys: [u64; MAX_TXN_KEYS],
    len: u8,
    pub payer: u64,
}

impl TxnKeys {
    /// Ascending (row locks are taken in this order).
    pub fn keys(&self) -> &[u64] {
        &self.keys[..usize::from(self.len)]
    }
}

impl KeySpace {
    /// The accounts `txn` operation `o` writes: `o.key` and the next ones of
    /// its group, or of the next groups, as a `multi_get` of as many keys
    /// reads them; distinct, sorted ascending.
    pub fn txn_keys(&self, o: &Operation) -> TxnKeys {
        let shape = TxnShape::decode(o.other);
        let mut t = TxnKeys {
            keys: [0; MAX_TXN_KEYS],
            len: 0,
            payer: o.key,
        };
        for (i, key) in self
            .multi_get_keys(o.key, shape.keys, shape.same_group)
            .enumerate()
        {
            t.keys[i] = if shape.remote >> i & 1 == 1 {
                self.elsewhere(key, i as u64)
            } else {
                key
            };
            t.len += 1;
        }
        t.payer = t.keys[shape.payer as usize % usize::from(t.len.max(1))];
        let n = usize::from(t.len);
        t.keys[..n].sort_unstable();
        // A remote account may coincide with another remote one.
        let mut kept = 0;
        for i in 0..n {
            if i == 0 || t.keys[i] != t.keys[kept - 1] {
                t.keys[kept] = t.keys[i];
                kept += 1;
            }
        }
        t.len = kept as u8;
        t
    }

    /// The account at `key`'s rank in another group, the `j`-th after its
    /// own (skipping its own): a TPC-C line supplied by a remote warehouse.
    /// `key` itself when there is one group.
    fn elsewhere(&self, key: u64, j: u64) -> u64 {
        let i = key - self.plain;
        let (groups, accounts) = (self.groups, self.accounts);
        if groups < 2 {
            return key;
        }
        let group = i % groups;
        let rank = i / groups;
        let other = (group + 1 + j % (groups - 1)) % groups;
        let members = accounts.saturating_sub(other).div_ceil(groups).max(1);
        self.plain + other + (rank % members) * groups
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn space() -> KeySpace {
        KeySpace {
            plain: 100,
            accounts: 10,
            items: 5,
            counters: 3,
            documents: 0,
            sessions: 0,
            groups: 4,
            balance: 50,
            stock: 7,
        }
    }

    #[test]
    fn ranges_values_and_groups() {
        let s = space();
        assert_eq!(s.total(), 118);
        assert_eq!(s.entity(99), (Entity::Plain, 99));
        assert_eq!(s.entity(100), (Entity::Account, 0));
        assert_eq!(s.entity(110), (Entity::Item, 0));
        assert_eq!(s.entity(117), (Entity::Counter, 2));
        assert_eq!(s.initial_value(s.account(3)), 50);
        assert_eq!(s.initial_value(s.item(0)), 7);
        assert_eq!(s.group(s.account(6)), 2);
    }

    #[test]
    fn multi_get_stays_in_its_group_or_spreads() {
        let s = space();
        // Accounts 1, 5, 9 form group 1.
        let same: Vec<u64> = s.multi_get_keys(s.account(5), 3, true).collect();
        assert_eq!(same, vec![s.account(5), s.account(9), s.account(1)]);
        assert!(same.iter().all(|k| s.group(*k) == 1));
        let across: Vec<u64> = s.multi_get_keys(s.account(8), 3, false).collect();
        assert_eq!(across, vec![s.account(8), s.account(9), s.account(0)]);
        // Group 3 has two members (3, 7): a read of 4 gets those two.
        assert_eq!(s.multi_get_keys(s.account(7), 4, true).count(), 2);
        assert_eq!(s.multi_get_keys(s.account(0), 40, false).count(), 10);
    }
}
