//! A Raft group (Ongaro and Ousterhout, "In Search of an Understandable
//! Consensus Algorithm", 2014): one partition's replicas, one of them the
//! leader. The leader appends an entry to its log — forcing it to disk if
//! `fsync` is on, in parallel with sending AppendEntries (thesis §10.2.1) —
//! each follower appends it (forcing it too) and answers, and the entry
//! commits when a majority of the group, the leader included, has it
//! durable, and not before every earlier entry has committed (the commit
//! index only moves forward). A round costs 2(n − 1) messages.
//!
//! Each replica's log device forces one batch at a time, as a database's
//! write-ahead log does: entries that reach it while a force is under way
//! share the next one (group commit, [`SerialLog`]).
//!
//! Links between the leader and a follower deliver in order (one TCP
//! connection each way), and a follower's log is written in order, so each
//! instant below is also held behind the same instant of the previous
//! entry. With all of this fixed by the draws, the commit instant follows
//! at once when the entry is appended: the group needs no events of its
//! own, the architecture schedules the commit.
//!
//! Appending is not applying: each replica applies a committed entry to
//! its state machine after it learns of the commit, off the commit path;
//! the architecture charges that work to the follower's node.
//!
//! Leadership: after the leader is lost its followers elect another
//! (`model::election`: randomised timeouts, terms, RequestVote, split
//! votes), and the new leader serves once the old leader's lease has run
//! out; meanwhile the partition takes no writes. The group keeps the term
//! and who leads; the architecture runs the election.

use super::DeviceClock;
use super::election::Term;
use crate::sim::{SimDuration, SimTime};

/// A log that forces one batch at a time, in closed form for records that
/// reach it in time order: a record arriving when no force is under way
/// starts one; one arriving during a force waits for the next, which starts
/// when that one ends (or when its device takes it) and takes every record
/// that arrived meanwhile. A record that arrives before a force its device
/// made wait has begun joins it, unless it would make it longer (see
/// `DeviceClock::fits`): then it waits for the force after it.
#[derive(Clone, Copy, Debug, Default)]
pub struct SerialLog {
    /// The latest force: when it starts and when it ends.
    start: SimTime,
    end: SimTime,
    /// Records in the latest force.
    records: usize,
    /// The device the log is forced to.
    device: DeviceClock,
}

impl SerialLog {
    /// An empty log forced to `device`.
    pub fn on(device: DeviceClock) -> SerialLog {
        SerialLog {
            device,
            ..SerialLog::default()
        }
    }

    /// A record reaches the log at `at` (no earlier than the previous one);
    /// `force` draws the length of a force when one must start. Returns when
    /// the record is durable.
    pub fn append(&mut self, at: SimTime, force: impl FnOnce() -> SimDuration) -> SimTime {
        if at >= self.start && at < self.end {
            // A force is under way: the next one starts when it ends.
            (self.start, self.end) = self.device.flush(self.end, 1, force());
            self.records = 1;
        } else if at >= self.end {
            (self.start, self.end) = self.device.flush(at, 1, force());
            self.records = 1;
        } else if self.device.fits(self.start, self.end, self.records + 1) {
            // Before the next force begins: it takes this record too.
            self.records += 1;
        } else {
            (self.start, self.end) = self.device.flush(self.end, 1, force());
            self.records = 1;
        }
        self.end
    }
}

/// The in-order instants of one follower's link and log.
#[derive(Clone, Copy, Debug, Default)]
struct Follower {
    /// The previous entry's AppendEntries arrival and acknowledgement
    /// arrival back at the leader.
    arrived: SimTime,
    acked: SimTime,
    log: SerialLog,
}

/// What [`RaftGroup::append`] asks its caller to draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Draw {
    /// One message's one-way delay.
    Hop,
    /// One log force ("0s" when fsync is off).
    Fsync,
}

/// When an appended entry commits, and what its round cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Round {
    pub commit: SimTime,
    /// AppendEntries and their answers: 2(n − 1).
    pub messages: u32,
    /// Log forces: one per replica when `fsync` is on.
    pub forced_writes: u32,
}

/// One partition's replicas, placed on nodes, with a leader.
#[derive(Clone, Debug)]
pub struct RaftGroup {
    /// The node of each replica.
    nodes: Vec<u32>,
    leader: usize,
    /// The current term: 1 for the first leader, and the elected leader's
    /// term after each election.
    term: Term,
    followers: Vec<Follower>,
    leader_log: SerialLog,
    committed: SimTime,
    /// The leader serves from this instant (after an election).
    serving_from: SimTime,
    /// Acknowledgements scratch space (majority selection).
    acks: Vec<SimTime>,
}

impl RaftGroup {
    /// A group whose replicas sit on `nodes`, the first one leading, each
    /// forcing its log to a device like `device`.
    pub fn new(nodes: Vec<u32>, device: DeviceClock) -> RaftGroup {
        assert!(!nodes.is_empty(), "a group has a replica");
        let n = nodes.len();
        let follower = Follower {
            log: SerialLog::on(device),
            ..Follower::default()
        };
        RaftGroup {
            nodes,
            leader: 0,
            term: 1,
            followers: vec![follower; n],
            leader_log: SerialLog::on(device),
            committed: SimTime::ZERO,
            serving_from: SimTime::ZERO,
            acks: Vec::with_capacity(n),
        }
    }

    /// The node the leader runs on.
    pub fn leader_node(&self) -> u32 {
        self.nodes[self.leader]
    }

    /// The nodes of the followers.
    pub fn follower_nodes(&self) -> impl Iterator<Item = u32> + '_ {
        let leader = self.leader;
        self.nodes
            .iter()
            .enumerate()
            .filter(move |(i, _)| *i != leader)
            .map(|(_, n)| *n)
    }

    pub fn replicas(&self) -> usize {
        self.nodes.len()
    }

    /// Replicas that must have an entry for it to commit.
    pub fn majority(&self) -> usize {
        self.nodes.len() / 2 + 1
    }

    /// The leader appends an entry now; `draw` gives each message delay
    /// and log force. Returns the round.
    pub fn append(&mut self, now: SimTime, mut draw: impl FnMut(Draw) -> SimDuration) -> Round {
        let mut forced = 0;
        let leader_durable = self.leader_log.append(now, || draw(Draw::Fsync));
        forced += u32::from(leader_durable > now);
        self.acks.clear();
        for (i, f) in self.followers.iter_mut().enumerate() {
            if i == self.leader {
                continue;
            }
            f.arrived = (now + draw(Draw::Hop)).max(f.arrived);
            let durable = f.log.append(f.arrived, || draw(Draw::Fsync));
            forced += u32::from(durable > f.arrived);
            f.acked = (durable + draw(Draw::Hop)).max(f.acked);
            self.acks.push(f.acked);
        }
        // The majority's last member: the leader plus the fastest
        // majority − 1 followers.
        let need = self.majority() - 1;
        let quorum = if need == 0 {
            leader_durable
        } else {
            self.acks.select_nth_unstable(need - 1);
            self.acks[need - 1].max(leader_durable)
        };
        self.committed = quorum.max(self.committed);
        Round {
            commit: self.committed,
            messages: 2 * (self.nodes.len() as u32 - 1),
            forced_writes: forced,
        }
    }

    /// Whether the leader serves now (no election under way).
    pub fn serving(&self, now: SimTime) -> bool {
        now >= self.serving_from
    }

    /// When the leader serves again.
    pub fn serving_from(&self) -> SimTime {
        self.serving_from
    }

    /// The leader serves no earlier than `at` (its election needs a
    /// majority up).
    pub fn serve_from(&mut self, at: SimTime) {
        self.serving_from = self.serving_from.max(at);
    }

    /// The current term.
    pub fn term(&self) -> Term {
        self.term
    }

    /// The replica (an index into the group) that leads.
    pub fn leader(&self) -> usize {
        self.leader
    }

    /// The node of replica `i`.
    pub fn node(&self, i: usize) -> u32 {
        self.nodes[i]
    }

    /// When replica `i` last heard from the leader through an entry's
    /// AppendEntries (`SimTime::ZERO` before any, and for the leader).
    pub fn last_append(&self, i: usize) -> SimTime {
        if i == self.leader {
            SimTime::ZERO
        } else {
            self.followers[i].arrived
        }
    }

    /// Replica `leader` won the election of `term` and serves from
    /// `serving_from` (after the old lease).
    pub fn elected(&mut self, leader: usize, term: Term, serving_from: SimTime) {
        self.leader = leader;
        self.term = term;
        self.serving_from = serving_from;
    }

    /// No leader was elected: the partition serves no more.
    pub fn leaderless(&mut self) {
        self.serving_from = crate::sim::FOREVER;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: SimDuration = SimDuration(100_000);
    const F: SimDuration = SimDuration(1_000_000);

    #[test]
    fn a_log_forces_one_batch_at_a_time() {
        let mut log = SerialLog::default();
        let t = |ms: u64| SimTime(ms * 1_000_000);
        // Idle: the record starts a force of F (1 ms).
        assert_eq!(log.append(t(0), || F), t(1));
        // During it: both wait for the next force, from 1 ms to 2 ms; the
        // second joins it without a force of its own.
        assert_eq!(log.append(t(0) + D, || F), t(2));
        assert_eq!(log.append(t(0) + D + D, || unreachable!()), t(2));
        // Idle again at 5 ms.
        assert_eq!(log.append(t(5), || F), t(6));
    }

    fn constant(hop: SimDuration, fsync: SimDuration) -> impl FnMut(Draw) -> SimDuration {
        move |d| match d {
            Draw::Hop => hop,
            Draw::Fsync => fsync,
        }
    }

    #[test]
    fn three_replicas_commit_after_one_round_trip_and_a_force() {
        let mut g = RaftGroup::new(vec![0, 1, 2], DeviceClock::default());
        let r = g.append(SimTime(0), constant(D, F));
        // Leader force (F) in parallel with D + F + D at the followers.
        assert_eq!(r.commit, SimTime(0) + D + F + D);
        assert_eq!(r.messages, 4);
        assert_eq!(r.forced_writes, 3);
        let later = g.append(SimTime(10_000_000), constant(D, SimDuration::ZERO));
        assert_eq!(later.commit, SimTime(10_000_000) + D + D);
        assert_eq!(later.forced_writes, 0);
    }

    #[test]
    fn the_commit_index_only_moves_forward() {
        let mut g = RaftGroup::new(vec![0, 1, 2], DeviceClock::default());
        let slow = g.append(
            SimTime(0),
            constant(SimDuration(5_000_000), SimDuration::ZERO),
        );
        let fast = g.append(SimTime(1), constant(SimDuration(1), SimDuration::ZERO));
        assert!(fast.commit >= slow.commit, "{fast:?} before {slow:?}");
    }

    #[test]
    fn a_single_replica_commits_when_its_own_log_is_durable() {
        let mut g = RaftGroup::new(vec![4], DeviceClock::default());
        let r = g.append(SimTime(0), constant(D, F));
        assert_eq!((r.commit, r.messages), (SimTime(0) + F, 0));
    }

    #[test]
    fn an_elected_leader_serves_from_the_instant_given() {
        let mut g = RaftGroup::new(vec![0, 1, 2], DeviceClock::default());
        assert_eq!((g.term(), g.leader()), (1, 0));
        let back = SimTime(0) + SimDuration::from_secs(5);
        g.elected(1, 3, back);
        assert_eq!((g.term(), g.leader_node()), (3, 1));
        assert!(!g.serving(SimTime(1)) && g.serving(back));
    }
}
