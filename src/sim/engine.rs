//! The run loop, generic over the system, its operations and where their
//! outcomes go (monomorphised: no dynamic dispatch per event). It knows no
//! database, fault or metric: faults come in as timed edges, timeouts as a
//! class per operation.
//!
//! Arrivals come from the operation source, which is already in time order,
//! so they are merged with the event queue instead of passing through it. At
//! equal instants, queued events fire before a new arrival. Arrivals stop at
//! the end of the measurement window; the run then drains the operations still
//! in flight (and background work such as pipelines), so every measured
//! operation has a true latency. A system that cannot drain within one more
//! `duration` (at least an hour of simulated time) is stopped and its
//! unfinished operations are counted with the latency they had reached (a
//! lower bound).
//!
//! A run whose backlog grows for a sustained window is saturated (see
//! [`super::saturation`]): when the run is given a [`SaturationRule`], it
//! stops at the checkpoint that declares it, with that verdict. Nothing is
//! hidden by stopping: the attempts in flight count as unfinished, and the
//! operations still to arrive are offered all the same — each counts as
//! timed out at its client's whole wait (its timeout × attempts), which is
//! what a client gets from a queue that only grows (`Unfinished` at its
//! start for a class without a timeout: a wait of at least 0).

use super::queue::EventQueue;
use super::saturation::{SaturationRule, Verdict, Watch};
use super::time::{SimDuration, SimTime};
use super::window::Window;

/// Handle of an operation in flight: its slot in the table of operations
/// in flight (slots are reused) and the attempt's generation, so that a
/// late message for an earlier attempt in the same slot is told apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OpId {
    slot: u32,
    /// The count of attempts inserted before this one (wrapping).
    generation: u32,
}

impl OpId {
    /// An id for tables of per-operation state (`generation` 0).
    pub fn new(slot: u32) -> OpId {
        OpId {
            slot,
            generation: 0,
        }
    }

    /// The slot: the index of per-operation state, unique among the
    /// operations in flight.
    #[inline]
    pub fn index(self) -> usize {
        self.slot as usize
    }

    /// The slot as a number (an operation's id in a recorded history).
    #[inline]
    pub fn slot(self) -> u32 {
        self.slot
    }
}

/// What the run loop knows of an operation: when its client meant to issue
/// it, and which of the clients' timeouts applies to it.
pub trait Request: Copy {
    /// Intended start: latency runs from here.
    fn start(&self) -> SimTime;
    /// Sets the intended start (an operation the system issues itself).
    fn set_start(&mut self, at: SimTime);
    /// Index into [`Patience::timeouts`]: operations of one class share a
    /// timeout and a deadline scan.
    fn timeout_class(&self) -> usize;
}

/// The operations clients issue, in time order.
pub trait Source {
    type Op: Request;
    /// The next operation, without taking it.
    fn peek(&self) -> Option<&Self::Op>;
    /// The next operation; `None` once the stream is over.
    fn pop(&mut self) -> Option<Self::Op>;
}

/// Where how each operation ended is recorded: by the system through
/// [`Context::complete`], by the run loop for operations whose clients gave
/// up or that were still in flight at the end.
pub trait Outcomes {
    type Op: Request;
    type Outcome: Copy;
    /// The client gave up after its timeout and retries.
    const TIMED_OUT: Self::Outcome;
    /// Still in flight when the run stopped.
    const UNFINISHED: Self::Outcome;
    /// `op` ended at `at` with `outcome`.
    fn record(&mut self, op: &Self::Op, at: SimTime, outcome: Self::Outcome);
    /// The measured part of the run.
    fn window(&self) -> Window;
}

/// The system under simulation: its request paths, driven by the run loop.
pub trait System {
    /// The system's own events: small, `Copy`, usually carrying an `OpId`.
    type Event: Copy;
    /// Where outcomes go; its operations are the ones the system serves.
    type Outcomes: Outcomes;

    /// A client issues `op` at `ctx.now()`.
    fn on_arrival(&mut self, op: OpId, ctx: &mut Context<'_, Self::Event, Self::Outcomes>);

    /// One of the system's events fires.
    fn on_event(&mut self, event: Self::Event, ctx: &mut Context<'_, Self::Event, Self::Outcomes>);

    /// Input edge `index` (a fault of the scenario, say) begins (`begins`)
    /// or ends now.
    fn on_edge(
        &mut self,
        _index: usize,
        _begins: bool,
        _ctx: &mut Context<'_, Self::Event, Self::Outcomes>,
    ) {
    }

    /// A hint, given shortly before `op` arrives: load what its request path
    /// will touch (per-key state) into the CPU cache. Changes no state and
    /// no result; a large key space is memory-bound without it.
    #[inline]
    fn prefetch(&self, _op: &Op<Self>) {}

    /// `op` was offered after the run stopped as saturated: it is never
    /// issued, and its outcome is recorded by the run loop.
    fn unserved(&mut self, _op: &Op<Self>) {}
}

/// The operations a system serves.
pub type Op<S> = <<S as System>::Outcomes as Outcomes>::Op;

/// A timed input to the run: at `at`, item `index` of a list the system
/// knows (a fault) begins or ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edge {
    pub at: SimTime,
    pub index: usize,
    pub begins: bool,
}

/// Timeout classes the run loop keeps apart (see [`Request::timeout_class`]).
pub const TIMEOUT_CLASSES: usize = 2;

/// How clients wait for an answer: each attempt of an operation has its
/// class's timeout to complete; a client that times out gives the attempt
/// up and tries again at once, `retries` times, then counts the operation as
/// timed out. The latency of a retried operation runs from its first
/// attempt's intended start (no coordinated omission).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Patience {
    /// Per timeout class; `None`: clients wait as long as it takes.
    pub timeouts: [Option<SimDuration>; TIMEOUT_CLASSES],
    pub retries: u32,
}

/// One attempt of an operation in flight.
#[derive(Clone, Copy, Debug)]
struct Attempt<O> {
    op: O,
    /// 0 for the first attempt.
    number: u32,
    /// Its id's generation (see `OpId`).
    generation: u32,
    /// When this attempt was issued (its deadline is a timeout later).
    issued: SimTime,
    /// The client gave up on it: the architecture may still finish it, but
    /// nobody waits for its answer.
    abandoned: bool,
}

/// Operations in flight, in a slab indexed by `OpId` (ids are reused).
struct OpTable<O> {
    slots: Vec<Option<Attempt<O>>>,
    free: Vec<u32>,
    /// Attempts inserted so far (wrapping): the next one's generation.
    inserted: u32,
    /// Attempts someone waits for (abandoned ones do not keep the run going).
    live: usize,
}

impl<O> Default for OpTable<O> {
    fn default() -> Self {
        OpTable {
            slots: Vec::new(),
            free: Vec::new(),
            inserted: 0,
            live: 0,
        }
    }
}

impl<O: Request> OpTable<O> {
    fn insert(&mut self, op: O, number: u32, issued: SimTime) -> OpId {
        self.live += 1;
        let attempt = Some(Attempt {
            op,
            number,
            generation: self.inserted,
            issued,
            abandoned: false,
        });
        let generation = self.inserted;
        self.inserted = self.inserted.wrapping_add(1);
        let slot = if let Some(i) = self.free.pop() {
            self.slots[i as usize] = attempt;
            i
        } else {
            self.slots.push(attempt);
            (self.slots.len() - 1) as u32
        };
        OpId { slot, generation }
    }

    fn remove(&mut self, id: OpId) -> Attempt<O> {
        let attempt = self.slots[id.index()]
            .take()
            .expect("an operation completes once");
        debug_assert_eq!(attempt.generation, id.generation, "a stale id");
        self.free.push(id.slot);
        if !attempt.abandoned {
            self.live -= 1;
        }
        attempt
    }

    /// Attempts the system holds: in flight, abandoned ones included
    /// (their requests still wait at the servers).
    fn held(&self) -> u64 {
        (self.slots.len() - self.free.len()) as u64
    }

    fn get(&self, id: OpId) -> &O {
        let attempt = self.slots[id.index()]
            .as_ref()
            .expect("operation in flight");
        debug_assert_eq!(attempt.generation, id.generation, "a stale id");
        &attempt.op
    }

    /// The client gives `id` up if it is still in flight and unanswered:
    /// the attempt, now abandoned.
    #[inline]
    fn abandon(&mut self, id: OpId) -> Option<Attempt<O>> {
        let attempt = self.slots[id.index()].as_mut()?;
        if attempt.generation != id.generation || attempt.abandoned {
            return None;
        }
        attempt.abandoned = true;
        self.live -= 1;
        Some(*attempt)
    }
}

/// What a system sees while handling an arrival, an event or an edge.
pub struct Context<'a, E, R: Outcomes> {
    now: SimTime,
    queue: &'a mut EventQueue<E>,
    ops: &'a mut OpTable<R::Op>,
    recorder: &'a mut R,
    background: &'a mut usize,
}

/// When attempts in flight time out, found without a queue entry per
/// operation: every half timeout (a tick) the table of attempts in flight is
/// scanned for those whose deadline falls in the half timeout after next,
/// which go into a FIFO queue in deadline order. An attempt issued at `s`
/// has its deadline `s + timeout`, two half timeouts later, so the scan at
/// the last tick before its deadline finds it if it is still in flight, and
/// scans see each deadline once. Attempts answered in time — nearly all —
/// cost nothing. Each timeout class has its own timeout, so its own ticks
/// and queue.
struct Deadlines {
    classes: [TimeoutClass; TIMEOUT_CLASSES],
}

struct TimeoutClass {
    timeout: Option<SimDuration>,
    /// Half the timeout.
    half: SimDuration,
    /// The next scan's tick.
    tick: SimTime,
    /// Deadlines found, in order: (deadline, attempt).
    due: std::collections::VecDeque<(SimTime, OpId)>,
    /// A reused buffer for one scan's finds: (deadline, generation, slot).
    found: Vec<(SimTime, u32, u32)>,
}

impl Deadlines {
    fn new(policy: &Patience) -> Deadlines {
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
            classes: policy.timeouts.map(class),
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
    fn pop(&mut self) -> Option<(SimTime, OpId)> {
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
    fn scan<O: Request>(&mut self, ops: &OpTable<O>) {
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
            if a.abandoned || a.op.timeout_class() != c {
                continue;
            }
            let deadline = a.issued + timeout;
            if deadline >= from && deadline < to {
                class.found.push((deadline, a.generation, i as u32));
            }
        }
        // Deadline order; among equal deadlines, the order attempts were issued.
        class.found.sort_unstable_by_key(|f| (f.0, f.1));
        class.due.extend(
            class
                .found
                .iter()
                .map(|&(d, generation, slot)| (d, OpId { slot, generation })),
        );
        class.tick += class.half;
    }
}

impl<E, R: Outcomes> Context<'_, E, R> {
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedules `event` at `at` (not before now).
    #[inline]
    pub fn schedule_at(&mut self, at: SimTime, event: impl Into<E>) {
        debug_assert!(at >= self.now, "events cannot be scheduled in the past");
        self.queue.push(at, event.into());
    }

    /// Schedules `event` after `delay`.
    #[inline]
    pub fn schedule_in(&mut self, delay: SimDuration, event: impl Into<E>) {
        self.queue.push(self.now + delay, event.into());
    }

    /// Starts an operation the architecture issues itself (a probe read),
    /// invoked now; it completes through `complete` like any other.
    pub fn begin(&mut self, mut op: R::Op) -> OpId {
        op.set_start(self.now);
        self.ops.insert(op, 0, self.now)
    }

    /// Whether `id` names an operation in flight: not one that completed,
    /// nor an earlier attempt in its slot (replies may outlive the
    /// operation they were for).
    #[inline]
    pub fn in_flight(&self, id: OpId) -> bool {
        self.ops
            .slots
            .get(id.index())
            .and_then(Option::as_ref)
            .is_some_and(|a| a.generation == id.generation)
    }

    /// Whether the client has given `id` up (timed out): its answer, when
    /// it comes, reaches nobody.
    #[inline]
    pub fn abandoned(&self, id: OpId) -> bool {
        self.ops.slots[id.index()]
            .as_ref()
            .is_some_and(|a| a.abandoned)
    }

    /// The operation behind `id`.
    #[inline]
    pub fn op(&self, id: OpId) -> &R::Op {
        self.ops.get(id)
    }

    /// The client receives its answer now: latency is recorded from the
    /// operation's intended start and the id is freed. The answer to an
    /// abandoned attempt frees the id and records nothing.
    #[inline]
    pub fn complete(&mut self, id: OpId, outcome: R::Outcome) {
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

/// What a run leaves behind besides the system's own state.
pub struct RunOutput<R> {
    pub recorder: R,
    /// Instant of the last event processed.
    pub stopped_at: SimTime,
    /// Events processed (arrivals included), for speed figures.
    pub events: u64,
    /// Why the run stopped early, if it was saturated.
    pub saturated: Option<Verdict>,
    /// Operations offered after a saturated run stopped, never issued.
    pub unserved: u64,
}

/// Runs `system` against the operations of `source` until the measurement
/// window of `recorder` has closed and every operation has finished (or the
/// drain limit is reached), with clients as patient as `patience` and
/// `edges` (in time order) delivered at their instants. With `saturation`,
/// a run that the rule declares saturated stops at that checkpoint.
///
/// At one instant, edges come first, then queued events, then timeouts (an
/// answer arriving exactly at its deadline is in time), then the next
/// arrival.
pub fn run<S, W, R>(
    system: &mut S,
    mut source: W,
    mut recorder: R,
    patience: Patience,
    edges: &[Edge],
    saturation: Option<SaturationRule>,
) -> RunOutput<R>
where
    S: System<Outcomes = R>,
    W: Source<Op = R::Op>,
    R: Outcomes,
{
    let window = recorder.window();
    let mut queue = EventQueue::new();
    let mut ops = OpTable::default();
    let mut deadlines = Deadlines::new(&patience);
    let mut next_edge = 0;
    // Room to drain: one more run length, and at least an hour, so that
    // periodic loads (a warehouse every 15 minutes) come in.
    let drain_limit = window.end + (window.end - window.start).max(SimDuration::from_secs(3600));
    let mut now = SimTime::ZERO;
    let mut events = 0u64;
    let mut background = 0usize;
    let mut watch = saturation.map(Watch::new);
    // The watch's next checkpoint, kept here so that a run passes it with
    // one comparison (never, without a watch).
    let mut checkpoint = watch.as_ref().map_or(SimTime(u64::MAX), |w| w.next);
    // Arrivals so far, which the watch reads at its checkpoints.
    let mut arrivals = 0u64;
    let mut verdict = None;
    // Faults on now: edges begun and not yet ended.
    let mut faults_on = 0usize;
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

    // An arrival: the client issues its first attempt.
    macro_rules! arrive {
        () => {
            let op = source.pop().expect("peeked");
            now = op.start();
            events += 1;
            arrivals += 1;
            let id = ops.insert(op, 0, now);
            system.on_arrival(id, &mut ctx!());
            if let Some(next) = source.peek() {
                system.prefetch(next);
            }
        };
    }

    'run: loop {
        // Most steps are an arrival or a queued event while operations
        // still arrive, before anything else is due: the next fault edge,
        // deadline, scan or checkpoint, none of which those steps move.
        // They go round this loop, which tests that with one comparison.
        let horizon = edges
            .get(next_edge)
            .map_or(NEVER, |e| e.at)
            .min(deadlines.next().unwrap_or(NEVER))
            .min(deadlines.next_tick())
            .min(checkpoint);
        // The next arrival's instant: only an arrival moves it.
        let mut ta = source.peek().map_or(NEVER, Request::start);
        loop {
            let te = queue.next_time();
            if ta == NEVER || ta.min(te) >= horizon {
                break;
            }
            if ta < te {
                arrive!();
                ta = source.peek().map_or(NEVER, Request::start);
            } else {
                events += 1;
                now = te;
                let (_, event) = queue.pop().expect("peeked");
                system.on_event(event, &mut ctx!());
            }
        }
        let te = queue.next_time();
        let ta = source.peek().map_or(NEVER, Request::start);
        let tf = edges.get(next_edge).map_or(NEVER, |e| e.at);
        let next = te.min(tf);
        // Before anything happens at `soonest`, every scan due by then (see
        // `Deadlines`); with nothing else to come, scans go on while
        // attempts are in flight, until their deadlines are found.
        let soonest = next.min(ta).min(deadlines.next().unwrap_or(NEVER));
        // A checkpoint sees the run as it is after everything before it,
        // while operations still arrive.
        if soonest >= checkpoint && ta < NEVER {
            let w = watch.as_mut().expect("a checkpoint comes from the watch");
            if let Some(v) = w.check(ops.held(), arrivals, faults_on > 0) {
                now = v.at;
                verdict = Some(v);
                break;
            }
            checkpoint = w.next;
            continue;
        }
        let tick = deadlines.next_tick();
        // No scan past the drain limit: the run stops there.
        if tick <= soonest && tick <= drain_limit && (soonest < NEVER || ops.live > 0) {
            deadlines.scan(&ops);
            continue;
        }
        // Deadlines due before the next event, fault edge or arrival: the
        // client gives up, and may retry, which schedules new events. Then
        // the loop starts over, so that a checkpoint due between the last
        // deadline and the next arrival sees the run before that arrival.
        let mut gave_up = false;
        while let Some(td) = deadlines.next() {
            if td >= next || td > ta || td > drain_limit {
                break;
            }
            let (_, id) = deadlines.pop().expect("peeked");
            let Some(attempt) = ops.abandon(id) else {
                continue;
            };
            now = td;
            events += 1;
            if attempt.number < patience.retries {
                let retry = ops.insert(attempt.op, attempt.number + 1, now);
                system.on_arrival(retry, &mut ctx!());
                continue 'run;
            }
            recorder.record(&attempt.op, now, R::TIMED_OUT);
            gave_up = true;
        }
        if gave_up {
            continue;
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
            arrive!();
            continue;
        }
        events += 1;
        now = next;
        if tf == next {
            let edge = edges[next_edge];
            next_edge += 1;
            if edge.begins {
                faults_on += 1;
            } else {
                faults_on = faults_on.saturating_sub(1);
            }
            if let Some(w) = watch.as_mut() {
                w.fault();
            }
            system.on_edge(edge.index, edge.begins, &mut ctx!());
        } else {
            let (_, event) = queue.pop().expect("peeked");
            system.on_event(event, &mut ctx!());
        }
    }

    // Whatever is still in flight never answered within the drain limit.
    let stopped_at = now;
    for attempt in ops.slots.iter().flatten().filter(|a| !a.abandoned) {
        recorder.record(&attempt.op, stopped_at, R::UNFINISHED);
    }
    // A saturated run's operations still to come were offered all the same.
    let mut unserved = 0;
    if verdict.is_some() {
        let attempts = u64::from(patience.retries) + 1;
        while let Some(op) = source.pop() {
            system.unserved(&op);
            unserved += 1;
            match patience.timeouts[op.timeout_class()] {
                Some(t) => {
                    let whole = SimDuration(t.as_nanos().saturating_mul(attempts));
                    recorder.record(&op, op.start() + whole, R::TIMED_OUT);
                }
                None => recorder.record(&op, op.start(), R::UNFINISHED),
            }
        }
    }
    RunOutput {
        recorder,
        stopped_at,
        events,
        saturated: verdict,
        unserved,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An operation answered `answer_ms` after each attempt, or never when
    /// 0 (a target that is down); `long` ones have the second timeout.
    #[derive(Clone, Copy, Debug)]
    struct Op {
        start: SimTime,
        answer_ms: u64,
        long: bool,
    }

    impl Request for Op {
        fn start(&self) -> SimTime {
            self.start
        }
        fn set_start(&mut self, at: SimTime) {
            self.start = at;
        }
        fn timeout_class(&self) -> usize {
            usize::from(self.long)
        }
    }

    struct Script(std::collections::VecDeque<Op>);

    impl Source for Script {
        type Op = Op;
        fn peek(&self) -> Option<&Op> {
            self.0.front()
        }
        fn pop(&mut self) -> Option<Op> {
            self.0.pop_front()
        }
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Ended {
        Ok,
        TimedOut,
        Unfinished,
    }

    /// Every outcome: (long, latency in ms, how it ended).
    struct Log {
        window: Window,
        ended: Vec<(bool, u64, Ended)>,
    }

    impl Outcomes for Log {
        type Op = Op;
        type Outcome = Ended;
        const TIMED_OUT: Ended = Ended::TimedOut;
        const UNFINISHED: Ended = Ended::Unfinished;
        fn record(&mut self, op: &Op, at: SimTime, outcome: Ended) {
            let ms = (at - op.start).as_nanos() / 1_000_000;
            self.ended.push((op.long, ms, outcome));
        }
        fn window(&self) -> Window {
            self.window
        }
    }

    /// Answers attempts as their operations say; counts attempts and edges.
    struct Echo {
        attempts: u32,
        edges: Vec<(usize, bool, SimTime)>,
    }

    impl System for Echo {
        type Event = OpId;
        type Outcomes = Log;

        fn on_arrival(&mut self, op: OpId, ctx: &mut Context<'_, OpId, Log>) {
            self.attempts += 1;
            let after = ctx.op(op).answer_ms;
            if after > 0 {
                ctx.schedule_in(SimDuration::from_millis(after), op);
            }
        }

        fn on_event(&mut self, op: OpId, ctx: &mut Context<'_, OpId, Log>) {
            ctx.complete(op, Ended::Ok);
        }

        fn on_edge(&mut self, index: usize, begins: bool, ctx: &mut Context<'_, OpId, Log>) {
            self.edges.push((index, begins, ctx.now()));
        }
    }

    /// `ops` through `Echo`, measured over `window`: what the system saw
    /// and what the run left.
    fn run_echo(
        ops: &[Op],
        window: Window,
        patience: Patience,
        edges: &[Edge],
        saturation: Option<SaturationRule>,
    ) -> (Echo, RunOutput<Log>) {
        let mut echo = Echo {
            attempts: 0,
            edges: Vec::new(),
        };
        let log = Log {
            window,
            ended: Vec::new(),
        };
        let script = Script(ops.iter().copied().collect());
        let out = run(&mut echo, script, log, patience, edges, saturation);
        (echo, out)
    }

    fn op(answer_ms: u64, at_ms: u64, long: bool) -> Op {
        Op {
            start: SimTime(at_ms * 1_000_000),
            answer_ms,
            long,
        }
    }

    #[test]
    fn attempts_time_out_at_their_deadlines_and_retry_at_once() {
        let ops = [
            op(0, 0, false),      // never answered: 3 attempts, out at 3 s
            op(1500, 100, false), // answered 1.5 s after each attempt: out at 3.1 s
            op(999, 200, false),  // in time
            op(0, 300, true),     // its own timeout: out at 0.3 + 3 × 5 s
            op(4000, 400, true),  // in time for the long class
        ];
        let window = Window::new(SimDuration::ZERO, SimDuration::from_secs(1));
        let patience = Patience {
            timeouts: [
                Some(SimDuration::from_secs(1)),
                Some(SimDuration::from_secs(5)),
            ],
            retries: 2,
        };
        let edges = [Edge {
            at: SimTime(50_000_000),
            index: 7,
            begins: true,
        }];
        let (echo, out) = run_echo(&ops, window, patience, &edges, None);
        let mut ended = out.recorder.ended.clone();
        ended.sort_by_key(|e| (e.0, e.1));
        assert_eq!(
            ended,
            [
                (false, 999, Ended::Ok),
                (false, 3000, Ended::TimedOut),
                (false, 3000, Ended::TimedOut),
                (true, 4000, Ended::Ok),
                (true, 15000, Ended::TimedOut),
            ]
        );
        assert_eq!(echo.attempts, 3 + 3 + 1 + 3 + 1);
        assert_eq!(echo.edges, [(7, true, SimTime(50_000_000))]);
        // The last thing that happened: the third long attempt gave up at
        // 0.3 s + 15 s (abandoned attempts' answers keep nobody waiting).
        assert_eq!(out.stopped_at, SimTime(15_300_000_000));
    }

    #[test]
    fn a_deadline_comes_before_a_later_answer() {
        // A (0.2 s, never answered) gives up at 1.2 s; B arrives at 1.1 s
        // and is answered at 1.25 s; C, at 3 s, keeps operations arriving.
        // A's timeout is recorded first: the steps between scans stop at a
        // deadline the last scan found.
        let ops = [op(0, 200, false), op(150, 1100, false), op(10, 3000, false)];
        let window = Window::new(SimDuration::ZERO, SimDuration::from_secs(5));
        let patience = Patience {
            timeouts: [Some(SimDuration::from_secs(1)), None],
            retries: 0,
        };
        let (_, out) = run_echo(&ops, window, patience, &[], None);
        assert_eq!(
            out.recorder.ended,
            [
                (false, 1000, Ended::TimedOut),
                (false, 150, Ended::Ok),
                (false, 10, Ended::Ok)
            ]
        );
    }

    #[test]
    fn a_checkpoint_after_a_timeout_comes_before_the_next_arrival() {
        // Never answered: A (0 s) gives up at 0.8 s, C (0.5 s) would at
        // 1.3 s. The checkpoint at 1 s declares the run saturated before B
        // arrives at 1.0000001 s: B is offered and unserved, not an attempt
        // in flight that started after the stop.
        let ops = [
            op(0, 0, false),
            op(0, 500, false),
            Op {
                start: SimTime(1_000_000_100),
                answer_ms: 0,
                long: false,
            },
        ];
        let window = Window::new(SimDuration::ZERO, SimDuration::from_secs(20));
        let patience = Patience {
            timeouts: [Some(SimDuration::from_millis(800)), None],
            retries: 0,
        };
        let rule = SaturationRule {
            interval: SimDuration::from_secs(1),
            intervals: 1,
            min_arrivals: 1,
            growth_divisor: 10,
        };
        let (echo, out) = run_echo(&ops, window, patience, &[], Some(rule));
        assert_eq!(out.stopped_at, SimTime(1_000_000_000));
        assert_eq!(echo.attempts, 2, "B never reached the system");
        assert_eq!(
            out.recorder.ended,
            [
                (false, 800, Ended::TimedOut),
                (false, 500, Ended::Unfinished),
                (false, 800, Ended::TimedOut),
            ]
        );
    }
}
