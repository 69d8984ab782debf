//! The future event list, ordered by (time, insertion sequence), so events
//! scheduled for the same instant fire in the order they were scheduled
//! (FIFO tie-break) and a run never depends on the structure's internals.
//!
//! Many events come in non-decreasing time: a single-server FCFS station's
//! completions, messages after one constant delay. An event no earlier than
//! the last one in the FIFO lane is appended there (a copy in, a copy out,
//! no sifting); any other goes into a binary heap. The lane is sorted by
//! (time, seq), so taking the lesser of its front and the heap's top fires
//! events in exactly the order one heap would.
//!
//! Chosen by instruction counts (callgrind, marginal per operation): the
//! lane takes every event of the M/M/1 pipeline (−4 % per customer). In the
//! default comparison a far-future event (a flush, a lock timeout) soon
//! holds the lane's tail and nearly every event goes to the heap, so it
//! neither gains nor loses there. Four lanes chosen by best fit took only
//! a sixth of that comparison's events and cost 4 % more; a 4-ary heap of
//! 24-byte (time, seq, slot) keys with the payloads in a slab cost 11 %
//! more than `BinaryHeap` with the payloads inline, whose pop sifts to the
//! bottom with one comparison per level. That comparison is of (time, seq)
//! as one 128-bit number, which compiles without branches: the default
//! comparison's CPU time fell by 4 % (a tuple's comparison branches on the
//! times, which differ unpredictably).
//!
//! The earliest pending time is kept in a field, set at each push and pop:
//! the run loop looks at it before every step (an arrival or an event), and
//! comparing the lane's front with the heap's top each time cost 4 % of the
//! M/M/1 file's CPU time.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

use super::time::SimTime;

struct Entry<E> {
    at: SimTime,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at && self.seq == other.seq
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    #[inline(always)]
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
    #[inline(always)]
    fn le(&self, other: &Self) -> bool {
        other.key() <= self.key()
    }
    #[inline(always)]
    fn lt(&self, other: &Self) -> bool {
        other.key() < self.key()
    }
    #[inline(always)]
    fn ge(&self, other: &Self) -> bool {
        other.key() >= self.key()
    }
    #[inline(always)]
    fn gt(&self, other: &Self) -> bool {
        other.key() > self.key()
    }
}
impl<E> Entry<E> {
    /// (time, seq) as one number, compared without branches.
    #[inline(always)]
    fn key(&self) -> u128 {
        (u128::from(self.at.as_nanos()) << 64) | u128::from(self.seq)
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed, so the max-heap pops the earliest (time, seq) first.
    #[inline(always)]
    fn cmp(&self, other: &Self) -> Ordering {
        other.key().cmp(&self.key())
    }
}

/// Pending events of one simulation. Events are small `Copy` values; an
/// operation's state lives elsewhere, indexed by id.
pub struct EventQueue<E> {
    /// Events in (time, seq) order, each no earlier than the one before.
    lane: VecDeque<(SimTime, u64, E)>,
    /// The lane's last event's time (`SimTime::ZERO` when it is empty).
    lane_last: SimTime,
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
    /// The earliest pending event's time, `SimTime::MAX` when none is:
    /// kept at each push and pop, so that the run loop's every look at
    /// the next event is one load.
    next: SimTime,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue {
            lane: VecDeque::with_capacity(1024),
            lane_last: SimTime::ZERO,
            heap: BinaryHeap::with_capacity(1024),
            next_seq: 0,
            next: SimTime::MAX,
        }
    }

    #[inline]
    pub fn push(&mut self, at: SimTime, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.next = self.next.min(at);
        if at >= self.lane_last {
            self.lane_last = at;
            self.lane.push_back((at, seq, event));
        } else {
            self.heap.push(Entry { at, seq, event });
        }
    }

    /// Whether the earliest pending event is the lane's (else the heap's);
    /// `None` when nothing is pending.
    #[inline]
    fn lane_first(&self) -> Option<bool> {
        match (self.lane.front(), self.heap.peek()) {
            (Some(l), Some(h)) => Some((l.0, l.1) < (h.at, h.seq)),
            (Some(_), None) => Some(true),
            (None, Some(_)) => Some(false),
            (None, None) => None,
        }
    }

    /// Instant of the earliest pending event.
    #[inline]
    pub fn peek_time(&self) -> Option<SimTime> {
        (!self.is_empty()).then_some(self.next)
    }

    /// Instant of the earliest pending event; `SimTime::MAX` when none is.
    #[inline]
    pub fn next_time(&self) -> SimTime {
        self.next
    }

    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let popped = if self.lane_first()? {
            let (at, _, event) = self.lane.pop_front().expect("a lane head");
            if self.lane.is_empty() {
                self.lane_last = SimTime::ZERO;
            }
            (at, event)
        } else {
            let top = self.heap.pop().expect("a heap top");
            (top.at, top.event)
        };
        self.next = match (self.lane.front(), self.heap.peek()) {
            (Some(l), Some(h)) => l.0.min(h.at),
            (Some(l), None) => l.0,
            (None, Some(h)) => h.at,
            (None, None) => SimTime::MAX,
        };
        Some(popped)
    }

    pub fn len(&self) -> usize {
        self.heap.len() + self.lane.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty() && self.lane.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    #[test]
    fn earliest_first_and_fifo_among_equal_times() {
        let mut q = EventQueue::new();
        q.push(SimTime(20), 'c');
        q.push(SimTime(10), 'a');
        q.push(SimTime(20), 'd');
        q.push(SimTime(10), 'b');
        q.push(SimTime(20), 'e');
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!['a', 'b', 'c', 'd', 'e']);
    }

    proptest! {
        /// Pushes (a delay from the last popped instant) and pops, mixed:
        /// the same events in the same order as one binary heap of
        /// (time, seq).
        #[test]
        fn pops_in_the_order_of_one_heap(
            steps in proptest::collection::vec((0u64..6, 0u64..40), 1..400)
        ) {
            let mut q = EventQueue::new();
            let mut reference = BinaryHeap::new();
            let mut now = 0;
            for (seq, (op, delay)) in steps.into_iter().enumerate() {
                if op < 2 {
                    let got = q.pop();
                    let want = reference.pop().map(|Reverse((at, s))| (SimTime(at), s));
                    prop_assert_eq!(got, want);
                    if let Some((at, _)) = got {
                        now = at.0;
                    }
                } else {
                    let at = now + delay * (op - 1);
                    q.push(SimTime(at), seq);
                    reference.push(Reverse((at, seq)));
                }
                prop_assert_eq!(q.peek_time(), reference.peek().map(|Reverse((at, _))| SimTime(*at)));
                prop_assert_eq!(q.len(), reference.len());
            }
            while let Some(want) = reference.pop() {
                prop_assert_eq!(q.pop(), Some((SimTime(want.0.0), want.0.1)));
            }
            prop_assert!(q.pop().is_none());
        }
    }
}
