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
    /// The client gave up on it: the architecture may still finish it, but
    /// nobody waits for its answer.
    abandoned: bool,
}

/// Operations in flight, in a slab indexed by `OpId` (ids are reused; a
/// slot's generation tells a reused id from the attempt a timeout was for).
#[derive(Default)]
struct OpTable {
    slots: Vec<Option<Attempt>>,
    generations: Vec<u32>,
    free: Vec<u32>,
    /// Attempts someone waits for (abandoned ones do not keep the run going).
    live: usize,
}

impl OpTable {
    fn insert(&mut self, op: Operation, number: u32) -> OpId {
        self.live += 1;
        let attempt = Some(Attempt {
            op,
            number,
            abandoned: false,
        });
        if let Some(i) = self.free.pop() {
            self.slots[i as usize] = attempt;
            self.generations[i as usize] = self.generations[i as usize].wrapping_add(1);
            OpId(i)
        } else {
            self.slots.push(attempt);
            self.generations.push(0);
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

    fn generation(&self, id: OpId) -> u32 {
        self.generations[id.0 as usize]
    }

    /// The client gives `id` up if it is still the attempt of generation
    /// `generation` and unanswered: the attempt, now abandoned.
    fn abandon(&mut self, id: OpId, generation: u32) -> Option<Attempt> {
        if self.generations.get(id.0 as usize) != Some(&generation) {
            return None;
        }
        let attempt = self.slots[id.0 as usize].as_mut()?;
        if attempt.abandoned {
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
    deadlines: &'a mut Deadlines,
}

/// When each attempt in flight times out. Within one class of operations
/// (analytics or not) a deadline is always `now + timeout` with `now` never
/// decreasing, so a FIFO queue per class is in deadline order.
struct Deadlines {
    timeouts: [Option<SimDuration>; 2],
    queues: [std::collections::VecDeque<(SimTime, OpId, u32)>; 2],
}

impl Deadlines {
    fn new(policy: &ClientPolicy) -> Deadlines {
        Deadlines {
            timeouts: [policy.timeout, policy.analytics_timeout],
            queues: Default::default(),
        }
    }

    #[inline]
    fn watch(&mut self, now: SimTime, op: &Operation, id: OpId, generation: u32) {
        let class = usize::from(op.kind == crate::workload::OpKind::Analytics);
        if let Some(t) = self.timeouts[class] {
            self.queues[class].push_back((now + t, id, generation));
        }
    }

    #[inline]
    fn next(&self) -> Option<SimTime> {
        let [a, b] = &self.queues;
        match (a.front(), b.front()) {
            (Some(x), Some(y)) => Some(x.0.min(y.0)),
            (x, y) => x.or(y).map(|d| d.0),
        }
    }

    /// The earliest deadline, taken.
    fn pop(&mut self) -> Option<(SimTime, OpId, u32)> {
        let [a, b] = &mut self.queues;
        match (a.front(), b.front()) {
            (Some(x), Some(y)) if y.0 < x.0 => b.pop_front(),
            (Some(_), _) => a.pop_front(),
            _ => b.pop_front(),
        }
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
        let id = self.ops.insert(op, 0);
        self.deadlines
            .watch(self.now, &op, id, self.ops.generation(id));
        id
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
                deadlines: &mut deadlines,
            }
        };
    }

    loop {
        let te = queue.peek_time().unwrap_or(NEVER);
        let ta = workload.peek_time().unwrap_or(NEVER);
        let td = deadlines.next().unwrap_or(NEVER);
        let tf = edges.get(next_edge).map_or(NEVER, |e| e.at);
        let next = te.min(td).min(tf);
        if ta == NEVER {
            if (ops.live == 0 && background == 0) || next > drain_limit {
                break;
            }
        } else if ta < next {
            let op = workload.next_op().expect("peeked");
            now = op.start;
            events += 1;
            let id = ops.insert(op, 0);
            deadlines.watch(now, &op, id, ops.generation(id));
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
        } else if te == next {
            let (_, event) = queue.pop().expect("peeked");
            arch.on_event(event, &mut ctx!());
        } else {
            let (_, id, generation) = deadlines.pop().expect("peeked");
            let Some(attempt) = ops.abandon(id, generation) else {
                continue;
            };
            if attempt.number < policy.retries {
                let retry = ops.insert(attempt.op, attempt.number + 1);
                deadlines.watch(now, &attempt.op, retry, ops.generation(retry));
                arch.on_arrival(retry, &mut ctx!());
            } else {
                recorder.record(&attempt.op, now, Outcome::TimedOut);
            }
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
