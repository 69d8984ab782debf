//! The network between components: every message takes one hop. Messages
//! between servers draw their one-way delay from `[network] hop`; messages
//! between a client and a server from `client_hop` (by default the same
//! distribution). Both draw from one random stream, in send order. A leg
//! whose delay is "0s" is a local call, not a network message: it is not
//! counted.

use crate::dist::Dist;
use crate::scenario::NetworkConfig;
use crate::sim::{SimDuration, SimRng};

#[derive(Clone, Debug)]
pub struct Network {
    hop: Dist,
    client_hop: Dist,
    /// The client sits next to the servers it calls ("0s"), and servers
    /// next to each other.
    client_local: bool,
    local: bool,
    rng: SimRng,
    /// Messages sent, all run long.
    messages: u64,
}

impl Network {
    pub fn new(config: &NetworkConfig, rng: SimRng) -> Network {
        let client_hop = config
            .client_hop
            .clone()
            .unwrap_or_else(|| config.hop.clone());
        Network {
            local: config.hop.is_zero(),
            client_local: client_hop.is_zero(),
            hop: config.hop.clone(),
            client_hop,
            rng,
            messages: 0,
        }
    }

    /// Sends one message between two servers; returns its one-way delay.
    #[inline]
    pub fn send(&mut self) -> SimDuration {
        self.messages += u64::from(!self.local);
        self.hop.sample(&mut self.rng)
    }

    /// Sends one message between a client and a server; returns its one-way
    /// delay.
    #[inline]
    pub fn client(&mut self) -> SimDuration {
        self.messages += u64::from(!self.client_local);
        self.client_hop.sample(&mut self.rng)
    }

    /// Whether client legs are local calls (not messages).
    pub fn client_local(&self) -> bool {
        self.client_local
    }

    /// Whether server legs are local calls (not messages).
    pub fn local(&self) -> bool {
        self.local
    }

    /// Messages sent so far.
    pub fn messages(&self) -> u64 {
        self.messages
    }
}
