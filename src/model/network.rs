//! The network between components: every message takes one hop. Messages
//! between servers draw their one-way delay from `[network] hop`; messages
//! between a client and a server from `client_hop` (by default the same
//! distribution). Both draw from one random stream, in send order.

use crate::dist::Dist;
use crate::scenario::NetworkConfig;
use crate::sim::{SimDuration, SimRng};

#[derive(Clone, Debug)]
pub struct Network {
    hop: Dist,
    client_hop: Dist,
    rng: SimRng,
    /// Messages sent, all run long.
    messages: u64,
}

impl Network {
    pub fn new(config: &NetworkConfig, rng: SimRng) -> Network {
        Network {
            hop: config.hop.clone(),
            client_hop: config
                .client_hop
                .clone()
                .unwrap_or_else(|| config.hop.clone()),
            rng,
            messages: 0,
        }
    }

    /// Sends one message between two servers; returns its one-way delay.
    #[inline]
    pub fn send(&mut self) -> SimDuration {
        self.messages += 1;
        self.hop.sample(&mut self.rng)
    }

    /// Sends one message between a client and a server; returns its one-way
    /// delay.
    #[inline]
    pub fn client(&mut self) -> SimDuration {
        self.messages += 1;
        self.client_hop.sample(&mut self.rng)
    }

    /// Messages sent so far.
    pub fn messages(&self) -> u64 {
        self.messages
    }
}
