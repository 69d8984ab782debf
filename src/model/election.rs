//! Leader election in a Raft group, as Ongaro and Ousterhout describe it
//! ("In Search of an Understandable Consensus Algorithm", USENIX ATC 2014,
//! §5.2, with the voting restriction of §5.4.1).
//!
//! Every server is a Follower, a Candidate or the Leader, and knows a
//! current Term. A Follower that hears nothing from a leader for its
//! election timeout — drawn afresh, uniformly from a range, each time its
//! timer starts — becomes a Candidate: it increments its term, votes for
//! itself and sends RequestVote to every other server, persisting term and
//! vote while the requests travel. A
//! server grants at most one vote per term, first come first served, and
//! only to a candidate whose log is at least as up-to-date as its own; it
//! persists the vote before answering, and restarts its timer when it
//! grants one. A Candidate that gathers votes from a majority becomes
//! Leader and sends AppendEntries (empty heartbeats) to assert itself; a
//! Candidate that hears from a leader of its term, or any server that sees
//! a higher term in a message, steps down to Follower. When several
//! Followers time out at once, each votes for itself and no one reaches a
//! majority: a split vote; their timers run out again and a new term
//! begins. The randomness of the timeouts is what makes that rare (§5.2).
//!
//! [`elect`] runs one election, from the instant the old leader is lost
//! until a leader is settled (every server that is up follows it in its
//! term), as a small discrete-event simulation of its own: its events are
//! the servers' timers and the messages between them, ordered by (instant,
//! order of scheduling). It draws every message delay, every persist and
//! every timeout from the one random stream it is given, in event order,
//! so an election is reproducible from its seed.
//!
//! Simplifications, stated: a message to a server that is down is lost
//! (the sender's next timeout retries); a server is down from the start
//! until its `up_from` and up from then on (it does not fail during the
//! election); a leader's log entries play no part beyond the last entry's
//! (term, index) that voters compare.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};
use std::fmt;
use std::str::FromStr;

use rand::RngExt;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::dist::{Dist, Spec};
use crate::sim::{SimDuration, SimRng, SimTime};

/// A Raft term: a number that only grows; each begins with an election.
pub type Term = u64;

/// Where a server stands in the election (Raft Figure 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Follower,
    Candidate,
    Leader,
}

/// The range election timeouts are drawn from, uniformly, a fresh draw each
/// time a server's timer starts: "150ms..300ms" (the Raft paper's
/// recommendation, §9.3), or one duration, "150ms", for no randomness at
/// all. `uniform(150ms, 300ms)` is read as the range too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ElectionTimeout {
    /// Shortest and longest timeout.
    pub low: SimDuration,
    pub high: SimDuration,
}

impl ElectionTimeout {
    /// From `low` to `high`; refused when `low` is 0 or above `high`.
    pub fn new(low: SimDuration, high: SimDuration) -> Result<ElectionTimeout, String> {
        if low.is_zero() {
            return Err(format!(
                "expected an election timeout longer than 0 (a follower waits that long without \
                 hearing from a leader before it stands), found {low}"
            ));
        }
        if low > high {
            return Err(format!(
                "the election timeout's range runs from its shortest to its longest timeout, \
                 found {low}..{high}; write \"{high}..{low}\""
            ));
        }
        Ok(ElectionTimeout { low, high })
    }

    /// One timeout, uniform over the range in whole nanoseconds (no draw
    /// when the range is a single duration).
    pub fn draw(&self, rng: &mut SimRng) -> SimDuration {
        if self.low == self.high {
            return self.low;
        }
        SimDuration(rng.random_range(self.low.as_nanos()..=self.high.as_nanos()))
    }

    /// Its spread: the longest timeout less the shortest.
    pub fn spread(&self) -> SimDuration {
        SimDuration(self.high.as_nanos() - self.low.as_nanos())
    }
}

impl Default for ElectionTimeout {
    /// 150–300 ms, the Raft paper's recommended conservative choice (§9.3).
    fn default() -> Self {
        ElectionTimeout {
            low: SimDuration::from_millis(150),
            high: SimDuration::from_millis(300),
        }
    }
}

impl fmt::Display for ElectionTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.low == self.high {
            write!(f, "{}", self.low)
        } else {
            write!(f, "{}..{}", self.low, self.high)
        }
    }
}

impl FromStr for ElectionTimeout {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let expected = "expected an election timeout range such as \"150ms..300ms\" (each \
                        timeout drawn uniformly between the two), or one duration such as \
                        \"150ms\" (no randomness)";
        let duration = |s: &str| -> Result<SimDuration, String> {
            s.trim()
                .parse::<SimDuration>()
                .map_err(|e| format!("{expected}: {e}"))
        };
        let (low, high) = if let Some((a, b)) = text.split_once("..") {
            (duration(a)?, duration(b)?)
        } else if text.trim_start().starts_with("uniform") {
            match Dist::parse(text).map(|d| d.spec().clone()) {
                Ok(Spec::Uniform { low, high }) => (
                    SimDuration(low.round() as u64),
                    SimDuration(high.round() as u64),
                ),
                Ok(_) => return Err(expected.to_string()),
                Err(e) => return Err(format!("{expected}: {e}")),
            }
        } else {
            let d = duration(text)?;
            (d, d)
        };
        ElectionTimeout::new(low, high)
    }
}

impl Serialize for ElectionTimeout {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for ElectionTimeout {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// One server of the group as the election finds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Server {
    /// From when it is up: at or before the start, or later when it is down
    /// then (`FOREVER`: it never comes back). The old leader is down.
    pub up_from: SimTime,
    /// When it last heard from the old leader (a heartbeat or an entry):
    /// its election timer runs from then, or from `up_from` if later.
    pub last_heard: SimTime,
    /// Its log's last entry, (term, index): a voter grants its vote only to
    /// a candidate whose last entry is at least as up-to-date (§5.4.1).
    pub last_log: (Term, u64),
}

/// The group's timing.
#[derive(Clone, Copy, Debug)]
pub struct Timing<'a> {
    /// Where election timeouts are drawn from.
    pub timeout: ElectionTimeout,
    /// The leader's heartbeat interval: a new leader sends AppendEntries at
    /// once and then every `heartbeat` (shorter than the shortest timeout).
    pub heartbeat: SimDuration,
    /// One message's one-way delay.
    pub hop: &'a Dist,
    /// Persisting a term and vote (a forced write; "0s" with no forced
    /// log): a voter's before it answers, a candidate's while its requests
    /// travel. A broadcast time — a request out, the vote's persist and the
    /// answer back — is hop + persist + hop.
    pub persist: &'a Dist,
}

/// What an election came to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The settled leader (an index into the servers), none if no leader
    /// settled before the election gave up.
    pub leader: Option<usize>,
    /// When the settled leader won its majority.
    pub elected: Option<SimTime>,
    /// The settled leader's term (the last term reached, without one).
    pub term: Term,
    /// Terms in which some server stood as a Candidate.
    pub rounds: u32,
    /// Of those, terms no one won: split votes (or votes lost to a down
    /// majority).
    pub split_votes: u32,
    /// RequestVote messages and their answers.
    pub messages: u64,
    /// Every server that became leader, with its term and when: a term
    /// appears at most once (Election Safety, Raft Figure 3).
    pub leaders: Vec<(Term, usize, SimTime)>,
}

impl Outcome {
    /// How long from `lost` (the old leader's loss) until the settled
    /// leader was elected: detection and every election round.
    pub fn downtime(&self, lost: SimTime) -> Option<SimDuration> {
        self.elected.map(|t| t.since(lost))
    }
}

/// What travels between servers, and the timers that fire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    /// Server `server`'s election timer runs out (ignored when the timer
    /// was restarted since: `generation` differs).
    Timeout { server: usize, generation: u64 },
    /// A Candidate asks `voter` for its vote in `term`.
    RequestVote {
        candidate: usize,
        voter: usize,
        term: Term,
        last_log: (Term, u64),
    },
    /// `voter`'s answer, with its current term.
    Vote {
        voter: usize,
        candidate: usize,
        term: Term,
        granted: bool,
    },
    /// A leader's heartbeat reaches `follower`.
    AppendEntries {
        leader: usize,
        follower: usize,
        term: Term,
    },
    /// A refusal of an AppendEntries from an older term, with the
    /// follower's term: the stale leader steps down.
    Refused { leader: usize, term: Term },
    /// A leader's next heartbeat is due.
    Heartbeat { leader: usize, term: Term },
}

/// A server's volatile and persistent election state.
#[derive(Clone, Copy, Debug)]
struct Node {
    state: State,
    term: Term,
    voted_for: Option<usize>,
    votes: usize,
    leader: Option<usize>,
    /// The current timer's generation.
    timer: u64,
    up_from: SimTime,
    last_log: (Term, u64),
}

/// One election in progress.
struct Election<'a, 'r> {
    nodes: Vec<Node>,
    queue: BinaryHeap<Reverse<(SimTime, u64, Event)>>,
    seq: u64,
    timing: Timing<'a>,
    rng: &'r mut SimRng,
    stood: BTreeSet<Term>,
    won: BTreeSet<Term>,
    messages: u64,
    leaders: Vec<(Term, usize, SimTime)>,
}

/// Runs the election that follows the loss of a leader of `term` at
/// `lost`, among `servers`, drawing from `rng`, until a leader settles or
/// the next event would come after `give_up`. With no server up, or none
/// ever up with a majority, no leader settles.
pub fn elect(
    lost: SimTime,
    term: Term,
    servers: &[Server],
    timing: Timing<'_>,
    rng: &mut SimRng,
    give_up: SimTime,
) -> Outcome {
    let mut e = Election {
        nodes: servers
            .iter()
            .map(|s| Node {
                state: State::Follower,
                term,
                voted_for: None,
                votes: 0,
                leader: None,
                timer: 0,
                up_from: s.up_from,
                last_log: s.last_log,
            })
            .collect(),
        queue: BinaryHeap::new(),
        seq: 0,
        timing,
        rng,
        stood: BTreeSet::new(),
        won: BTreeSet::new(),
        messages: 0,
        leaders: Vec::new(),
    };
    for (i, s) in servers.iter().enumerate() {
        e.restart_timer(i, s.last_heard.max(s.up_from));
    }
    // Nothing happens before the loss: a timer the old leader's last
    // heartbeat should have reset cannot have run out before it.
    e.queue = std::mem::take(&mut e.queue)
        .into_iter()
        .map(|Reverse((t, seq, ev))| Reverse((t.max(lost), seq, ev)))
        .collect();
    let mut settled = None;
    while let Some(Reverse((now, _, event))) = e.queue.pop() {
        if now > give_up {
            break;
        }
        e.handle(now, event);
        if let Some(leader) = e.settled(now) {
            settled = Some(leader);
            break;
        }
    }
    let elected = settled.and_then(|l| {
        let term = e.nodes[l].term;
        e.leaders
            .iter()
            .rev()
            .find(|(t, who, _)| *t == term && *who == l)
            .map(|(_, _, at)| *at)
    });
    let last_term = e.nodes.iter().map(|n| n.term).max().unwrap_or(term);
    Outcome {
        leader: settled,
        elected,
        term: settled.map_or(last_term, |l| e.nodes[l].term),
        rounds: e.stood.len() as u32,
        split_votes: e.stood.difference(&e.won).count() as u32,
        messages: e.messages,
        leaders: e.leaders,
    }
}

impl Election<'_, '_> {
    fn majority(&self) -> usize {
        self.nodes.len() / 2 + 1
    }

    fn up(&self, server: usize, now: SimTime) -> bool {
        now >= self.nodes[server].up_from
    }

    fn schedule(&mut self, at: SimTime, event: Event) {
        self.seq += 1;
        self.queue.push(Reverse((at, self.seq, event)));
    }

    /// Starts `server`'s election timer from `from`, with a fresh timeout.
    fn restart_timer(&mut self, server: usize, from: SimTime) {
        let timeout = self.timing.timeout.draw(self.rng);
        let n = &mut self.nodes[server];
        n.timer += 1;
        let generation = n.timer;
        self.schedule(from + timeout, Event::Timeout { server, generation });
    }

    fn hop(&mut self) -> SimDuration {
        self.timing.hop.sample(self.rng)
    }

    fn persist(&mut self) -> SimDuration {
        self.timing.persist.sample(self.rng)
    }

    /// Any message with a higher term than `server`'s: it adopts the term
    /// and becomes a Follower that has not voted in it (§5.1). A leader
    /// stepping down starts a timer again.
    fn observe(&mut self, server: usize, term: Term, now: SimTime) {
        let n = &mut self.nodes[server];
        if term > n.term {
            let was_leader = n.state == State::Leader;
            n.term = term;
            n.state = State::Follower;
            n.voted_for = None;
            n.leader = None;
            if was_leader {
                self.restart_timer(server, now);
            }
        }
    }

    fn handle(&mut self, now: SimTime, event: Event) {
        match event {
            Event::Timeout { server, generation } => {
                let n = &self.nodes[server];
                if n.timer == generation && n.state != State::Leader && self.up(server, now) {
                    self.stand(server, now);
                }
            }
            Event::RequestVote {
                candidate,
                voter,
                term,
                last_log,
            } => {
                if !self.up(voter, now) {
                    return;
                }
                self.observe(voter, term, now);
                let n = self.nodes[voter];
                // One vote per term, first come first served (§5.2), and
                // only for a log at least as up-to-date (§5.4.1).
                let granted = term == n.term
                    && n.voted_for.is_none_or(|v| v == candidate)
                    && last_log >= n.last_log;
                let mut delay = self.hop();
                if granted {
                    self.nodes[voter].voted_for = Some(candidate);
                    self.restart_timer(voter, now);
                    delay = delay + self.persist();
                }
                self.messages += 1;
                let term = self.nodes[voter].term;
                self.schedule(
                    now + delay,
                    Event::Vote {
                        voter,
                        candidate,
                        term,
                        granted,
                    },
                );
            }
            Event::Vote {
                candidate,
                term,
                granted,
                ..
            } => {
                if !self.up(candidate, now) {
                    return;
                }
                self.observe(candidate, term, now);
                let majority = self.majority();
                let n = &mut self.nodes[candidate];
                if granted && n.state == State::Candidate && n.term == term {
                    n.votes += 1;
                    if n.votes >= majority {
                        self.lead(candidate, now);
                    }
                }
            }
            Event::AppendEntries {
                leader,
                follower,
                term,
            } => {
                if !self.up(follower, now) {
                    return;
                }
                self.observe(follower, term, now);
                let n = &mut self.nodes[follower];
                if term == n.term {
                    // A Candidate that hears from a leader of its term
                    // recognises it (§5.2).
                    n.state = State::Follower;
                    n.leader = Some(leader);
                    self.restart_timer(follower, now);
                } else {
                    let term = n.term;
                    let at = now + self.hop();
                    self.schedule(at, Event::Refused { leader, term });
                }
            }
            Event::Refused { leader, term } => {
                if self.up(leader, now) {
                    self.observe(leader, term, now);
                }
            }
            Event::Heartbeat { leader, term } => {
                let n = &self.nodes[leader];
                if n.state == State::Leader && n.term == term {
                    self.heartbeat(leader, now);
                }
            }
        }
    }

    /// `server`'s timer ran out: it stands for election in a new term.
    fn stand(&mut self, server: usize, now: SimTime) {
        let n = &mut self.nodes[server];
        n.term += 1;
        n.state = State::Candidate;
        n.voted_for = Some(server);
        n.votes = 1;
        n.leader = None;
        let (term, last_log) = (n.term, n.last_log);
        self.stood.insert(term);
        self.restart_timer(server, now);
        if self.nodes[server].votes >= self.majority() {
            return self.lead(server, now);
        }
        // It persists its term and vote while the requests travel (as a
        // leader's own log write runs beside AppendEntries): its own vote
        // is durable before the first answer is back, which takes a voter's
        // persist and two hops.
        for voter in (0..self.nodes.len()).filter(|&v| v != server) {
            let at = now + self.hop();
            self.messages += 1;
            self.schedule(
                at,
                Event::RequestVote {
                    candidate: server,
                    voter,
                    term,
                    last_log,
                },
            );
        }
    }

    /// `server` has a majority: it leads its term and asserts itself.
    fn lead(&mut self, server: usize, now: SimTime) {
        let n = &mut self.nodes[server];
        n.state = State::Leader;
        n.leader = Some(server);
        self.won.insert(n.term);
        self.leaders.push((n.term, server, now));
        self.heartbeat(server, now);
    }

    /// The leader sends AppendEntries to every other server and sets its
    /// next heartbeat.
    fn heartbeat(&mut self, leader: usize, now: SimTime) {
        let term = self.nodes[leader].term;
        for follower in (0..self.nodes.len()).filter(|&f| f != leader) {
            let at = now + self.hop();
            self.schedule(
                at,
                Event::AppendEntries {
                    leader,
                    follower,
                    term,
                },
            );
        }
        let next = now + self.timing.heartbeat;
        self.schedule(next, Event::Heartbeat { leader, term });
    }

    /// The leader every server that is up follows in its term, if any.
    fn settled(&self, now: SimTime) -> Option<usize> {
        let (leader, n) = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.state == State::Leader)
            .max_by_key(|(_, n)| n.term)?;
        let term = n.term;
        self.nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| now >= n.up_from)
            .all(|(_, n)| n.term == term && n.leader == Some(leader))
            .then_some(leader)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{FOREVER, Streams};

    fn ms(v: u64) -> SimDuration {
        SimDuration::from_millis(v)
    }

    fn at(v: u64) -> SimTime {
        SimTime::ZERO + ms(v)
    }

    #[test]
    fn the_timeout_range_reads_three_ways_and_refuses_the_rest() {
        let r: ElectionTimeout = "150ms..300ms".parse().unwrap();
        assert_eq!((r.low, r.high), (ms(150), ms(300)));
        assert_eq!(r.to_string(), "150ms..300ms");
        let u: ElectionTimeout = "uniform(150ms, 300ms)".parse().unwrap();
        assert_eq!(u, r);
        let c: ElectionTimeout = "150ms".parse().unwrap();
        assert_eq!(
            (c.low, c.high, c.to_string()),
            (ms(150), ms(150), "150ms".into())
        );
        for bad in ["300ms..150ms", "0s", "exp(150ms)", "150ms..", "fast"] {
            assert!(bad.parse::<ElectionTimeout>().is_err(), "{bad}");
        }
    }

    #[test]
    fn draws_stay_in_the_range() {
        let mut rng = Streams::new(1, 0).stream("t");
        let r = ElectionTimeout::new(ms(150), ms(155)).unwrap();
        for _ in 0..1000 {
            let d = r.draw(&mut rng);
            assert!(d >= ms(150) && d <= ms(155));
        }
    }

    fn five(last_heard: SimTime) -> Vec<Server> {
        let mut servers = vec![
            Server {
                up_from: SimTime::ZERO,
                last_heard,
                last_log: (1, 10),
            };
            5
        ];
        servers[0].up_from = FOREVER;
        servers
    }

    #[test]
    fn a_lone_timeout_wins_in_one_round() {
        let hop = Dist::constant(ms(1));
        let zero = Dist::constant(SimDuration::ZERO);
        let timing = Timing {
            timeout: ElectionTimeout::new(ms(150), ms(300)).unwrap(),
            heartbeat: ms(50),
            hop: &hop,
            persist: &zero,
        };
        let mut rng = Streams::new(3, 0).stream("election");
        let out = elect(at(0), 1, &five(at(0)), timing, &mut rng, at(10_000));
        let leader = out.leader.expect("a leader");
        assert_ne!(leader, 0, "the old leader is down");
        assert_eq!(out.term, 2);
        assert_eq!((out.rounds, out.split_votes), (1, 0));
        // Its timeout, then a round trip for the votes.
        let d = out.downtime(at(0)).unwrap();
        assert!(d >= ms(152) && d <= ms(302), "{d}");
    }

    #[test]
    fn without_randomness_the_votes_split_for_ever() {
        let hop = Dist::constant(ms(5));
        let zero = Dist::constant(SimDuration::ZERO);
        let timing = Timing {
            timeout: ElectionTimeout::new(ms(150), ms(150)).unwrap(),
            heartbeat: ms(75),
            hop: &hop,
            persist: &zero,
        };
        let mut rng = Streams::new(3, 0).stream("election");
        let out = elect(at(0), 1, &five(at(0)), timing, &mut rng, at(10_000));
        assert_eq!(out.leader, None);
        assert!(out.rounds > 60 && out.split_votes == out.rounds, "{out:?}");
    }

    #[test]
    fn no_leader_without_a_majority_up() {
        let hop = Dist::constant(ms(1));
        let zero = Dist::constant(SimDuration::ZERO);
        let timing = Timing {
            timeout: ElectionTimeout::default(),
            heartbeat: ms(75),
            hop: &hop,
            persist: &zero,
        };
        let mut servers = five(at(0));
        servers[1].up_from = at(5_000);
        servers[2].up_from = FOREVER;
        let mut rng = Streams::new(5, 0).stream("election");
        let out = elect(at(0), 1, &servers, timing, &mut rng, at(10_000));
        // Two of five up: nobody wins until server 1 is back at 5 s.
        let elected = out.elected.expect("a leader once three are up");
        assert!(elected > at(5_000), "{out:?}");
        assert!(out.split_votes > 0);
    }

    #[test]
    fn a_stale_log_cannot_win() {
        let hop = Dist::constant(ms(1));
        let zero = Dist::constant(SimDuration::ZERO);
        let timing = Timing {
            timeout: ElectionTimeout::default(),
            heartbeat: ms(75),
            hop: &hop,
            persist: &zero,
        };
        // Three servers up; only server 1 has the last entry, so only it can
        // gather a majority (server 2 votes for no one behind it).
        let mut servers = five(at(0));
        servers[4].up_from = FOREVER;
        servers[2].last_log = (1, 9);
        servers[3].last_log = (1, 9);
        servers[1].last_log = (1, 10);
        for seed in 0..50 {
            let mut rng = Streams::new(seed, 0).stream("election");
            let out = elect(at(0), 1, &servers, timing, &mut rng, at(10_000));
            assert_eq!(out.leader, Some(1), "seed {seed}: {out:?}");
        }
    }

    /// Election Safety (Raft Figure 3): at most one leader in a term, over
    /// many elections crowded with simultaneous candidates.
    #[test]
    fn at_most_one_leader_per_term() {
        let hop = Dist::parse("uniform(6ms, 9ms)").unwrap();
        let zero = Dist::constant(SimDuration::ZERO);
        let timing = Timing {
            timeout: ElectionTimeout::new(ms(150), ms(155)).unwrap(),
            heartbeat: ms(75),
            hop: &hop,
            persist: &zero,
        };
        let mut leaders = 0;
        for seed in 0..300 {
            let mut rng = Streams::new(seed, 0).stream("election");
            let out = elect(at(0), 1, &five(at(0)), timing, &mut rng, at(10_000));
            let mut terms: Vec<Term> = out.leaders.iter().map(|l| l.0).collect();
            leaders += terms.len();
            terms.sort_unstable();
            let before = terms.len();
            terms.dedup();
            assert_eq!(
                terms.len(),
                before,
                "seed {seed}: two leaders in a term: {out:?}"
            );
        }
        assert!(leaders >= 250, "most elections found a leader: {leaders}");
    }
}
