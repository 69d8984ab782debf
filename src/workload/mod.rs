//! The workload generator: open-loop arrivals, key popularity, the operation
//! mix and sessions. It draws only from its own streams (`workload/...`), so
//! every architecture in a scenario receives exactly the same operations at
//! the same instants.

mod arrivals;
mod op;
mod popularity;

pub use arrivals::Arrivals;
pub use op::{OpKind, Operation};
pub use popularity::{KeyChooser, Popularity};

use rand::RngExt;

use crate::scenario::WorkloadConfig;
use crate::sim::{SimRng, SimTime, Streams};

/// Generates the operation stream of one replication, in time order.
pub struct Workload {
    arrivals: Arrivals,
    keys: KeyChooser,
    key_rng: SimRng,
    /// Cumulative shares and their kinds.
    mix: Vec<(f64, OpKind)>,
    mix_rng: SimRng,
    sessions: u32,
    session_rng: SimRng,
}

impl Workload {
    /// Operations arriving in `[0, end)`.
    pub fn new(config: &WorkloadConfig, streams: &Streams, end: SimTime) -> Workload {
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
        Workload {
            arrivals: Arrivals::new(config.rate, &config.phases, streams.stream("arrivals"), end),
            keys: KeyChooser::new(config.popularity, config.keys),
            key_rng: streams.stream("keys"),
            mix,
            mix_rng: streams.stream("mix"),
            sessions: config.sessions,
            session_rng: streams.stream("sessions"),
        }
    }

    /// Instant of the next arrival, if any remain.
    #[inline]
    pub fn peek_time(&self) -> Option<SimTime> {
        self.arrivals.peek()
    }

    /// The next operation; `None` once the arrival window is over.
    #[inline]
    pub fn next_op(&mut self) -> Option<Operation> {
        let start = self.arrivals.pop()?;
        let kind = if self.mix.len() == 1 {
            self.mix[0].1
        } else {
            let u: f64 = self.mix_rng.random();
            let last = self.mix.len() - 1;
            self.mix[self.mix.iter().position(|(c, _)| u < *c).unwrap_or(last)].1
        };
        Some(Operation {
            kind,
            key: self.keys.sample(&mut self.key_rng),
            session: self.session_rng.random_range(0..self.sessions),
            start,
        })
    }
}
