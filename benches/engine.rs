//! Engine speed and memory.
//!
//! * `mm1/bare-binary-heap` — the baseline: an M/M/1 queue as a bare
//!   `BinaryHeap` event loop (arrival and departure events, exponential draws
//!   from the same generator, latency summed), written here.
//! * `mm1/archsim-pipeline` — the same M/M/1 through archsim's whole pipeline,
//!   on the shipped `scenarios/validation/mm1-rho-0.8.toml`: workload
//!   generator (arrivals, keys, mix, sessions) → `single` architecture →
//!   station → consistency oracle → HDR latency recording.
//! * `mm1/archsim-cache-replicas` — the same arrival and service process over
//!   10^6 Zipf keys with a remote cache of 10^5 entries, two read replicas
//!   taking the misses, 10 % writes and group commit on the primary.
//!
//! * `mm1/archsim-4x-rate` — the M/M/1 file offered 4× its rate (3,200
//!   customers/s against a capacity of 1,000): a saturated run, stopped
//!   when its backlog has grown for a fifth of its duration.
//!
//! All are reported per customer. After Criterion's runs the bench times the
//! whole `archsim` process (`archsim run`, the binary of this build: reading
//! the file, the run, writing results and charts) on the M/M/1 file for 5 M
//! customers against the bare loop for as many, interleaved, wall clock and
//! the process's CPU time (target ≤ 2.5×, the figure the README quotes).
//! Then it measures the lines above side by side in one process and prints
//! the ratios to the bare loop of the marginal cost per customer (a run of 5N customers minus a run of N,
//! so a run's fixed setup — per-key arrays of 10^6 keys — is reported apart):
//! targets ≤ 2.5 for the plain pipeline, and with cache and replicas no more
//! than 2× the same key space without them. Then it prints what a run
//! offered 4× the rate costs against the same run at its own rate (target
//! ≤ 4), stopped as saturated and run to the end; the default comparison
//! (`scenarios/five-architectures.toml`) as a whole process, its CPU time
//! (target ≤ 5 s), and each architecture's run alone, per operation; and the
//! peak heap of a run and of a run ten times longer (target: ratio < 1.2),
//! using a counting allocator.

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

/// The shipped M/M/1 validation scenario (800 customers/s), cut to length.
fn mm1_scenario(duration_s: u64) -> Scenario {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/validation/mm1-rho-0.8.toml"
    );
    let sets = [format!("duration={duration_s}s"), "warmup=0s".to_string()];
    let sets: Vec<_> = sets
        .iter()
        .map(|s| s.parse().expect("valid override"))
        .collect();
    Scenario::load(std::path::Path::new(path), &sets).expect("the shipped scenario loads")
}

/// The same arrival and service process over 10^6 Zipf keys with 10 %
/// writes and group commit; with `parts`, also a remote cache of 10^5 entries
/// and two read replicas taking the misses.
fn zipf_scenario(duration_s: u64, parts: bool) -> Scenario {
    let parts = if parts {
        "[architecture.cache]\ncapacity = 100000\n[architecture.replicas]\ncount = 2\n"
    } else {
        ""
    };
    let text = format!(
        r#"
        duration = "{duration_s}s"
        warmup = "0s"
        [workload]
        rate = 800
        keys = 1000000
        popularity = "zipf(0.99)"
        [workload.mix]
        get = 0.9
        put = 0.1
        [network]
        hop = "0s"
        [[architecture]]
        kind = "single"
        [architecture.db]
        cores = 1
        read = "exp(1ms)"
        write = "exp(1ms)"
        {parts}
        "#
    );
    Scenario::from_toml(&text, "bench.toml", "bench", &[]).expect("valid bench scenario")
}

/// The M/M/1 file offered `factor` × its 800 customers/s, stopped when
/// saturated or (`stop` false) run to the end.
fn overloaded_scenario(duration_s: u64, factor: u32, stop: bool) -> Scenario {
    let mut s = mm1_scenario(duration_s);
    s.workload.rate *= f64::from(factor);
    s.stop_saturated = stop;
    s
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
    let mut group = c.benchmark_group("mm1");
    group.throughput(Throughput::Elements(CUSTOMERS));
    group.bench_function("bare-binary-heap", |b| {
        b.iter(|| black_box(bare_loop(CUSTOMERS)))
    });
    for (name, scenario) in [
        ("archsim-pipeline", mm1_scenario(CUSTOMERS / 800)),
        (
            "archsim-4x-rate",
            overloaded_scenario(CUSTOMERS / 800, 4, true),
        ),
        ("archsim-zipf", zipf_scenario(CUSTOMERS / 800, false)),
        (
            "archsim-zipf-cache-replicas",
            zipf_scenario(CUSTOMERS / 800, true),
        ),
    ] {
        group.bench_function(name, |b| b.iter(|| black_box(pipeline(&scenario))));
    }
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

/// Marginal cost per customer, in ns: the time of a run of 5N customers
/// minus that of a run of N, over 4N — what one more customer costs once a
/// run is set up (per-key arrays allocated, histograms created). Best of
/// `rounds`, interleaved by the caller.
fn marginal_ns(short: f64, long: f64, customers: u64) -> f64 {
    (long - short) / (4 * customers) as f64 * 1e9
}

fn ratio_report() {
    let customers: u64 = 200_000;
    let secs = customers / 800;
    let scenarios = [
        (mm1_scenario(secs), mm1_scenario(5 * secs)),
        (zipf_scenario(secs, false), zipf_scenario(5 * secs, false)),
        (zipf_scenario(secs, true), zipf_scenario(5 * secs, true)),
    ];
    let mut bare = (f64::INFINITY, f64::INFINITY);
    let mut best = [(f64::INFINITY, f64::INFINITY); 3];
    // Interleaved, so machine noise hits all alike.
    for _ in 0..5 {
        bare.0 = bare.0.min(best_of(1, || {
            black_box(bare_loop(customers));
        }));
        bare.1 = bare.1.min(best_of(1, || {
            black_box(bare_loop(5 * customers));
        }));
        for (b, (short, long)) in best.iter_mut().zip(&scenarios) {
            b.0 = b.0.min(best_of(1, || {
                black_box(pipeline(short));
            }));
            b.1 = b.1.min(best_of(1, || {
                black_box(pipeline(long));
            }));
        }
    }
    let per = |(short, long): (f64, f64)| marginal_ns(short, long, customers);
    let setup_ms = |(short, long): (f64, f64)| (short - (long - short) / 4.0) * 1e3;
    let bare_ns = per(bare);
    let [plain, zipf, parts] = best.map(per);
    println!(
        "\nM/M/1 at 800 customers/s, one run, marginal ns per customer (setup excluded):\n\
         bare BinaryHeap loop            {bare_ns:7.1}\n\
         archsim pipeline (M/M/1 file)   {plain:7.1}  ratio {:.2} (target ≤ 2.5)\n\
         10^6 Zipf keys, 10 % writes     {zipf:7.1}  ratio {:.2}\n\
         the same + cache + 2 replicas   {parts:7.1}  ratio {:.2}, {:.2}× the line above (target ≤ 2)\n\
         setup per run: {:.1} ms, {:.1} ms, {:.1} ms",
        plain / bare_ns,
        zipf / bare_ns,
        parts / bare_ns,
        parts / zipf,
        setup_ms(best[0]),
        setup_ms(best[1]),
        setup_ms(best[2]),
    );
}

/// A run offered 4× the rate against the same run at its own rate, whole
/// runs (setup included), best of three interleaved: stopped as saturated
/// (target ≤ 4×) and run to the end.
fn saturation_report() {
    let secs = 250;
    let normal = mm1_scenario(secs);
    let stopped = overloaded_scenario(secs, 4, true);
    let to_the_end = overloaded_scenario(secs, 4, false);
    let mut best = [f64::INFINITY; 3];
    for _ in 0..3 {
        for (b, s) in best.iter_mut().zip([&normal, &stopped, &to_the_end]) {
            *b = b.min(best_of(1, || {
                black_box(pipeline(s));
            }));
        }
    }
    let saturated = archsim::runner::run(&stopped).runs[0].saturated.is_some();
    println!(
        "M/M/1 file for {secs} s at 800 customers/s: {:.1} ms; at 4× the rate, stopped as \
         saturated ({saturated}): {:.1} ms, {:.2}× (target ≤ 4); run to the end: {:.1} ms, {:.2}×",
        best[0] * 1e3,
        best[1] * 1e3,
        best[1] / best[0],
        best[2] * 1e3,
        best[2] / best[0],
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

/// CPU time (user + system) of the waited-for child processes so far, in s.
fn children_cpu_s() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// CPU time of the calling thread so far, in s.
fn thread_cpu_s() -> f64 {
    // SAFETY: clock_gettime only writes the struct it is given.
    let t = unsafe {
        let mut t: libc::timespec = std::mem::zeroed();
        libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t);
        t
    };
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

/// Runs `archsim run ARGS -o <a temporary folder>`: (wall, CPU) in s.
fn archsim_process(args: &[&str]) -> (f64, f64) {
    let out = tempfile::tempdir().expect("a temporary folder");
    let cpu = children_cpu_s();
    let t = Instant::now();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_archsim"))
        .arg("run")
        .args(args)
        .arg("-o")
        .arg(out.path())
        .stdout(std::process::Stdio::null())
        .status()
        .expect("archsim runs");
    let wall = t.elapsed().as_secs_f64();
    assert!(status.success(), "archsim run {args:?} failed");
    (wall, children_cpu_s() - cpu)
}

/// The README's figure: the whole `archsim` process on the M/M/1 file for 5
/// M customers (6,250 s at 800/s, its 20 s warm-up included) against the
/// bare loop for 5 M, best of three interleaved.
fn whole_process_report() {
    let customers = 5_000_000;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/validation/mm1-rho-0.8.toml"
    );
    let mut bare = (f64::INFINITY, f64::INFINITY);
    let mut archsim = (f64::INFINITY, f64::INFINITY);
    for _ in 0..3 {
        let cpu = thread_cpu_s();
        let wall = best_of(1, || {
            black_box(bare_loop(customers));
        });
        bare = (bare.0.min(wall), bare.1.min(thread_cpu_s() - cpu));
        let (wall, cpu) = archsim_process(&["--set", "duration=6230s", path]);
        archsim = (archsim.0.min(wall), archsim.1.min(cpu));
    }
    println!(
        "\nM/M/1 file, whole process, 5 M customers (best of 3, interleaved):\n\
         bare BinaryHeap loop  {:6.3} s wall, {:6.3} s CPU\n\
         archsim run           {:6.3} s wall, {:6.3} s CPU: ratio {:.2} wall, {:.2} CPU (target ≤ 2.5)",
        bare.0,
        bare.1,
        archsim.0,
        archsim.1,
        archsim.0 / bare.0,
        archsim.1 / bare.1,
    );
}

/// The default comparison: the whole process (`-j 2`, its CPU time over
/// both cores; target ≤ 5 s), then each architecture's run alone in this
/// process, per operation offered (one run each: a shared machine's noise
/// is in these).
fn default_comparison_report() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/five-architectures.toml"
    );
    let (wall, cpu) = archsim_process(&["-j", "2", path]);
    println!(
        "\ndefault comparison (five-architectures.toml), whole process, -j 2: \
         {wall:.2} s wall, {cpu:.2} s CPU (target ≤ 5 s CPU)"
    );
    let scenario = Scenario::load(std::path::Path::new(path), &[]).expect("the shipped scenario");
    let offered = scenario.workload.rate
        * (scenario.warmup.duration().as_secs_f64() + scenario.duration.as_secs_f64());
    for arch in &scenario.architectures {
        let mut one = scenario.clone();
        one.architectures.retain(|a| a.name == arch.name);
        let secs = best_of(1, || {
            black_box(archsim::runner::run(&one));
        });
        println!(
            "  {:<12} {secs:6.2} s, {:6.0} ns per operation",
            arch.name,
            secs / offered * 1e9
        );
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    criterion_benches(&mut c);
    c.final_summary();
    whole_process_report();
    ratio_report();
    saturation_report();
    default_comparison_report();
    memory_report();
}
