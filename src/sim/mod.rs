//! The engine: simulated time, the event queue, random streams and the run
//! loop. The bottom layer: it imports nothing else of the crate and knows
//! operations, events and timed edges, nothing about databases, faults or
//! metrics.

pub mod engine;
pub mod prefetch;
pub mod queue;
pub mod rng;
pub mod saturation;
pub mod table;
pub mod time;
mod window;

pub use engine::{
    Context, Edge, Op, OpId, Outcomes, Patience, Request, RunOutput, Source, System,
    TIMEOUT_CLASSES, run,
};
pub use queue::EventQueue;
pub use rng::{SimRng, Streams};
pub use saturation::{SaturationRule, Verdict};
pub use time::{FOREVER, SimDuration, SimTime};
pub use window::Window;
