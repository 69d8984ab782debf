//! A plain key space that grows (YCSB's inserts): `keys` records are there
//! from the start, each `insert` adds the next key past them, and reads and
//! puts choose only among the keys inserted so far, as YCSB's
//! `transactioninsertkeysequence` does.
//!
//! Which keys a draw favours follows YCSB's `CoreWorkload`: `uniform`,
//! `hotspot`, `zipf` and `sequential` stay over the first `keys` records
//! (YCSB's uniform and hotspot choosers are built over `recordcount` and
//! never reach an inserted key); `scrambled_zipf` draws over the records and
//! every slot for inserts, and draws again past the last key inserted
//! (YCSB's rejection loop); `latest(s)` is YCSB's `SkewedLatestGenerator`,
//! last − rank with rank ~ Zipf(`s`) over the keys inserted so far, so its
//! head moves with each insert. Without inserts, `latest(s)`'s head moves
//! one key per draw instead (see [`Popularity::Latest`]). `exponential`
//! counts back from the newest key too, its rate set by the records
//! (YCSB's `ExponentialGenerator` over recordcount × frac).

use rand::Rng;

use super::{KeyChooser, Popularity};

/// The keys inserted so far and how draws pick among them.
#[derive(Clone, Debug)]
pub struct Growth {
    /// Keys `0..loaded` exist: the records and the inserts so far.
    loaded: u64,
    /// Every slot: the records and the keys set aside for inserts.
    slots: u64,
    chooser: KeyChooser,
    /// Draws count back from the newest key (`latest`, `exponential`).
    from_newest: bool,
    /// The chooser draws keys counted back from its last one
    /// (`exponential` over this many records): turned into ranks first.
    reversed: Option<u64>,
}

impl Growth {
    /// `records` keys loaded, `inserts` more set aside.
    pub fn new(popularity: Popularity, records: u64, inserts: u64) -> Growth {
        let slots = records + inserts;
        let (chooser, from_newest) = match popularity {
            Popularity::Latest(s) => (KeyChooser::new(Popularity::Zipf(s), slots), true),
            Popularity::ScrambledZipf => (KeyChooser::new(popularity, slots), false),
            Popularity::Exponential { .. } => (KeyChooser::new(popularity, records), true),
            _ => (KeyChooser::new(popularity, records), false),
        };
        let reversed = matches!(popularity, Popularity::Exponential { .. }).then_some(records);
        Growth {
            loaded: records,
            slots,
            chooser,
            from_newest,
            reversed,
        }
    }

    /// The key the next insert writes: the next new one, or the last slot
    /// again once all are used.
    pub fn insert(&mut self) -> u64 {
        let key = self.loaded.min(self.slots - 1);
        self.loaded = (self.loaded + 1).min(self.slots);
        key
    }

    /// Keys inserted so far, the records included.
    pub fn loaded(&self) -> u64 {
        self.loaded
    }

    /// A key among those inserted so far.
    pub fn sample<R: Rng + ?Sized>(&mut self, rng: &mut R) -> u64 {
        loop {
            let mut drawn = self.chooser.sample(rng);
            if let Some(records) = self.reversed {
                drawn = records - 1 - drawn;
            }
            if drawn < self.loaded {
                return if self.from_newest {
                    self.loaded - 1 - drawn
                } else {
                    drawn
                };
            }
        }
    }
}
