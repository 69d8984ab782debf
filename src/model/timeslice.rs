//! A long query time-sliced on a station's cores, as an operating system
//! runs a database's backend processes: the query holds a core for at most
//! one quantum, then gives it up and joins the back of the station's queue,
//! behind the statements that arrived meanwhile (round robin). A short
//! statement therefore waits for at most a slice of each query ahead of it,
//! never for whole queries of seconds; as the quantum shrinks, the queries
//! share the cores as processor sharing does (Kleinrock, *Queueing Systems*
//! vol. 2, §4.4: round robin tends to processor sharing), whose mean
//! response time E[S]/(1 − ρ) does not depend on how the work is
//! distributed. Statements shorter than a quantum run to completion once
//! they have a core, as a slice would.
//!
//! Without a quantum (FCFS) a query holds its core until it is done, the
//! worst case for the statements queued behind it.
//!
//! Each slice is one job of the station (its cores' scalability law and
//! faults apply to it); between slices the query's work left and what the
//! architecture needs to carry on are kept here under a handle, so events
//! stay small. The architecture schedules the handle's next step.

use super::Station;
use crate::sim::{SimDuration, SimTime};

/// What becomes of a query after one of its slices is admitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Its last slice ends then: the query is done.
    Done(SimTime),
    /// A slice ends then with work left: resume `handle` then.
    Slice { at: SimTime, handle: u32 },
}

/// The queries between slices on the stations of one architecture, each
/// with its context `C` (the operation, the node or part it runs on).
#[derive(Clone, Debug)]
pub struct TimeSlicer<C> {
    quantum: Option<SimDuration>,
    /// Work left and context of each query between slices, by handle.
    queries: Vec<(SimDuration, C)>,
    free: Vec<u32>,
}

impl<C: Copy> TimeSlicer<C> {
    /// Slices of `quantum`, or none (FCFS).
    pub fn new(quantum: Option<SimDuration>) -> TimeSlicer<C> {
        TimeSlicer {
            quantum,
            queries: Vec::new(),
            free: Vec::new(),
        }
    }

    /// A query needing `work` of one core reaches `station` now.
    pub fn start(
        &mut self,
        station: &mut Station,
        now: SimTime,
        work: SimDuration,
        context: C,
    ) -> Step {
        match self.quantum {
            Some(q) if work > q => {
                if !station.admits(now) {
                    // Lost on the way in, as any request to a cut-off node.
                    return Step::Done(station.enter(now, work).done);
                }
                let at = station.enter_slice(now, q, false).done;
                let handle = self.keep(SimDuration(work.as_nanos() - q.as_nanos()), context);
                Step::Slice { at, handle }
            }
            _ => Step::Done(station.enter(now, work).done),
        }
    }

    /// The context of the query under `handle`.
    pub fn context(&self, handle: u32) -> C {
        self.queries[handle as usize].1
    }

    /// The slice of the query under `handle` ended now: it joins the back
    /// of `station`'s queue for its next one.
    pub fn resume(&mut self, handle: u32, station: &mut Station, now: SimTime) -> Step {
        let q = self.quantum.expect("only sliced queries resume");
        let left = &mut self.queries[handle as usize].0;
        if *left > q {
            *left = SimDuration(left.as_nanos() - q.as_nanos());
            let at = station.enter_slice(now, q, false).done;
            Step::Slice { at, handle }
        } else {
            let last = *left;
            self.free.push(handle);
            Step::Done(station.enter_slice(now, last, true).done)
        }
    }

    fn keep(&mut self, left: SimDuration, context: C) -> u32 {
        match self.free.pop() {
            Some(h) => {
                self.queries[h as usize] = (left, context);
                h
            }
            None => {
                self.queries.push((left, context));
                (self.queries.len() - 1) as u32
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Window;

    #[test]
    fn a_short_statement_waits_for_a_slice_not_the_query() {
        let w = Window::new(SimDuration::ZERO, SimDuration(1_000_000));
        let mut station = Station::new(1, w);
        let mut slicer = TimeSlicer::new(Some(SimDuration(100)));
        // A query of 1000 ns, then a statement of 10 ns at 50.
        let Step::Slice { at, handle } =
            slicer.start(&mut station, SimTime(0), SimDuration(1000), 'q')
        else {
            panic!("sliced")
        };
        assert_eq!(at, SimTime(100));
        assert_eq!(
            station.enter(SimTime(50), SimDuration(10)).done,
            SimTime(110)
        );
        // The query resumes behind it.
        assert_eq!(slicer.context(handle), 'q');
        let mut step = slicer.resume(handle, &mut station, at);
        assert_eq!(
            step,
            Step::Slice {
                at: SimTime(210),
                handle
            }
        );
        while let Step::Slice { at, handle } = step {
            step = slicer.resume(handle, &mut station, at);
        }
        assert_eq!(
            step,
            Step::Done(SimTime(1010)),
            "all its work, plus the statement's"
        );
        // One job served (the query), besides the statement.
        let served = station.stats().throughput_per_s.unwrap() * w.length().as_secs_f64();
        assert!((served - 2.0).abs() < 1e-9, "{served}");
    }

    #[test]
    fn without_a_quantum_the_query_holds_its_core() {
        let w = Window::new(SimDuration::ZERO, SimDuration(1_000_000));
        let mut station = Station::new(1, w);
        let mut slicer = TimeSlicer::new(None);
        let step = slicer.start(&mut station, SimTime(0), SimDuration(1000), ());
        assert_eq!(step, Step::Done(SimTime(1000)));
        assert_eq!(
            station.enter(SimTime(50), SimDuration(10)).done,
            SimTime(1010)
        );
    }

    #[test]
    fn handles_are_reused() {
        let w = Window::new(SimDuration::ZERO, SimDuration(1_000_000));
        let mut station = Station::new(4, w);
        let mut slicer = TimeSlicer::new(Some(SimDuration(10)));
        for i in 0..3u64 {
            let mut step = slicer.start(&mut station, SimTime(i * 1000), SimDuration(25), i);
            while let Step::Slice { at, handle } = step {
                assert_eq!(handle, 0);
                step = slicer.resume(handle, &mut station, at);
            }
        }
        assert_eq!(slicer.queries.len(), 1);
    }
}
