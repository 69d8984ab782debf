//! The workload generator: open-loop arrivals, key popularity, the operation
//! mix and sessions. It draws only from its own streams (`workload/...`), so
//! every architecture in a scenario receives exactly the same operations at
//! the same instants.

mod arrivals;
mod config;
mod fit;
mod growth;
mod keyspace;
mod op;
mod popularity;
pub mod tpcc;
mod trace;
pub mod ycsb;
mod zipf;

pub use arrivals::Arrivals;
pub use config::{
    EntitiesConfig, MAX_SCAN_LENGTH, Mix, Phase, ProbeSession, RmwAt, ScanLengths, WorkloadConfig,
    insert_slots,
};
pub use fit::Fit;
pub use growth::Growth;
pub use keyspace::{Entity, KeySpace, TxnKeys};
pub use op::{MAX_TXN_KEYS, OpKind, Operation, TxnShape};
pub use popularity::{EXPONENTIAL, KeyChooser, Popularity};
pub use trace::{MAX_ROWS as MAX_TRACE_ROWS, Trace, TraceError, TraceRow};
pub use zipf::ZipfTable;

use rand::RngExt;

use crate::sim::{SimDuration, SimRng, SimTime, Streams};

/// The operation stream of one replication, in time order: generated from
/// the scenario, or a fixed script (hand-built histories in tests).
pub struct Workload {
    source: Source,
}

enum Source {
    Generated(Box<Generator>),
    Replayed(Box<Replay>),
    Scripted(std::collections::VecDeque<Operation>),
}

/// A trace being replayed (see `Workload::replay`).
struct Replay {
    trace: std::sync::Arc<Trace>,
    row: usize,
    /// The next operation, drawn one ahead like a generator's.
    next: Option<Operation>,
    space: KeySpace,
    first: SimTime,
    speed: f64,
    end: SimTime,
}

impl Replay {
    fn draw(&mut self) -> Option<Operation> {
        let r = self.trace.rows.get(self.row)?;
        self.row += 1;
        let start = SimTime(((r.at - self.first).as_nanos() as f64 / self.speed) as u64);
        if start >= self.end {
            return None;
        }
        let s = self.space;
        let (key, other) = match r.kind {
            OpKind::Transfer => (s.account(r.key), s.account(r.other)),
            OpKind::MultiGet => (s.account(r.key), r.other),
            OpKind::Scan => (r.key, r.other),
            OpKind::Rmw => (s.counter(r.key), 0),
            OpKind::Reserve => (s.item(r.key), 0),
            OpKind::DocGet | OpKind::DocPut => (s.document(r.key), 0),
            OpKind::SessionGet | OpKind::SessionPut => (s.session(r.session), 0),
            _ => (r.key, 0),
        };
        Some(Operation {
            kind: r.kind,
            key,
            other,
            session: r.session,
            start,
        })
    }
}

struct Generator {
    /// The next operation, drawn one ahead so the engine can show it to the
    /// architecture before it arrives (see `Architecture::prefetch`).
    next: Option<Operation>,
    arrivals: Arrivals,
    space: KeySpace,
    /// Popularity within each range of keys.
    plain: KeyChooser,
    accounts: KeyChooser,
    items: KeyChooser,
    counters: KeyChooser,
    documents: KeyChooser,
    /// With inserts in the mix: the plain keys inserted so far, among
    /// which `get` and `put` choose instead of `plain`.
    growth: Option<Growth>,
    /// A scan's length, 1 up: uniform over `scan_length`, or its ranks.
    scan_length: u32,
    scan_ranks: Option<KeyChooser>,
    scan_rng: SimRng,
    key_rng: SimRng,
    /// Locality decisions, transfer partners and which end of a transfer
    /// pays.
    partner_rng: SimRng,
    locality: f64,
    /// Accounts one `txn` writes.
    txn_keys: u32,
    /// TPC-C's transactions (`workload.tpcc`) shape `txn` and `multi_get`.
    tpcc: bool,
    /// Cumulative shares and their kinds.
    mix: Vec<(f64, OpKind)>,
    mix_rng: SimRng,
    sessions: u32,
    session_rng: SimRng,
}

impl crate::sim::Source for Workload {
    type Op = Operation;

    #[inline]
    fn peek(&self) -> Option<&Operation> {
        Workload::peek(self)
    }

    #[inline(always)]
    fn pop(&mut self) -> Option<Operation> {
        self.next_op()
    }
}

/// How clients wait for an answer: each attempt of an operation has
/// `timeout` to complete (`analytics_timeout` for analytics queries); a
/// client that times out gives the attempt up and tries again at once,
/// `retries` times, then counts the operation as timed out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientPolicy {
    /// `None`: clients wait as long as it takes.
    pub timeout: Option<SimDuration>,
    pub analytics_timeout: Option<SimDuration>,
    pub retries: u32,
}

impl From<ClientPolicy> for crate::sim::Patience {
    /// Timeout classes as [`Operation`]'s `timeout_class` numbers them.
    fn from(p: ClientPolicy) -> Self {
        crate::sim::Patience {
            timeouts: [p.timeout, p.analytics_timeout],
            retries: p.retries,
        }
    }
}

impl Workload {
    /// Operations arriving in `[0, end)`: generated, or replayed from the
    /// configuration's trace.
    pub fn new(config: &WorkloadConfig, streams: &Streams, end: SimTime) -> Workload {
        if let Some(trace) = &config.replay {
            return Workload::replay(trace, config, end);
        }
        Workload {
            source: Source::Generated(Box::new(Generator::new(config, streams, end))),
        }
    }

    /// A trace's operations, its first at instant 0 and the rest at their
    /// recorded distance from it divided by `speed`, up to `end`; read from
    /// the shared trace as the run goes, not copied.
    fn replay(trace: &std::sync::Arc<Trace>, config: &WorkloadConfig, end: SimTime) -> Workload {
        let mut replay = Replay {
            trace: trace.clone(),
            row: 0,
            next: None,
            space: KeySpace::new(config),
            first: trace.rows.first().map_or(SimTime::ZERO, |r| r.at),
            speed: config.speed,
            end,
        };
        replay.next = replay.draw();
        Workload {
            source: Source::Replayed(Box::new(replay)),
        }
    }

    /// Exactly these operations (sorted by start; equal starts keep their order).
    pub fn scripted(mut ops: Vec<Operation>) -> Workload {
        ops.sort_by_key(|o| o.start);
        Workload {
            source: Source::Scripted(ops.into()),
        }
    }

    /// Instant of the next arrival, if any remain.
    #[inline]
    pub fn peek_time(&self) -> Option<SimTime> {
        self.peek().map(|o| o.start)
    }

    /// The next operation, without taking it.
    #[inline]
    pub fn peek(&self) -> Option<&Operation> {
        match &self.source {
            Source::Generated(g) => g.next.as_ref(),
            Source::Replayed(r) => r.next.as_ref(),
            Source::Scripted(ops) => ops.front(),
        }
    }

    /// The next operation; `None` once the arrival window is over (small
    /// enough to inline into the run loop's every arrival, the drawing of
    /// the one after it out of line).
    #[inline(always)]
    pub fn next_op(&mut self) -> Option<Operation> {
        match &mut self.source {
            Source::Generated(g) => {
                let op = g.next.take()?;
                g.next = g.draw();
                Some(op)
            }
            Source::Replayed(r) => {
                let op = r.next.take()?;
                r.next = r.draw();
                Some(op)
            }
            Source::Scripted(ops) => ops.pop_front(),
        }
    }
}

impl Generator {
    fn new(config: &WorkloadConfig, streams: &Streams, end: SimTime) -> Generator {
        let streams = streams.scoped("workload");
        let mut acc = 0.0;
        let mix = config
            .mix
            .kinds()
            .map(|k| {
                acc += config.mix.share(k);
                (acc, k)
            })
            .collect();
        let space = KeySpace::new(config);
        let chooser = |n| KeyChooser::new(config.popularity, n);
        let mut generator = Generator {
            next: None,
            arrivals: Arrivals::new(config.rate, &config.phases, streams.stream("arrivals"), end),
            space,
            plain: chooser(space.plain),
            accounts: chooser(space.accounts),
            items: chooser(space.items),
            counters: chooser(space.counters),
            documents: chooser(space.documents.max(1)),
            growth: (config.mix.share(OpKind::Insert) > 0.0)
                .then(|| Growth::new(config.popularity, config.keys, config.inserts)),
            scan_length: config.scan_length,
            scan_ranks: (config.scan_lengths == ScanLengths::Zipfian)
                .then(|| KeyChooser::new(Popularity::Zipf(0.99), u64::from(config.scan_length))),
            scan_rng: streams.stream("scans"),
            key_rng: streams.stream("keys"),
            partner_rng: streams.stream("partners"),
            locality: config.locality,
            txn_keys: config.txn_keys,
            tpcc: config.tpcc,
            mix,
            mix_rng: streams.stream("mix"),
            sessions: config.sessions,
            session_rng: streams.stream("sessions"),
        };
        generator.next = generator.draw();
        generator
    }

    #[inline(never)]
    fn draw(&mut self) -> Option<Operation> {
        let start = self.arrivals.pop()?;
        let kind = if self.mix.len() == 1 {
            self.mix[0].1
        } else {
            let u: f64 = self.mix_rng.random();
            let last = self.mix.len() - 1;
            self.mix[self.mix.iter().position(|(c, _)| u < *c).unwrap_or(last)].1
        };
        let s = self.space;
        let (key, other) = match (kind, &mut self.growth) {
            (OpKind::Insert, Some(g)) => (g.insert(), 0),
            (OpKind::Get | OpKind::Put, Some(g)) => (g.sample(&mut self.key_rng), 0),
            (OpKind::Scan, growth) => {
                let (first, end) = match growth {
                    Some(g) => (g.sample(&mut self.key_rng), g.loaded()),
                    None => (self.plain.sample(&mut self.key_rng), s.plain),
                };
                let len = match &mut self.scan_ranks {
                    Some(ranks) => ranks.sample(&mut self.scan_rng) + 1,
                    None => self.scan_rng.random_range(1..=u64::from(self.scan_length)),
                };
                (first, len.min(end.saturating_sub(first)))
            }
            _ => self.key(kind),
        };
        let session = self.session_rng.random_range(0..self.sessions);
        let key = match kind {
            OpKind::SessionGet | OpKind::SessionPut => s.session(session),
            _ => key,
        };
        Some(Operation {
            kind,
            key,
            other,
            session,
            start,
        })
    }

    /// The key (and `other`) of an operation of `kind` on the fixed key
    /// space.
    fn key(&mut self, kind: OpKind) -> (u64, u64) {
        let s = self.space;
        match kind {
            OpKind::Get
            | OpKind::Put
            | OpKind::Insert
            | OpKind::Scan
            | OpKind::Analytics
            | OpKind::Probe
            | OpKind::Search => (self.plain.sample(&mut self.key_rng), 0),
            OpKind::Rmw => (s.counter(self.counters.sample(&mut self.key_rng)), 0),
            OpKind::Reserve => (s.item(self.items.sample(&mut self.key_rng)), 0),
            OpKind::DocGet | OpKind::DocPut => {
                (s.document(self.documents.sample(&mut self.key_rng)), 0)
            }
            // Filled in below, from the session.
            OpKind::SessionGet | OpKind::SessionPut => (0, 0),
            OpKind::Transfer => {
                let a = self.accounts.sample(&mut self.key_rng);
                let b = self.partner(a);
                // A fair coin picks the end that pays, so every account is
                // debited as often as it is credited, in expectation: popular
                // accounts see more traffic both ways, and none drains.
                let (from, to) = if self.partner_rng.random_bool(0.5) {
                    (a, b)
                } else {
                    (b, a)
                };
                (s.account(from), s.account(to))
            }
            // TPC-C's reads (Order-Status, Stock-Level) stay in their
            // warehouse.
            OpKind::MultiGet if self.tpcc => {
                let first = self.accounts.sample(&mut self.key_rng);
                (s.account(first), 1)
            }
            OpKind::MultiGet => {
                let first = self.accounts.sample(&mut self.key_rng);
                let same_group = self.partner_rng.random_bool(self.locality);
                (s.account(first), u64::from(same_group))
            }
            OpKind::Txn if self.tpcc => {
                let first = self.accounts.sample(&mut self.key_rng);
                let shape = tpcc::txn(&mut self.partner_rng, s.groups);
                (s.account(first), shape.encode())
            }
            OpKind::Txn => {
                // Its accounts follow the first as a multi_get's do; a
                // uniform draw picks the one that pays, so every account
                // pays as often as it is paid, in expectation.
                let first = self.accounts.sample(&mut self.key_rng);
                let same_group = self.partner_rng.random_bool(self.locality);
                let payer = self.partner_rng.random_range(0..self.txn_keys);
                let shape = TxnShape {
                    keys: self.txn_keys,
                    same_group,
                    payer,
                    remote: 0,
                };
                (s.account(first), shape.encode())
            }
        }
    }

    /// The other end of a transfer whose first end, `from`, was drawn by
    /// popularity: in `from`'s group with probability `locality` (uniformly
    /// among its other members), else by popularity in another group. Falls
    /// back to any other account when the group has no other member, or to
    /// another group when there is one.
    fn partner(&mut self, from: u64) -> u64 {
        let (n, groups) = (self.space.accounts, self.space.groups);
        if n < 2 {
            return from;
        }
        let group = from % groups;
        let members = (n - group).div_ceil(groups);
        if self.partner_rng.random_bool(self.locality) && members > 1 {
            let mut j = self.partner_rng.random_range(0..members - 1);
            if j >= from / groups {
                j += 1;
            }
            return group + j * groups;
        }
        if groups > 1 {
            for _ in 0..8 {
                let to = self.accounts.sample(&mut self.partner_rng);
                if to % groups != group {
                    return to;
                }
            }
        }
        // Rare: eight popular picks all fell in `from`'s group.
        let mut to = self.partner_rng.random_range(0..n - 1);
        if to >= from {
            to += 1;
        }
        to
    }
}
