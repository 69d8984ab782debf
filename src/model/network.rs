//! The network between components: every message takes one hop whose
//! one-way delay is drawn from the scenario's `[network] hop` distribution.

use crate::dist::Dist;
use crate::sim::{SimDuration, SimRng};

#[derive(Clone, Debug)]
pub struct Network {
    hop: Dist,
    rng: SimRng,
    /// Messages sent, all run long.
    messages: u64,
}

impl Network {
    pub fn new(hop: Dist, rng: SimRng) -> Network {
        Network {
            hop,
            rng,
            messages: 0,
        }
    }

    /// Sends one message; returns its one-way delay.
    #[inline]
    pub fn send(&mut self) -> SimDuration {
        self.messages += 1;
        self.hop.sample(&mut self.rng)
    }

    pub fn messages(&self) -> u64 {
        self.messages
    }
}
