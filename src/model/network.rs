//! The network between components: every message takes one hop. Messages
//! between servers draw their one-way delay from `[network] hop`; messages
//! between a client and a server from `client_hop` (by default the same
//! distribution). Both draw from one random stream, in send order. A leg
//! whose delay is "0s" is a local call, not a network message: it is not
//! counted.

use documented::DocumentedFields;
use serde::{Deserialize, Serialize};

use crate::dist::Dist;
use crate::sim::{SimDuration, SimRng};

/// `[network]`: delays between components.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, DocumentedFields)]
#[serde(deny_unknown_fields, default)]
pub struct NetworkConfig {
    /// One-way delay of one message inside a zone. Default "lognormal(p50=150us, p99=500us)" (RTT p50 ≈ 0.3 ms: etcd performance guide; Redis latency docs). Use "0s" to study a database station alone.
    pub hop: Dist,
    /// One-way delay between a client (the application) and the first server it talks to: a cache, a database or shard, the coordinator, a partition's leader. Default: `hop`. "0s" puts the client next to that server (an embedded client, an in-process transaction manager), as the closed-form commit latencies assume. In single, polyglot and sharded every message is such a client leg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_hop: Option<Dist>,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            hop: Dist::parse("lognormal(p50=150us, p99=500us)").expect("valid default"),
            client_hop: None,
        }
    }
}

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
