//! Stage 1, the Single System: every operation goes to one primary database.
//!
//! Request path, in protocol order:
//! 1. the client sends the request to the primary (one network hop);
//! 2. the primary queues it for a core and serves it (`db.read` or
//!    `db.write` of CPU time);
//! 3. the primary answers (one hop back) and the client records the latency
//!    from the operation's intended start.

use std::collections::BTreeMap;

use super::Components;
use crate::dist::Dist;
use crate::metrics::{ComponentStats, Outcome, Window};
use crate::model::{Network, Station};
use crate::scenario::{ArchitectureConfig, Scenario};
use crate::sim::{Architecture, Context, OpId, SimDuration, SimRng, Streams};

/// The single-database architecture.
pub struct Single {
    network: Network,
    primary: Station<OpId>,
    read: Dist,
    write: Dist,
    service_rng: SimRng,
}

#[derive(Clone, Copy, Debug)]
pub enum Event {
    /// The request reaches the primary.
    AtPrimary(OpId),
    /// The primary finishes serving the operation.
    Served(OpId),
    /// The answer reaches the client.
    Answered(OpId),
}

type Ctx<'a> = Context<'a, Event>;

impl Single {
    pub fn new(
        config: &ArchitectureConfig,
        scenario: &Scenario,
        streams: &Streams,
        window: Window,
    ) -> Single {
        Single {
            network: Network::new(scenario.network.hop.clone(), streams.stream("network")),
            primary: Station::new(config.db.cores, window),
            read: config.db.read.clone(),
            write: config.db.write.clone(),
            service_rng: streams.stream("db/service"),
        }
    }

    /// Sends a message and delivers `event` when it lands (at once when the
    /// hop takes no time, which keeps pure queueing scenarios lean).
    fn hop(&mut self, event: Event, ctx: &mut Ctx<'_>) {
        let delay = self.network.send();
        if delay == SimDuration::ZERO {
            self.on_event(event, ctx);
        } else {
            ctx.schedule_in(delay, event);
        }
    }

    fn at_primary(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        let demand = if ctx.op(op).kind.is_write() {
            &self.write
        } else {
            &self.read
        };
        let service = demand.sample(&mut self.service_rng);
        if let Some(started) = self.primary.enter(ctx.now(), op, service) {
            ctx.schedule_at(started.done_at, Event::Served(started.job));
        }
    }

    fn served(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        if let Some(next) = self.primary.leave(ctx.now()) {
            ctx.schedule_at(next.done_at, Event::Served(next.job));
        }
        self.hop(Event::Answered(op), ctx);
    }
}

impl Architecture for Single {
    type Event = Event;

    fn on_arrival(&mut self, op: OpId, ctx: &mut Ctx<'_>) {
        self.hop(Event::AtPrimary(op), ctx);
    }

    fn on_event(&mut self, event: Event, ctx: &mut Ctx<'_>) {
        match event {
            Event::AtPrimary(op) => self.at_primary(op, ctx),
            Event::Served(op) => self.served(op, ctx),
            Event::Answered(op) => ctx.complete(op, Outcome::Ok),
        }
    }
}

impl Components for Single {
    fn components(&self) -> BTreeMap<String, ComponentStats> {
        BTreeMap::from([("db".to_string(), self.primary.stats())])
    }
}
