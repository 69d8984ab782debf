//! The run loop, generic over the architecture (monomorphised: no dynamic
//! dispatch per event).
//!
//! Arrivals come from the workload generator, which is already in time order,
//! so they are merged with the event queue instead of passing through it. At
//! equal instants, queued events fire before a new arrival. Arrivals stop at
//! the end of the measurement window; the run then drains the operations still
//! in flight (and background work such as pipelines), so every measured
//! operation has a true latency. A system that cannot drain within one more
//! `duration` (at least an hour of simulated time) is stopped and its
//! unfinished operations are counted with the latency they had reached (a
//! lower bound).

use crate::faults::Fault;
use crate::metrics::{Outcome, Recorder, Window};
use crate::workload::{Operation, Workload};

use super::queue::EventQueue;
use super::time::{SimDuration, SimTime};

/// Handle of an operation in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OpId(pub u32);

/// One architecture's request paths, driven by the engine.
pub trait Architecture {
    /// The architecture's own events: small, `Copy`, usually carrying an `OpId`.
    type Event: Copy;

    /// A client issues `op` at `ctx.now()`.
    fn on_arrival(&mut self, op: OpId, ctx: &mut Context<'_, Self::Event>);

    /// One of the architecture's events fires.
    fn on_event(&mut self, event: Self::Event, ctx: &mut Context<'_, Self::Event>);

    /// Fault `index` of the scenario begins (`begins`) or ends now. The
    /// scenario has checked that the architecture has the fault's target and
    /// that the target can take the fault.
    fn on_fault(
        &mut self,
        _index: usize,
        _fault: &Fault,
        _begins: bool,
        _ctx: &mut Context<'_, Self::Event>,
    ) {
    }

    /// A hint, given shortly before `op` arrives: load what its request path
    /// will touch (per-key state) into the CPU cache. Changes no state and
    /// no result; a large key space is memory-bound without it.
    #[inline]
    fn prefetch(&self, _op: &Operation) {}
}

/// How clients wait for an answer: each attempt of an operation has
/// `timeout` to complete (`analytics_timeout` for analytics queries); a
/// client that times out gives the attempt up and tries again at once,
/// `retries` times, then counts the operation as timed out. The latency of
/// a retried operation runs from its first attempt's intended start (no
/// coordinated omission).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientPolicy {
    /// `None`: clients wait as long as it takes.
    pub timeout: Option<SimDuration>,
    pub analytics_timeout: Option<SimDuration>,
    pub retries: u32,
}

/// One attempt of an operation in flight.
#[derive(Clone, Copy, Debug)]
struct Attempt {
    op: Operation,
    /// 0 for the first attempt.
    number: u32,
    /// Tells this attempt from a later one that reuses its id (the count
    /// of attempts inserted before it, wrapping).
    serial: u32,
    /// When this attempt was issued (its deadline is a timeout later).
    issued: SimTime,
    /// The client gave up on it: the architecture may still finish it, but
    /// nobody waits for its answer.
    abandoned: bool,
}

/// Operations in flight, in a slab indexed by `OpId` (ids are reused).
#[derive(Default)]
struct OpTable {
    slots: Vec<Option<Attempt>>,
    free: Vec<u32>,
    /// Attempts inserted so far (wrapping): the next one's serial.
    inserted: u32,
    /// Attempts someone waits for (abandoned ones do not keep the run going).
    live: usize,
}

impl OpTable {
    fn insert(&mut self, op: Operation, number: u32, issued: SimTime) -> OpId {
        self.live += 1;
        let attempt = Some(Attempt {
            op,
            number,
            serial: self.inserted,
            issued,
            abandoned: false,
        });
        self.inserted = self.inserted.wrapping_add(1);
        if let Some(i) = self.free.pop() {
            self.slots[i as usize] = attempt;
            OpId(i)
        } else {
            self.slots.push(attempt);
            OpId((self.slots.len() - 1) as u32)
        }
    }

    fn remove(&mut self, id: OpId) -> Attempt {
        let attempt = self.slots[id.0 as usize]
            .take()
            .expect("an operation completes once");
        self.free.push(id.0);
        if !attempt.abandoned {
            self.live -= 1;
        }
        attempt
    }

    fn get(&self, id: OpId) -> &Operation {
        &self.slots[id.0 as usize]
            .as_ref()
            .expect("operation in flight")
            .op
    }

    /// The client gives `id` up if it is still the attempt with serial
    /// `generation` and unanswered: the attempt, now abandoned.
    #[inline]
    fn abandon(&mut self, id: OpId, generation: u32) -> Option<Attempt> {
        let attempt = self.slots[id.0 as usize].as_mut()?;
        if attempt.serial != generation || attempt.abandoned {
            return None;
        }
        attempt.abandoned = true;
        self.live -= 1;
        Some(*attempt)
    }
}

/// What an architecture sees while handling an arrival or an event.
pub struct Context<'a, E> {
    now: SimTime,
    queue: &'a mut EventQueue<E>,
    ops: &'a mut OpTable,
    recorder: &'a mut Recorder,
    background: &'a mut usize,
}

/// When attempts in flight time out, found without a queue entry per
/// operation: every half timeout (a tick) the table of attempts in flight is
/// scanned for those whose deadline falls in the half timeout after next,
/// which go into a FIFO queue in deadline order. An attempt issued at `s`
/// has its deadline `s + timeout`, two half timeouts later, so the scan at
/// the last tick before its deadline finds it if it is still in flight, and
/// scans see each deadline once. Attempts answered in time — nearly all —
/// cost nothing. Analytics queries have their own timeout, so their own
/// ticks and queue.
struct Deadlines {
    classes: [TimeoutClass; 2],
}

struct TimeoutClass {
    timeout: Option<SimDuration>,
    /// Half the timeout.
    half: SimDuration,
    /// The next scan's tick.
    tick: SimTime,
    /// Deadlines found, in order: (deadline, attempt, its serial).
    due: std::collections::VecDeque<(SimTime, OpId, u32)>,
    /// A reused buffer for one scan's finds.
    found: Vec<(SimTime, u32, OpId)>,
}

/// 0 for the workload's operations, 1 for analytics queries.
#[inline]
fn timeout_class(op: &Operation) -> usize {
    usize::from(op.kind == crate::workload::OpKind::Analytics)
}

impl Deadlines {
    fn new(policy: &ClientPolicy) -> Deadlines {
        let class = |timeout: Option<SimDuration>| {
            let half = SimDuration(timeout.map_or(1, |t| (t.as_nanos() / 2).max(1)));
            TimeoutClass {
                timeout,
                half,
                tick: SimTime::ZERO,
                due: std::collections::VecDeque::new(),
                found: Vec::new(),
            }
        };
        Deadlines {
            classes: [class(policy.timeout), class(policy.analytics_timeout)],
        }
    }

    /// The earliest deadline found.
    #[inline]
    fn next(&self) -> Option<SimTime> {
        let [a, b] = &self.classes;
        if b.due.is_empty() {
            return a.due.front().map(|d| d.0);
        }
        match (a.due.front(), b.due.front()) {
            (Some(x), Some(y)) => Some(x.0.min(y.0)),
            (x, y) => x.or(y).map(|d| d.0),
        }
    }

    /// The earliest deadline found, taken.
    fn pop(&mut self) -> Option<(SimTime, OpId, u32)> {
        let [a, b] = &mut self.classes;
        match (a.due.front(), b.due.front()) {
            (Some(x), Some(y)) if y.0 < x.0 => b.due.pop_front(),
            (Some(_), _) => a.due.pop_front(),
            _ => b.due.pop_front(),
        }
    }

    /// The earliest tick not yet scanned.
    #[inline]
    fn next_tick(&self) -> SimTime {
        let [a, b] = &self.classes;
        let tick = |c: &TimeoutClass| c.timeout.map_or(SimTime::MAX, |_| c.tick);
        tick(a).min(tick(b))
    }

    /// Scans at the earliest tick: the attempts in flight whose deadline
    /// falls in the half timeout after next join their class's queue.
    fn scan(&mut self, ops: &OpTable) {
        let c = if self.classes[0].timeout.is_some()
            && (self.classes[1].timeout.is_none() || self.classes[0].tick <= self.classes[1].tick)
        {
            0
        } else {
            1
        };
        let class = &mut self.classes[c];
        let timeout = class.timeout.expect("a class with a timeout");
        let (from, to) = (
            class.tick + class.half,
            class.tick + class.half + class.half,
        );
        class.found.clear();
        for (i, slot) in ops.slots.iter().enumerate() {
            let Some(a) = slot else { continue };
            if a.abandoned || timeout_class(&a.op) != c {
                continue;
            }
            let deadline = a.issued + timeout;
            if deadline >= from && deadline < to {
                class.found.push((deadline, a.serial, OpId(i as u32)));
            }
        }
        // Deadline order; among equal deadlines, the order attempts were issued.
        class.found.sort_unstable_by_key(|f| (f.0, f.1));
        class
            .due
            .extend(class.found.iter().map(|&(d, serial, id)| (d, id, serial)));
        class.tick += class.half;
    }
}

impl<E> Context<'_, E> {
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedules `event` at `at` (not before now).
    #[inline]
    pub fn schedule_at(&mut self, at: SimTime, event: E) {
        debug_assert!(at >= self.now, "events cannot be scheduled in the past");
        self.queue.push(at, event);
    }

    /// Schedules `event` after `delay`.
    #[inline]
    pub fn schedule_in(&mut self, delay: SimDuration, event: E) {
        self.queue.push(self.now + delay, event);
    }

    /// Starts an operation the architecture issues itself (a probe read),
    /// invoked now; it completes through `complete` like any other.
    pub fn begin(&mut self, mut op: Operation) -> OpId {
        op.start = self.now;
        self.ops.insert(op, 0, self.now)
    }

    /// Whether `id` names an operation in flight (replies may outlive the
    /// operation they were for).
    #[inline]
    pub fn in_flight(&self, id: OpId) -> bool {
        self.ops
            .slots
            .get(id.0 as usize)
            .is_some_and(Option::is_some)
    }

    /// Whether the client has given `id` up (timed out): its answer, when
    /// it comes, reaches nobody.
    #[inline]
    pub fn abandoned(&self, id: OpId) -> bool {
        self.ops.slots[id.0 as usize]
            .as_ref()
            .is_some_and(|a| a.abandoned)
    }

    /// The operation behind `id`.
    #[inline]
    pub fn op(&self, id: OpId) -> &Operation {
        self.ops.get(id)
    }

    /// The client receives its answer now: latency is recorded from the
    /// operation's intended start and the id is freed. The answer to an
    /// abandoned attempt frees the id and records nothing.
    #[inline]
    pub fn complete(&mut self, id: OpId, outcome: Outcome) {
        let attempt = self.ops.remove(id);
        if !attempt.abandoned {
            self.recorder.record(&attempt.op, self.now, outcome);
        }
    }

    /// Work no client waits for but the run must see through (a pipeline
    /// delivering to a derived store): the run does not stop while some is
    /// under way (up to the drain limit). Pair with `background_done`.
    pub fn background_started(&mut self) {
        *self.background += 1;
    }

    pub fn background_done(&mut self) {
        *self.background -= 1;
    }

    /// Measurement window of this run.
    pub fn window(&self) -> Window {
        self.recorder.window()
    }
}

/// What a run leaves behind besides the architecture's own state.
pub struct RunOutput {
    pub recorder: Recorder,
    /// Instant of the last event processed.
    pub stopped_at: SimTime,
    /// Events processed (arrivals included), for speed figures.
    pub events: u64,
}

/// Runs `arch` against `workload` until the measurement window has closed and
/// every operation has finished (or the drain limit is reached), with
/// clients that wait forever and no faults.
pub fn run<A: Architecture>(arch: &mut A, workload: Workload, window: Window) -> RunOutput {
    run_recorded(
        arch,
        workload,
        Recorder::new(window),
        ClientPolicy::default(),
        &[],
    )
}

/// [`run`] into a given recorder (one that keeps batch means, say), with
/// the clients' `policy` and `faults` delivered at their instants.
///
/// At one instant, fault edges come first, then queued events, then
/// timeouts (an answer arriving exactly at its deadline is in time), then
/// the next arrival.
pub fn run_recorded<A: Architecture>(
    arch: &mut A,
    mut workload: Workload,
    mut recorder: Recorder,
    policy: ClientPolicy,
    faults: &[Fault],
) -> RunOutput {
    let window = recorder.window();
    let mut queue = EventQueue::new();
    let mut ops = OpTable::default();
    let mut deadlines = Deadlines::new(&policy);
    let edges = crate::faults::schedule(faults);
    let mut next_edge = 0;
    // Room to drain: one more run length, and at least an hour, so that
    // periodic loads (a warehouse every 15 minutes) come in.
    let drain_limit = window.end + (window.end - window.start).max(SimDuration::from_secs(3600));
    let mut now = SimTime::ZERO;
    let mut events = 0u64;
    let mut background = 0usize;
    const NEVER: SimTime = SimTime(u64::MAX);

    macro_rules! ctx {
        () => {
            Context {
                now,
                queue: &mut queue,
                ops: &mut ops,
                recorder: &mut recorder,
                background: &mut background,
            }
        };
    }

    'run: loop {
        let te = queue.peek_time().unwrap_or(NEVER);
        let ta = workload.peek_time().unwrap_or(NEVER);
        let tf = edges.get(next_edge).map_or(NEVER, |e| e.at);
        let next = te.min(tf);
        // Before anything happens at `soonest`, every scan due by then (see
        // `Deadlines`); with nothing else to come, scans go on while
        // attempts are in flight, until their deadlines are found.
        let soonest = next.min(ta).min(deadlines.next().unwrap_or(NEVER));
        let tick = deadlines.next_tick();
        // No scan past the drain limit: the run stops there.
        if tick <= soonest && tick <= drain_limit && (soonest < NEVER || ops.live > 0) {
            deadlines.scan(&ops);
            continue;
        }
        // Deadlines due before the next event, fault edge or arrival: the
        // client gives up, and may retry, which schedules new events.
        while let Some(td) = deadlines.next() {
            if td >= next || td > ta || td > drain_limit {
                break;
            }
            let (_, id, serial) = deadlines.pop().expect("peeked");
            let Some(attempt) = ops.abandon(id, serial) else {
                continue;
            };
            now = td;
            events += 1;
            if attempt.number < policy.retries {
                let retry = ops.insert(attempt.op, attempt.number + 1, now);
                arch.on_arrival(retry, &mut ctx!());
                continue 'run;
            }
            recorder.record(&attempt.op, now, Outcome::TimedOut);
        }
        if ta == NEVER {
            if ops.live == 0 && background == 0 {
                break;
            }
            if next == NEVER && ops.live > 0 && deadlines.next_tick() <= drain_limit {
                // Only clients waiting to time out remain: scan for them.
                continue;
            }
            if next > drain_limit {
                break;
            }
        } else if ta < next {
            let op = workload.next_op().expect("peeked");
            now = op.start;
            events += 1;
            let id = ops.insert(op, 0, now);
            arch.on_arrival(id, &mut ctx!());
            if let Some(next) = workload.peek() {
                arch.prefetch(next);
            }
            continue;
        }
        events += 1;
        now = next;
        if tf == next {
            let edge = edges[next_edge];
            next_edge += 1;
            arch.on_fault(edge.fault, &faults[edge.fault], edge.begins, &mut ctx!());
        } else {
            let (_, event) = queue.pop().expect("peeked");
            arch.on_event(event, &mut ctx!());
        }
    }

    // Whatever is still in flight never answered within the drain limit.
    let stopped_at = now;
    for attempt in ops.slots.iter().flatten().filter(|a| !a.abandoned) {
        recorder.record(&attempt.op, stopped_at, Outcome::Unfinished);
    }
    RunOutput {
        recorder,
        stopped_at,
        events,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Window;
    use crate::workload::OpKind;

    /// Answers an attempt after `key` ms, or never when `key` is 0 (a
    /// target that is down); counts the attempts it saw.
    struct Echo {
        attempts: u32,
    }

    impl Architecture for Echo {
        type Event = OpId;

        fn on_arrival(&mut self, op: OpId, ctx: &mut Context<'_, OpId>) {
            self.attempts += 1;
            let key = ctx.op(op).key;
            if key > 0 {
                ctx.schedule_in(SimDuration::from_millis(key), op);
            }
        }

        fn on_event(&mut self, op: OpId, ctx: &mut Context<'_, OpId>) {
            ctx.complete(op, Outcome::Ok);
        }
    }

    fn op(kind: OpKind, key: u64, at_ms: u64) -> Operation {
        Operation {
            kind,
            key,
            other: 0,
            session: 0,
            start: SimTime(at_ms * 1_000_000),
        }
    }

    #[test]
    fn attempts_time_out_at_their_deadlines_and_retry_at_once() {
        let ops = vec![
            op(OpKind::Get, 0, 0),            // never answered: 3 attempts, out at 3 s
            op(OpKind::Get, 1500, 100),       // answered 1.5 s after each attempt: out at 3.1 s
            op(OpKind::Get, 999, 200),        // in time
            op(OpKind::Analytics, 0, 300),    // its own timeout: out at 0.3 + 3 × 5 s
            op(OpKind::Analytics, 4000, 400), // in time for analytics
        ];
        let window = Window::new(SimDuration::ZERO, SimDuration::from_secs(1));
        let policy = ClientPolicy {
            timeout: Some(SimDuration::from_secs(1)),
            analytics_timeout: Some(SimDuration::from_secs(5)),
            retries: 2,
        };
        let mut echo = Echo { attempts: 0 };
        let out = run_recorded(
            &mut echo,
            Workload::scripted(ops),
            Recorder::new(window),
            policy,
            &[],
        );
        let get = out.recorder.kind(OpKind::Get).summary();
        assert_eq!((get.count, get.timeouts), (1, 2));
        assert_eq!(get.max_ms, 999.0);
        let analytics = out.recorder.kind(OpKind::Analytics).summary();
        assert_eq!((analytics.count, analytics.timeouts), (1, 1));
        assert_eq!(analytics.max_ms, 4000.0);
        assert_eq!(echo.attempts, 3 + 3 + 1 + 3 + 1);
        // The last thing that happened: the third analytics attempt gave up
        // at 0.3 s + 15 s (abandoned attempts' answers keep nobody waiting).
        assert_eq!(out.stopped_at, SimTime(15_300_000_000));
    }
}
