//! Engine speed and memory.
//!
//! * `mm1/bare-binary-heap` — the baseline: an M/M/1 queue as a bare
//!   `BinaryHeap` event loop (arrival and departure events, exponential draws
//!   from the same generator, latency summed), written here.
//! * `mm1/archsim-pipeline` — the same M/M/1 through archsim's whole pipeline:
//!   workload generator (arrivals, keys, mix, sessions) → `single`
//!   architecture → station → HDR latency recording.
//!
//! Both are reported per customer. After Criterion's runs the bench measures
//! the two side by side in one process and prints the ratio (target ≤ 2.5),
//! then the peak heap memory of a run and of a run ten times longer (target:
//! ratio < 1.2), using a counting allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use archsim::scenario::Scenario;
use criterion::{Criterion, Throughput};
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand_distr::{Distribution, Exp};

/// Counts live and peak heap bytes.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            let live = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size
                - layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        } else {
            LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Customers per measured iteration: 800 ops/s for 50 s.
const CUSTOMERS: u64 = 40_000;

fn mm1_scenario(duration_s: u64) -> Scenario {
    let text = format!(
        r#"
        duration = "{duration_s}s"
        warmup = "0s"
        [workload]
        rate = 800
        keys = 100000
        popularity = "zipf(0.99)"
        [workload.mix]
        get = 1.0
        [network]
        hop = "0s"
        [[architecture]]
        kind = "single"
        [architecture.db]
        cores = 1
        read = "exp(1ms)"
        "#
    );
    Scenario::from_toml(&text, "bench.toml", "bench", &[]).expect("valid bench scenario")
}

fn pipeline(scenario: &Scenario) -> f64 {
    let results = archsim::runner::run(scenario);
    results.runs[0].latency.all().mean_ms
}

#[derive(Clone, Copy)]
enum BareEvent {
    Arrival,
    Departure(u64),
}

/// M/M/1 at ρ = 0.8 as a bare event loop: returns the mean sojourn in ns.
fn bare_loop(customers: u64) -> f64 {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let interarrival = Exp::new(800.0 / 1e9).unwrap();
    let service = Exp::new(1.0 / 1e6).unwrap();
    let mut heap: BinaryHeap<Reverse<(u64, u64, u8, u64)>> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut push = |heap: &mut BinaryHeap<_>, at: u64, e: BareEvent| {
        let (tag, arg) = match e {
            BareEvent::Arrival => (0u8, 0u64),
            BareEvent::Departure(start) => (1u8, start),
        };
        heap.push(Reverse((at, seq, tag, arg)));
        seq += 1;
    };
    let mut queue: std::collections::VecDeque<u64> = Default::default();
    let mut busy = false;
    let mut arrived = 0u64;
    let mut done = 0u64;
    let mut total = 0u128;
    push(&mut heap, 0, BareEvent::Arrival);
    while let Some(Reverse((now, _, tag, arg))) = heap.pop() {
        if tag == 0 {
            arrived += 1;
            if arrived < customers {
                let gap = interarrival.sample(&mut rng) as u64;
                push(&mut heap, now + gap, BareEvent::Arrival);
            }
            if busy {
                queue.push_back(now);
            } else {
                busy = true;
                let s = service.sample(&mut rng) as u64;
                push(&mut heap, now + s, BareEvent::Departure(now));
            }
        } else {
            done += 1;
            total += u128::from(now - arg);
            if let Some(start) = queue.pop_front() {
                let s = service.sample(&mut rng) as u64;
                push(&mut heap, now + s, BareEvent::Departure(start));
            } else {
                busy = false;
            }
        }
    }
    total as f64 / done as f64
}

fn criterion_benches(c: &mut Criterion) {
    let scenario = mm1_scenario(CUSTOMERS / 800);
    let mut group = c.benchmark_group("mm1");
    group.throughput(Throughput::Elements(CUSTOMERS));
    group.bench_function("bare-binary-heap", |b| {
        b.iter(|| black_box(bare_loop(CUSTOMERS)))
    });
    group.bench_function("archsim-pipeline", |b| {
        b.iter(|| black_box(pipeline(&scenario)))
    });
    group.finish();
}

/// Best of `rounds` wall times of `f`, in seconds.
fn best_of(rounds: usize, mut f: impl FnMut()) -> f64 {
    (0..rounds)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn ratio_report() {
    let customers = 400_000;
    let scenario = mm1_scenario(customers / 800);
    let mut bare = f64::INFINITY;
    let mut full = f64::INFINITY;
    // Alternate the two so machine noise hits both alike.
    for _ in 0..5 {
        bare = bare.min(best_of(1, || {
            black_box(bare_loop(customers));
        }));
        full = full.min(best_of(1, || {
            black_box(pipeline(&scenario));
        }));
    }
    let per = |s: f64| s / customers as f64 * 1e9;
    println!(
        "\nM/M/1, {customers} customers: bare loop {:.1} ns/customer, archsim pipeline {:.1} ns/customer \
         → ratio {:.2} (target ≤ 2.5)",
        per(bare),
        per(full),
        full / bare
    );
}

fn peak_bytes_of(f: impl FnOnce()) -> usize {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    f();
    PEAK.load(Ordering::Relaxed) - base
}

fn memory_report() {
    let short = mm1_scenario(500);
    let long = mm1_scenario(5000);
    let a = peak_bytes_of(|| {
        black_box(pipeline(&short));
    });
    let b = peak_bytes_of(|| {
        black_box(pipeline(&long));
    });
    println!(
        "peak heap: {:.2} MiB for 500 s simulated, {:.2} MiB for 5000 s → ratio {:.3} (target < 1.2)",
        a as f64 / 1048576.0,
        b as f64 / 1048576.0,
        b as f64 / a as f64
    );
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    criterion_benches(&mut c);
    c.final_summary();
    ratio_report();
    memory_report();
}
