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

    /// A hint, given shortly before `op` arrives: load what its request path
    /// will touch (per-key state) into the CPU cache. Changes no state and
    /// no result; a large key space is memory-bound without it.
    #[inline]
    fn prefetch(&self, _op: &Operation) {}
}

/// Operations in flight, in a slab indexed by `OpId` (ids are reused).
#[derive(Default)]
struct OpTable {
    slots: Vec<Option<Operation>>,
    free: Vec<u32>,
    live: usize,
}

impl OpTable {
    fn insert(&mut self, op: Operation) -> OpId {
        self.live += 1;
        if let Some(i) = self.free.pop() {
            self.slots[i as usize] = Some(op);
            OpId(i)
        } else {
            self.slots.push(Some(op));
            OpId((self.slots.len() - 1) as u32)
        }
    }

    fn remove(&mut self, id: OpId) -> Operation {
        let op = self.slots[id.0 as usize]
            .take()
            .expect("an operation completes once");
        self.free.push(id.0);
        self.live -= 1;
        op
    }

    fn get(&self, id: OpId) -> &Operation {
        self.slots[id.0 as usize]
            .as_ref()
            .expect("operation in flight")
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
        self.ops.insert(op)
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

    /// The operation behind `id`.
    #[inline]
    pub fn op(&self, id: OpId) -> &Operation {
        self.ops.get(id)
    }

    /// The client receives its answer now: latency is recorded from the
    /// operation's intended start and the id is freed.
    #[inline]
    pub fn complete(&mut self, id: OpId, outcome: Outcome) {
        let op = self.ops.remove(id);
        self.recorder.record(&op, self.now, outcome);
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
/// every operation has finished (or the drain limit is reached).
pub fn run<A: Architecture>(arch: &mut A, workload: Workload, window: Window) -> RunOutput {
    run_recorded(arch, workload, Recorder::new(window))
}

/// [`run`] into a given recorder (one that keeps batch means, say).
pub fn run_recorded<A: Architecture>(
    arch: &mut A,
    mut workload: Workload,
    mut recorder: Recorder,
) -> RunOutput {
    let window = recorder.window();
    let mut queue = EventQueue::new();
    let mut ops = OpTable::default();
    // Room to drain: one more run length, and at least an hour, so that
    // periodic loads (a warehouse every 15 minutes) come in.
    let drain_limit = window.end + (window.end - window.start).max(SimDuration::from_secs(3600));
    let mut now = SimTime::ZERO;
    let mut events = 0u64;
    let mut background = 0usize;

    loop {
        let next_event = queue.peek_time();
        let next_arrival = workload.peek_time();
        let take_event = match (next_event, next_arrival) {
            (Some(te), Some(ta)) => te <= ta,
            (Some(te), None) => {
                if (ops.live == 0 && background == 0) || te > drain_limit {
                    break;
                }
                true
            }
            (None, Some(_)) => false,
            (None, None) => break,
        };
        events += 1;
        if take_event {
            let (at, event) = queue.pop().expect("peeked");
            now = at;
            let mut ctx = Context {
                now,
                queue: &mut queue,
                ops: &mut ops,
                recorder: &mut recorder,
                background: &mut background,
            };
            arch.on_event(event, &mut ctx);
        } else {
            let op = workload.next_op().expect("peeked");
            now = op.start;
            let id = ops.insert(op);
            let mut ctx = Context {
                now,
                queue: &mut queue,
                ops: &mut ops,
                recorder: &mut recorder,
                background: &mut background,
            };
            arch.on_arrival(id, &mut ctx);
            if let Some(next) = workload.peek() {
                arch.prefetch(next);
            }
        }
    }

    // Whatever is still in flight never answered within the drain limit.
    let stopped_at = now;
    for slot in ops.slots.iter().flatten() {
        recorder.record(slot, stopped_at, Outcome::Unfinished);
    }
    RunOutput {
        recorder,
        stopped_at,
        events,
    }
}
