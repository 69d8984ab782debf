//! The engine: simulated time, the event queue, random streams and the run
//! loop. It knows operations and events, nothing about databases.

pub mod engine;
pub mod queue;
pub mod rng;
pub mod time;

pub use engine::{Architecture, ClientPolicy, Context, OpId, RunOutput, run, run_recorded};
pub use queue::EventQueue;
pub use rng::{SimRng, Streams};
pub use time::{SimDuration, SimTime};
