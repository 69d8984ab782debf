//! Memory stays bounded by keys, sessions and operations in flight, never by
//! run length: a run ten times longer peaks within 1.2× the memory. (Per-key
//! records are allocated as keys are first written, so the key space here is
//! small enough for the short run to touch every key.) Measured
//! with a counting allocator that keeps per-thread figures, so tests running
//! side by side do not disturb each other; the simulation runs on the test's
//! own thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use archsim::arch::simulate;

use crate::scenario;

pub struct PerThread;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn add(bytes: isize) {
    // `try_with`: the thread's counters may already be gone at its exit.
    let _ = LIVE.try_with(|live| {
        let now = live.get() + bytes;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

unsafe impl GlobalAlloc for PerThread {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add(layout.size() as isize);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        add(-(layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        add(layout.size() as isize);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        add(new_size as isize - layout.size() as isize);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Peak bytes allocated on this thread while `f` runs, above what was live.
fn peak_of(f: impl FnOnce()) -> isize {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    f();
    PEAK.with(Cell::get) - base
}

#[test]
fn a_ten_times_longer_run_needs_no_more_memory() {
    let text = |secs: u32| {
        format!(
            r#"
            duration = "{secs}s"
            warmup = "1s"
            [workload]
            rate = 5000
            keys = 2000
            popularity = "uniform"
            probes = ["1ms", "10ms"]
            [workload.mix]
            get = 0.4
            put = 0.1
            rmw = 0.1
            transfer = 0.2
            reserve = 0.1
            multi_get = 0.1
            [workload.entities]
            accounts = 500
            items = 500
            counters = 500
            [[architecture]]
            kind = "single"
            [architecture.cache]
            capacity = 1000
            [architecture.replicas]
            count = 2
            "#
        )
    };
    let (short, long) = (scenario(&text(4)), scenario(&text(40)));
    let a = peak_of(|| {
        simulate(&short.setting(), &short.architectures[0], 0);
    });
    let b = peak_of(|| {
        simulate(&long.setting(), &long.architectures[0], 0);
    });
    assert!(a > 0 && b > 0);
    let ratio = b as f64 / a as f64;
    assert!(
        ratio < 1.2,
        "peak {a} bytes for 4 s, {b} bytes for 40 s: ratio {ratio:.3}"
    );
}
